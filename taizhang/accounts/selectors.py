from django.db.models import Q

from taizhang.accounts.models import RoleAssignment, User


def managed_committees(user):
    """Committees in which ``user`` holds the system admin post."""
    from taizhang.organisation.models import Committee

    ids = RoleAssignment.objects.filter(user=user, role="system_admin").values_list("committee_id", flat=True)
    return Committee.objects.filter(pk__in=ids)


def users_of(committees):
    """Users holding any role in these committees, plus users with no role at all (new logins)."""
    return (
        User.objects.filter(Q(role_assignments__committee__in=committees) | Q(role_assignments__isnull=True))
        .distinct()
        .prefetch_related("role_assignments__branch", "role_assignments__committee")
        .order_by("username")
    )
