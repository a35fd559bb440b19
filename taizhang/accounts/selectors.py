from django.db.models import Q
from django.utils import timezone

from taizhang.accounts.models import LoginThrottle, User
from taizhang.core.permissions import capability_committee_ids

ACCOUNT_POSTS = ("system_admin", "security_admin")


def managed_committees(user):
    """Committees whose accounts ``user`` administers: as system admin (accounts) or security admin (roles)."""
    from taizhang.organisation.models import Committee

    ids = {cid for post in ACCOUNT_POSTS for cid in capability_committee_ids(user, _POST_CAPABILITY[post])}
    return Committee.objects.filter(pk__in=ids)


_POST_CAPABILITY = {"system_admin": "users.manage", "security_admin": "roles.manage"}


def role_labels(user) -> str:
    """The user's roles as people read them: "党委书记/委员 · 北京市流动党员党委；…"."""
    labels = [f"{a.get_role_display()} · {a.branch.name if a.branch_id else a.committee.name}"
              for a in user.role_assignments.select_related("committee", "branch").order_by("id")]
    return "；".join(labels)


def users_of(committees):
    """Users holding any role in these committees, plus users with no role at all (new logins)."""
    return (
        User.objects.filter(Q(role_assignments__committee__in=committees) | Q(role_assignments__isnull=True))
        .distinct()
        .prefetch_related("role_assignments__branch", "role_assignments__committee")
        .order_by("username")
    )


def locked_usernames() -> set:
    """User names locked now after too many failed sign-ins."""
    return set(LoginThrottle.objects.filter(locked_until__gt=timezone.now()).values_list("username", flat=True))


def lock_of(username: str):
    """The sign-in lock of one user name, or None when it is not locked now."""
    return LoginThrottle.objects.filter(username=username, locked_until__gt=timezone.now()).first()
