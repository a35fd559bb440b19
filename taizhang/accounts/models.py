"""People who log in and the roles they hold, each scoped to a committee or one branch."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMITTEE_ADMIN = "committee_admin", _("Committee secretary / member")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    STUDY_MEMBER = "study_member", _("Study committee member")
    MEMBER = "member", _("Party member")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")
    # 上级党组织: the committee's totals on the overview of its superior organisation, no personal data
    SUPERIOR_VIEWER = "superior_viewer", _("Superior organisation (totals only)")
    # 财务: records donation campaigns, gifts and hand-overs (and, later, expenses); sees members' names only
    TREASURER = "treasurer", _("Treasurer")


ADMIN_POSTS = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
BUSINESS_ROLES = {Role.COMMITTEE_ADMIN, Role.BRANCH_SECRETARY, Role.STUDY_MEMBER, Role.MEMBER, Role.SUPERIOR_VIEWER, Role.TREASURER}


class User(AbstractUser):
    """A login. Members who log in are linked from their ledger record (``Member.user``)."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    must_change_password = models.BooleanField(
        _("must change the password"),
        default=False,
        help_text=_("Set for new accounts, passwords reset by an admin and passwords that no longer meet the policy."),
    )
    password_reset_pending = models.BooleanField(
        _("password reset awaiting the security admin"),
        default=False,
        help_text=_("A password set by the system admin works only after the security admin confirms the reset."),
    )
    password_fits_admin_post = models.BooleanField(
        _("password long enough for an admin post"),
        default=False,
        help_text=_("Whether the current password met the admin-post minimum length when it was set."),
    )
    # Elderly mode (适老化): the user's own display choices, so they follow them to any browser.
    large_text = models.BooleanField(_("large text"), default=False)
    high_contrast = models.BooleanField(_("high contrast"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_admin_post(self) -> bool:
        return any(a.role in ADMIN_POSTS for a in self.role_assignments.all())


class RoleAssignment(models.Model):
    """A role held by a user, scoped to the committee (branch empty) or to one branch."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT
    )
    branch = models.ForeignKey(
        "organisation.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty means the whole committee."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "committee", "branch"], name="role_assignment_unique"
            ),
            models.CheckConstraint(
                condition=~Q(role="branch_secretary") | Q(branch__isnull=False),
                name="branch_secretary_needs_branch",
            ),
        ]

    def __str__(self):
        scope = self.branch.name if self.branch_id else self.committee.name
        return f"{self.user} · {self.get_role_display()} · {scope}"


class SecurityPolicy(models.Model):
    """The security policy, one row for the installation, edited by the security admin.

    The environment settings (``LOCKOUT_FAILURES`` …) are the defaults while no row exists; read it only
    through ``taizhang.accounts.policy.current_policy()``.
    """

    lockout_failures = models.PositiveSmallIntegerField(_("failed sign-ins before the account is locked"))
    lockout_minutes = models.PositiveIntegerField(_("lock duration (minutes)"))
    idle_timeout_minutes = models.PositiveIntegerField(_("idle timeout (minutes)"))
    admin_idle_timeout_minutes = models.PositiveIntegerField(_("idle timeout of the admin posts (minutes)"))
    session_absolute_hours = models.PositiveIntegerField(_("longest session (hours)"))
    password_min_length = models.PositiveSmallIntegerField(_("minimum password length"))
    admin_password_min_length = models.PositiveSmallIntegerField(_("minimum password length of the admin posts"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("security policy")
        verbose_name_plural = _("security policy")

    def __str__(self):
        return str(_("security policy"))


class LoginThrottle(models.Model):
    """Consecutive failed sign-ins of one user name (known or not) and the lock they caused.

    One row per user name, locked with ``select_for_update`` while a sign-in is checked, so parallel
    attempts are counted one after the other.
    """

    username = models.CharField(_("user name"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self):
        return self.username
