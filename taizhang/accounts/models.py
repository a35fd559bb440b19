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


ADMIN_POSTS = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
# Roles whose scope is a branch (or the whole committee when no branch is given).
BRANCH_SCOPED_ROLES = {Role.BRANCH_SECRETARY, Role.STUDY_MEMBER}


class User(AbstractUser):
    """A login. Members who log in are linked from their ledger record (``Member.user``)."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
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
