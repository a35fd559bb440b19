"""Password policy (DOMAIN_RULES.md "Security")."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ADMIN_ROLES = {"system_admin", "security_admin", "audit_admin"}


class PolicyPasswordValidator:
    """At least 8 characters (12 for admin posts), 3 of 4 character classes, not the user name,
    phone, birth date or ID number."""

    def validate(self, password, user=None):
        is_admin = False
        if user is not None and getattr(user, "pk", None):
            is_admin = user.role_assignments.filter(role__in=ADMIN_ROLES).exists()
        minimum = 12 if is_admin else 8
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
        member = getattr(user, "member", None) if getattr(user, "pk", None) else None
        if member is not None:
            secrets = [member.phone, member.id_number, member.birth_date.strftime("%Y%m%d")]
            if any(s and s.lower() in lowered for s in secrets):
                raise ValidationError(
                    _("The password must not contain your phone number, birth date or ID number."), code="personal"
                )

    def get_help_text(self):
        return _("At least 8 characters (12 for admin posts), mixing three of: lower-case, upper-case, digits, symbols.")
