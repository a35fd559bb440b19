from django.db.models import Q
from django.utils import timezone

from taizhang.accounts.models import LoginThrottle, RoleAssignment, User

ACCOUNT_POSTS = ("system_admin", "security_admin")


def managed_committees(user):
    """Committees whose accounts ``user`` administers: as system admin (accounts) or security admin (roles)."""
    from taizhang.organisation.models import Committee

    ids = RoleAssignment.objects.filter(user=user, role__in=ACCOUNT_POSTS).values_list("committee_id", flat=True)
    return Committee.objects.filter(pk__in=ids)


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
