"""The security policy: the one place every check reads its numbers from.

The numbers are data (``SecurityPolicy``, one row, edited by the security admin on 安全策略); until
that row exists the environment settings in ``config/settings.py`` are the policy. Sign-in lockout,
the session timeouts (middleware) and the password validator all call ``current_policy()``.

``FIELDS`` lists each number with the setting that is its default and the range the policy page
accepts (the lower bounds are the floors of DOMAIN_RULES.md "Security").
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Field:
    name: str
    setting: str
    minimum: int
    maximum: int


FIELDS = (
    Field("lockout_failures", "LOCKOUT_FAILURES", 1, 10),
    Field("lockout_minutes", "LOCKOUT_MINUTES", 1, 24 * 60),
    Field("idle_timeout_minutes", "IDLE_TIMEOUT_MINUTES", 1, 8 * 60),
    Field("admin_idle_timeout_minutes", "ADMIN_IDLE_TIMEOUT_MINUTES", 1, 8 * 60),
    Field("session_absolute_hours", "SESSION_ABSOLUTE_HOURS", 1, 24),
    Field("password_min_length", "PASSWORD_MIN_LENGTH", 8, 128),
    Field("admin_password_min_length", "ADMIN_PASSWORD_MIN_LENGTH", 12, 128),
)


def defaults() -> dict:
    """The policy the environment settings describe."""
    return {f.name: getattr(settings, f.setting) for f in FIELDS}


def current_policy():
    """The policy in force: the stored row, or an unsaved one holding the settings' defaults."""
    from taizhang.accounts.models import SecurityPolicy

    return SecurityPolicy.objects.filter(pk=1).first() or SecurityPolicy(pk=1, **defaults())
