"""The navigation bar's part of reports: the bell (the user's unread notices, one indexed count per page that
shows the bar — lazy, so an htmx fragment or a page without the bar does not count) and whether the worklist is
in the menu (the roles already read for the menu; no query)."""

from django.utils.functional import SimpleLazyObject

from taizhang.reports.notices import unread_count
from taizhang.reports.worklist import may_see_worklist


def notices(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notices_unread": SimpleLazyObject(lambda: unread_count(user)), "can_worklist": may_see_worklist(user)}
