"""The activities card on the home page: what is coming up for this user.

A member sees the next activities they are invited to with their sign-up state (a one-tap way to 我的活动);
staff who organise activities see the next ones in their scope with the sign-up count and a link to the
tick list on the day. Hidden from users with neither. A fixed number of queries.
"""

from django.db.models import Count, Q
from django.utils import timezone

from taizhang.activities import selectors
from taizhang.activities.models import SignUp, SignUpStatus
from taizhang.core.permissions import has_capability, own_member

HOME_ACTIVITIES = 4


def home_panel(*, user):
    member = own_member(user)
    staff = has_capability(user, "activities.manage")
    if member is None and not staff:
        return None
    now = timezone.now()
    upcoming = (
        selectors.activity_queryset(user)
        .filter(cancelled=False, ends_at__gte=now)
        .annotate(signed_up=Count("signups", filter=Q(signups__status=SignUpStatus.SIGNED_UP)))
        .order_by("starts_at", "id")[:HOME_ACTIVITIES]
    )
    upcoming = list(upcoming)
    mine = {}
    if member is not None and upcoming:
        mine = {
            s.activity_id: s.status
            for s in SignUp.objects.filter(member=member, activity__in=upcoming).exclude(status=SignUpStatus.CANCELLED)
        }
    for activity in upcoming:
        activity.my_status = mine.get(activity.pk)
        activity.today = activity.date == timezone.localdate()
    return {"upcoming": upcoming, "member": member, "staff": staff}
