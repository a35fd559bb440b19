"""The organisation tree: committee (党委) → regional branches (片区支部) → optional party groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Superior(models.Model):
    """A superior party organisation (上级党组织, e.g. a district's organisation department) above several
    committees. Its people see the committees' totals (``reports.overview``), never their members, unless
    a committee also gives them a role of its own."""

    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("superior organisation")
        verbose_name_plural = _("superior organisations")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Committee(models.Model):
    """A mobile party members committee (流动党员党委)."""

    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100, unique=True)
    founded_on = models.DateField(_("founded on"))
    superior = models.ForeignKey(
        Superior, verbose_name=_("superior organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="committees",
    )

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["id"]

    def __str__(self):
        return self.name


class Branch(models.Model):
    """A regional branch (片区党支部) drawn along Beijing's districts."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="branches"
    )
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["committee_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "code"], name="branch_code_unique"),
            models.UniqueConstraint(fields=["committee", "name"], name="branch_name_unique"),
        ]

    def __str__(self):
        return self.name


class District(models.Model):
    """A Beijing district and the branch it maps to (editable data, DOMAIN_RULES.md "Members")."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="districts"
    )
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=20)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="districts"
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="district_name_unique"),
        ]

    def __str__(self):
        return self.name


class PartyGroup(models.Model):
    """An optional party group (党小组) inside a branch."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="groups"
    )
    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)

    class Meta:
        verbose_name = _("party group")
        verbose_name_plural = _("party groups")
        ordering = ["branch_id", "id"]
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="group_name_unique")]

    def __str__(self):
        return f"{self.branch.name} · {self.name}"


# Default district → branch mapping (DOMAIN_RULES.md). Used to seed a committee; editable afterwards.
DEFAULT_BRANCHES = [
    ("east", "东部片区支部", ["东城区", "朝阳区", "通州区", "顺义区", "平谷区"]),
    ("central", "中部片区支部", ["西城区", "海淀区", "昌平区", "延庆区", "怀柔区", "密云区"]),
    ("west", "西部片区支部", ["丰台区", "石景山区", "门头沟区", "房山区", "大兴区"]),
]
