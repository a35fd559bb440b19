"""Writes for users and roles, each audited in the same transaction."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import ADMIN_POSTS, RoleAssignment, User
from taizhang.core.audit import audit_log
from taizhang.core.models import AuditEntry
from taizhang.core.permissions import forget_roles


@transaction.atomic
def user_create(*, actor, username: str, password: str, display_name: str = "", validate: bool = True) -> User:
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This user name is taken.")]})
    user = User(username=username, display_name=display_name)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_log(actor=actor, action="user.create", obj=user, new={"username": username, "display_name": display_name})
    return user


@transaction.atomic
def role_assign(*, actor, user: User, role: str, committee, branch=None, member=None) -> RoleAssignment:
    """Give ``user`` a role. One person holds at most one of the three admin posts.

    The role "member" links the login to the person's ledger record (``member``).
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    held = set(user.role_assignments.values_list("role", flat=True))
    if role in ADMIN_POSTS and (held & ADMIN_POSTS) - {role}:
        raise ValidationError({"role": [_("One person can hold only one of the system, security and audit admin posts.")]})
    if role == "branch_secretary" and branch is None:
        raise ValidationError({"branch": [_("A branch secretary needs a branch.")]})
    if branch is not None and branch.committee_id != committee.pk:
        raise ValidationError({"branch": [_("The branch belongs to another committee.")]})
    if role == "member":
        from taizhang.members.models import Member

        linked = Member.objects.filter(user=user).first()
        if member is None and linked is None:
            raise ValidationError({"member": [_("Choose the ledger record of this party member.")]})
        if member is not None and linked is None:
            if member.committee_id != committee.pk or member.user_id:
                raise ValidationError({"member": [_("This ledger record is in another committee or already has a login.")]})
            Member.objects.filter(pk=member.pk).update(user=user)
            audit_log(actor=actor, action="member.link_user", obj=member, new={"user": user.username})
        branch = None
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, committee=committee, branch=branch)
    forget_roles(user)
    if created:
        audit_log(actor=actor, action="role.assign", obj=assignment,
                  new={"user": user.username, "role": role, "committee": committee.pk, "branch": branch.pk if branch else None})
    return assignment


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    audit_log(actor=actor, action="role.revoke", obj=assignment,
              old={"user": assignment.user.username, "role": assignment.role, "branch": assignment.branch_id})
    assignment.delete()
    forget_roles(assignment.user)


def is_locked_out(username: str) -> bool:
    """5 failed logins for this user name within 30 minutes (since the last success) lock it."""
    since = timezone.now() - timedelta(minutes=settings.LOCKOUT_MINUTES)
    last_ok = (
        AuditEntry.objects.filter(action="auth.login", actor_username=username, timestamp__gte=since)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    failures = AuditEntry.objects.filter(action="auth.login_failed", actor_username=username, timestamp__gte=last_ok or since)
    return failures.count() >= settings.LOCKOUT_FAILURES


DISPLAY_OPTIONS = ("large_text", "high_contrast")


@transaction.atomic
def user_set_display(*, actor, option: str, on: bool) -> User:
    """Turn one elderly-mode display option (large text, high contrast) on or off for the user themselves."""
    if option not in DISPLAY_OPTIONS:
        raise ValidationError({"option": [_("Unknown display option.")]})
    user = User.objects.select_for_update().get(pk=actor.pk)
    old = getattr(user, option)
    if old != on:
        setattr(user, option, on)
        user.save(update_fields=[option])
        audit_log(actor=actor, action="user.display", obj=user, old={option: old}, new={option: on})
    return user
