"""Password policy (DOMAIN_RULES.md "Security"); the lengths come from the security policy."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from taizhang.accounts.policy import current_policy

ADMIN_ROLES = {"system_admin", "security_admin", "audit_admin"}


def holds_admin_post(user) -> bool:
    return bool(user is not None and getattr(user, "pk", None)
                and user.role_assignments.filter(role__in=ADMIN_ROLES).exists())


def minimum_length(user=None, *, admin_post: bool | None = None) -> int:
    """The minimum password length for ``user`` (or for an admin post when ``admin_post``)."""
    policy = current_policy()
    if admin_post is None:
        admin_post = holds_admin_post(user)
    return policy.admin_password_min_length if admin_post else policy.password_min_length


def personal_values(user) -> list[str]:
    """The member's phone, birth date and ID number, when ``user`` is linked to a ledger record (the
    ledger answers through ``accounts.hooks.personal_values``)."""
    if user is None or not getattr(user, "pk", None):
        return []
    from taizhang.accounts.hooks import personal_values as hook

    return [v.lower() for _listener, values in hook.collect(user=user) for v in values if v]


class PolicyPasswordValidator:
    """At least the policy's length (longer for admin posts), 3 of 4 character classes, not the user
    name, phone, birth date or ID number."""

    def validate(self, password, user=None):
        minimum = minimum_length(user)
        if len(password) < minimum:
            raise ValidationError(
                _("The password must have at least %(n)d characters.") % {"n": minimum}, code="too_short"
            )
        classes = sum(
            bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^a-zA-Z\d]")
        )
        if classes < 3:
            raise ValidationError(
                _("The password must mix at least three of: lower-case letters, upper-case letters, digits, symbols."),
                code="classes",
            )
        if user is None:
            return
        lowered = password.lower()
        username = (getattr(user, "username", "") or "").lower()
        if username and username in lowered:
            raise ValidationError(_("The password must not contain the user name."), code="username")
        if any(value in lowered for value in personal_values(user)):
            raise ValidationError(
                _("The password must not contain your phone number, birth date or ID number."), code="personal"
            )

    def get_help_text(self):
        policy = current_policy()
        return _(
            "At least %(n)d characters (%(admin)d for admin posts), mixing three of: lower-case, upper-case, "
            "digits, symbols; not your user name, phone number, birth date or ID number."
        ) % {"n": policy.password_min_length, "admin": policy.admin_password_min_length}
