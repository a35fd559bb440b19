"""Writes for users, roles, passwords, sign-in locks and the security policy, each audited.

The three admin posts (三员分立, DOMAIN_RULES.md "Security"):

* the system admin (``users.manage``) creates, deactivates and unlocks accounts and resets passwords;
* the security admin (``roles.manage``, ``security.manage``) gives and removes roles and sets the policy;
* the audit admin only reads the audit log.

An admin post is never held together with a business role or a link to a ledger record, and nobody
gives or removes a role on their own account. Refusals raise ``ValidationError`` / ``PermissionDenied``
*and* leave an audit entry with ``success=False`` (written after the refused change was rolled back).

``actor=None`` means the operator (management commands, the demo loader): it is how the first admin
posts of an installation are given.
"""

import enum
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import (
    ADMIN_POSTS,
    BUSINESS_ROLES,
    LoginThrottle,
    Role,
    RoleAssignment,
    SecurityPolicy,
    User,
)
from taizhang.accounts.policy import FIELDS, current_policy
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.permissions import forget_roles, has_capability


def _messages(exc) -> str:
    return "；".join(str(m) for m in getattr(exc, "messages", [str(exc)]))


def _require(actor, capability: str, committee=None, message: str = "") -> None:
    """The operator (``actor=None``) may do anything; a user needs the capability."""
    if actor is not None and not has_capability(actor, capability, committee):
        raise PermissionDenied(message)


def _not_own_account(actor, user, field: str, message: str) -> None:
    if actor is not None and actor.pk == user.pk:
        raise ValidationError({field: [message]})


def _refusals_audited(action: str, *, obj=None, attempt=None, object_type="", object_repr=""):
    """Run the decorated write in its own transaction; a refusal is rolled back, then audited."""

    def decorate(func):
        def wrapper(*, actor, **kwargs):
            try:
                with transaction.atomic():
                    return func(actor=actor, **kwargs)
            except (ValidationError, PermissionDenied) as exc:
                target = kwargs.get(obj) if obj else None
                audit_log(actor=actor, action=action, obj=target, object_type=object_type,
                          object_repr=str(kwargs.get(object_repr, "")) if object_repr else "",
                          new=attempt(kwargs) if attempt else None, success=False, message=_messages(exc))
                raise

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper

    return decorate


# --- passwords -----------------------------------------------------------------------------------


def _set_password(user: User, password: str) -> None:
    """Check ``password`` against the policy for ``user`` (whatever it holds now) and set it."""
    validate_password(password, user)
    user.set_password(password)
    user.password_fits_admin_post = len(password) >= current_policy().admin_password_min_length


def _password_error(field: str, exc: ValidationError) -> ValidationError:
    return ValidationError({field: exc.messages})


@_refusals_audited("user.create", attempt=lambda kw: {"username": kw.get("username", "")},
                   object_type="accounts.user", object_repr="username")
def user_create(*, actor, username: str, password: str, display_name: str = "",
                must_change_password: bool = True) -> User:
    """A new login (system admin). It must change its password at the first sign-in unless the operator
    says otherwise (the demo logins)."""
    _require(actor, "users.manage", message=_("Only the system administrator creates accounts."))
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": [_("This user name is taken.")]})
    user = User(username=username, display_name=display_name, must_change_password=must_change_password)
    try:
        _set_password(user, password)
    except ValidationError as exc:
        raise _password_error("password", exc) from None
    user.save()
    audit_log(actor=actor, action="user.create", obj=user,
              new={"username": username, "display_name": display_name, "must_change_password": must_change_password})
    return user


@_refusals_audited("user.password_change", obj="user")
def user_change_password(*, actor, user: User, current_password: str, new_password: str) -> User:
    """The user changes their own password. Their other sessions end (the session auth hash changes;
    the view keeps the current one with ``update_session_auth_hash``) and so does their .ics link."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("You can only change your own password."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(current_password):
        raise ValidationError({"current_password": [_("The current password is wrong.")]})
    if new_password == current_password:
        raise ValidationError({"new_password": [_("The new password must differ from the current one.")]})
    try:
        _set_password(user, new_password)
    except ValidationError as exc:
        raise _password_error("new_password", exc) from None
    was_forced = user.must_change_password
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password", "password_fits_admin_post"])
    audit_log(actor=actor, action="user.password_change", obj=user, new={"was_required": was_forced})
    return user


@_refusals_audited("user.password_reset", obj="user")
def user_reset_password(*, actor, user: User, password: str) -> User:
    """The system admin sets a new password for someone else; it must be changed at the next sign-in."""
    _require(actor, "users.manage", message=_("Only the system administrator resets passwords."))
    _not_own_account(actor, user, "password", _("Change your own password on the “Change password” page."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and user.role_assignments.filter(role__in=ADMIN_POSTS).exists():
        # Otherwise the system admin could sign in as the security or audit admin and hold two posts.
        raise ValidationError({"password": [_("The password of an admin post is reset only by the operator on the "
                                              "server (manage.py changepassword), never by another admin.")]})
    try:
        _set_password(user, password)
    except ValidationError as exc:
        raise _password_error("password", exc) from None
    user.must_change_password = True
    user.password_reset_pending = actor is not None
    user.save(update_fields=["password", "must_change_password", "password_fits_admin_post", "password_reset_pending"])
    audit_log(actor=actor, action="user.password_reset", obj=user,
              new={"must_change_password": True, "password_reset_pending": user.password_reset_pending})
    return user


@_refusals_audited("user.password_reset_confirm", obj="user")
def user_confirm_password_reset(*, actor, user: User) -> User:
    """The security admin confirms a reset made by the system admin; only then does the new password work.

    Two people for a reset, as for a role: otherwise the system admin could reset the committee secretary's
    password, sign in as him and read every ID number."""
    _require(actor, "roles.manage", message=_("Only the security administrator confirms a password reset."))
    _not_own_account(actor, user, "password", _("Nobody confirms a password reset of their own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.password_reset_pending:
        raise ValidationError({"password": [_("No password reset is waiting for confirmation.")]})
    user.password_reset_pending = False
    user.save(update_fields=["password_reset_pending"])
    audit_log(actor=actor, action="user.password_reset_confirm", obj=user, old={"password_reset_pending": True},
              new={"password_reset_pending": False})
    return user


@_refusals_audited("user.set_active", obj="user")
def user_set_active(*, actor, user: User, active: bool) -> User:
    """Deactivate (or reactivate) an account (system admin). A deactivated account's sessions stop working."""
    _require(actor, "users.manage", message=_("Only the system administrator deactivates accounts."))
    _not_own_account(actor, user, "is_active", _("You cannot deactivate your own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active != active:
        old = user.is_active
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_log(actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
                  old={"is_active": old}, new={"is_active": active})
    return user


def user_require_password_change(*, user: User, reason: str) -> None:
    """Flag ``user``'s password for a change at the next request (it no longer meets the policy)."""
    if not user.must_change_password:
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        audit_log(actor=user, action="user.password_change_required", obj=user, message=reason[:500])


# --- sign-in and lockout -------------------------------------------------------------------------


class SignIn(enum.Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong user name or password; not locked (yet)
    LOCKED_NOW = "locked_now"  # wrong, and this failure locked the user name
    LOCKED = "locked"  # the user name was already locked: the password was not even checked
    RESET_PENDING = "reset_pending"  # right password, set by the system admin, not yet confirmed


def sign_in(*, request, username: str, password: str):
    """Check one sign-in attempt and count it: ``(SignIn, user or None)``.

    The user name's counter row is locked (``select_for_update``; on SQLite the write transaction) while the
    password is checked, so parallel attempts are decided one after the other: with the policy's N failures,
    N wrong answers at most, then the lock. The lock lasts the policy's minutes from the failure that caused
    it; failures older than that no longer count. A success resets the count. Every attempt is in the
    audit log (``auth.login``, ``auth.login_failed``, ``auth.locked``, ``auth.login_locked``).
    """
    username = username[:150]
    LoginThrottle.objects.get_or_create(username=username)
    with transaction.atomic():
        throttle = LoginThrottle.objects.select_for_update().get(username=username)
        policy = current_policy()
        now = timezone.now()
        window = timedelta(minutes=policy.lockout_minutes)
        if throttle.locked_until and throttle.locked_until > now:
            audit_log(actor=None, username=username, action="auth.login_locked", object_type="accounts.user",
                      object_repr=username, success=False, ip_address=client_ip(request))
            return SignIn.LOCKED, None
        user = authenticate(request, username=username, password=password)
        if user is None:
            if throttle.locked_until or (throttle.last_failure_at and now - throttle.last_failure_at > window):
                throttle.failures, throttle.locked_until = 0, None  # an expired lock or stale failures
            throttle.failures += 1
            throttle.last_failure_at = now
            outcome = SignIn.WRONG
            if throttle.failures >= policy.lockout_failures:
                throttle.locked_until = now + window
                outcome = SignIn.LOCKED_NOW
                audit_log(actor=None, username=username, action="auth.locked", object_type="accounts.user",
                          object_repr=username, success=False, ip_address=client_ip(request),
                          new={"failures": throttle.failures, "locked_until": throttle.locked_until})
            throttle.save(update_fields=["failures", "last_failure_at", "locked_until"])
            return outcome, None
        if throttle.failures or throttle.locked_until:
            throttle.failures, throttle.locked_until = 0, None
            throttle.save(update_fields=["failures", "locked_until"])
        if user.password_reset_pending:
            audit_log(actor=None, username=username, action="auth.login_reset_pending", obj=user, success=False,
                      ip_address=client_ip(request))
            return SignIn.RESET_PENDING, None
        _check_password_on_sign_in(user, password)
        return SignIn.OK, user


def _check_password_on_sign_in(user: User, password: str) -> None:
    """The plain password is known only now: if it no longer meets the policy for what the account holds
    (an admin post given later, a ledger record linked later, a longer minimum), it must be changed."""
    fits_admin = len(password) >= current_policy().admin_password_min_length
    if user.password_fits_admin_post != fits_admin:
        User.objects.filter(pk=user.pk).update(password_fits_admin_post=fits_admin)
        user.password_fits_admin_post = fits_admin
    try:
        validate_password(password, user)
    except ValidationError as exc:
        user_require_password_change(user=user, reason=_messages(exc))


@_refusals_audited("user.unlock", object_type="accounts.user", object_repr="username")
def user_unlock(*, actor, username: str) -> bool:
    """The system admin lifts a lock (and the count of failures). Returns whether it was locked."""
    _require(actor, "users.manage", message=_("Only the system administrator unlocks accounts."))
    throttle = LoginThrottle.objects.select_for_update().filter(username=username).first()
    if throttle is None or not (throttle.failures or throttle.locked_until):
        return False
    was_locked = bool(throttle.locked_until and throttle.locked_until > timezone.now())
    old = {"failures": throttle.failures, "locked_until": throttle.locked_until}
    throttle.failures, throttle.locked_until = 0, None
    throttle.save(update_fields=["failures", "locked_until"])
    user = User.objects.filter(username=username).first()
    audit_log(actor=actor, action="user.unlock", obj=user, object_type="accounts.user", object_repr=username,
              old=old, new={"failures": 0, "locked_until": None})
    return was_locked


# --- roles ---------------------------------------------------------------------------------------


def _role_names(roles) -> str:
    return "、".join(str(Role(r).label) for r in sorted(roles))


def _assign_attempt(kw) -> dict:
    branch = kw.get("branch")
    member = kw.get("member")
    return {"user": kw["user"].username, "role": kw.get("role"), "committee": kw["committee"].pk,
            "branch": branch.pk if branch else None, "member": member.pk if member else None}


@_refusals_audited("role.assign", obj="user", attempt=_assign_attempt)
def role_assign(*, actor, user: User, role: str, committee, branch=None, member=None) -> RoleAssignment:
    """Give ``user`` a role (security admin). The role "member" links the login to the person's ledger
    record (``member``).

    Refused: a role on one's own account; an admin post next to another admin post, a business role or a
    ledger link; a business role (or ledger link) next to an admin post. An admin post given to an
    account whose password was not checked against the admin-post length must change it at next sign-in.
    """
    from taizhang.accounts import hooks

    _require(actor, "roles.manage", committee, _("Only the security administrator gives and removes roles."))
    _not_own_account(actor, user, "role", _("Nobody can give or remove a role on their own account."))
    given = user
    user = User.objects.select_for_update().get(pk=user.pk)
    held = set(user.role_assignments.values_list("role", flat=True))
    linked = next((record for _listener, record in hooks.linked_record.collect(user=user) if record is not None), None)
    if role in ADMIN_POSTS:
        if (held & ADMIN_POSTS) - {role}:
            raise ValidationError({"role": [_("One person can hold only one of the system, security and audit admin posts.")]})
        business = held & BUSINESS_ROLES
        if business or linked is not None:
            names = _role_names(business | ({Role.MEMBER} if linked is not None else set()))
            raise ValidationError({"role": [
                _("An admin post is never combined with a business role or a ledger record: this account holds "
                  "%(roles)s. Use a separate account for the admin post.") % {"roles": names}]})
    elif held & ADMIN_POSTS:
        raise ValidationError({"role": [
            _("This account holds the admin post %(post)s, which is never combined with a business role or a "
              "ledger record. Use a separate account.") % {"post": _role_names(held & ADMIN_POSTS)}]})
    if role == Role.SUPERIOR_VIEWER and branch is not None:
        raise ValidationError({"branch": [_("The superior organisation sees the totals of the whole committee: leave the branch empty.")]})
    if role == Role.SUPERIOR_VIEWER and not type(committee).objects.filter(pk=committee.pk, superior__isnull=False).exists():
        raise ValidationError({"role": [_("This committee has no superior organisation yet: the system administrator sets it on the organisation page.")]})
    if role == Role.BRANCH_SECRETARY and branch is None:
        raise ValidationError({"branch": [_("A branch secretary needs a branch.")]})
    if branch is not None and branch.committee_id != committee.pk:
        raise ValidationError({"branch": [_("The branch belongs to another committee.")]})
    if role == Role.MEMBER:
        if member is None and linked is None:
            raise ValidationError({"member": [_("Choose the ledger record of this party member.")]})
        if member is not None and linked is None:
            hooks.link_record.send(actor=actor, user=user, record=member, committee=committee)
        branch = None
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, committee=committee, branch=branch)
    forget_roles(user)
    forget_roles(given)
    if created:
        forced = role in ADMIN_POSTS and not user.password_fits_admin_post and not user.must_change_password
        if forced:
            user.must_change_password = True
            user.save(update_fields=["must_change_password"])
        audit_log(actor=actor, action="role.assign", obj=assignment,
                  new={"user": user.username, "role": role, "committee": committee.pk,
                       "branch": branch.pk if branch else None, **({"must_change_password": True} if forced else {})})
    return assignment


@_refusals_audited("role.revoke", obj="assignment")
def role_revoke(*, actor, assignment: RoleAssignment) -> None:
    """Remove a role (security admin); never on one's own account."""
    _require(actor, "roles.manage", assignment.committee_id, _("Only the security administrator gives and removes roles."))
    _not_own_account(actor, assignment.user, "role", _("Nobody can give or remove a role on their own account."))
    audit_log(actor=actor, action="role.revoke", obj=assignment,
              old={"user": assignment.user.username, "role": assignment.role, "branch": assignment.branch_id})
    assignment.delete()
    forget_roles(assignment.user)


# --- the security policy -------------------------------------------------------------------------


def _validate_policy(values: dict) -> None:
    errors = {}
    for f in FIELDS:
        value = values.get(f.name)
        if not isinstance(value, int) or not f.minimum <= value <= f.maximum:
            label = SecurityPolicy._meta.get_field(f.name).verbose_name
            errors[f.name] = [_("%(field)s must be a whole number from %(min)d to %(max)d.")
                              % {"field": label, "min": f.minimum, "max": f.maximum}]
    if not errors and values["admin_password_min_length"] < values["password_min_length"]:
        errors["admin_password_min_length"] = [_("The admin posts' minimum length cannot be shorter than everyone's.")]
    if not errors and values["admin_idle_timeout_minutes"] > values["idle_timeout_minutes"]:
        errors["admin_idle_timeout_minutes"] = [_("The admin posts' idle timeout cannot be longer than everyone's.")]
    if errors:
        raise ValidationError(errors)


@_refusals_audited("security_policy.update", object_type="accounts.securitypolicy")
def security_policy_update(*, actor, values: dict) -> SecurityPolicy:
    """Change the security policy (security admin); every changed number is audited old → new."""
    _require(actor, "security.manage", message=_("Only the security administrator sets the security policy."))
    _validate_policy(values)
    current = current_policy()
    old = {f.name: getattr(current, f.name) for f in FIELDS}
    new = {f.name: values[f.name] for f in FIELDS}
    policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(pk=1, defaults=new)
    changed = {k: v for k, v in new.items() if old[k] != v}
    if changed:
        SecurityPolicy.objects.filter(pk=1).update(**new, updated_at=timezone.now())
        policy.refresh_from_db()
        audit_log(actor=actor, action="security_policy.update", obj=policy,
                  old={k: old[k] for k in changed}, new=changed)
    return policy


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
