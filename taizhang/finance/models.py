"""Money (经费): donation campaigns and their gifts and hand-overs. Amounts are integer fen (core/money.py).

Nothing here is edited or deleted once written: a wrong gift is cancelled by a reversing gift (the
same giver, the negative amount, pointing at the one it reverses), so every total is a plain SQL sum.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from taizhang.core.models import CheckedFile
from taizhang.core.money import yuan


class GiftMethod(models.TextChoices):
    WECHAT = "wechat", _("WeChat transfer")
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")
    ALIPAY = "alipay", _("Alipay")


class Campaign(models.Model):
    """A donation campaign (捐款): a purpose, a start, a deadline and an optional target."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    title = models.CharField(_("title"), max_length=100)
    purpose = models.TextField(_("purpose"), max_length=2000)
    starts_on = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    target_fen = models.BigIntegerField(_("target"), null=True, blank=True)
    outsiders_allowed = models.BooleanField(_("people outside the ledger may give"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("donation campaign")
        verbose_name_plural = _("donation campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=F("starts_on")), name="campaign_deadline_after_start"),
            models.CheckConstraint(condition=Q(target_fen__isnull=True) | Q(target_fen__gt=0), name="campaign_target_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def target(self) -> str:
        return yuan(self.target_fen)


class Gift(models.Model):
    """One gift: from a member of the ledger or from someone named outside it. A gift received after the
    deadline is accepted and marked late (迟到捐款). A reversal (``reverses``) cancels a wrong gift."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="gifts")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="gifts")
    giver_name = models.CharField(_("giver"), max_length=50)
    amount_fen = models.BigIntegerField(_("amount"))
    received_on = models.DateField(_("date received"))
    method = models.CharField(_("method"), max_length=10, choices=GiftMethod.choices)
    receipt_no = models.CharField(_("receipt number"), max_length=50, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    late = models.BooleanField(_("late gift"), default=False)
    thanks_opt_out = models.BooleanField(_("leave off the thank-you list"), default=False)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["campaign", "received_on"])]
        constraints = [
            # a gift is positive; only a reversal is negative
            models.CheckConstraint(condition=Q(reverses__isnull=True, amount_fen__gt=0)
                                   | Q(reverses__isnull=False, amount_fen__lt=0), name="gift_amount_sign"),
        ]

    def __str__(self):
        return f"{self.giver_name} {yuan(self.amount_fen)}"

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)


class Handover(models.Model):
    """Money passed on to the cause (donations are not the committee's funds): date, amount, receipt."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT,
                                 related_name="handovers")
    handed_on = models.DateField(_("date handed over"))
    amount_fen = models.BigIntegerField(_("amount"))
    recipient = models.CharField(_("recipient"), max_length=100)
    receipt_no = models.CharField(_("receipt number"), max_length=50, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["handed_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="handover_amount_positive")]

    def __str__(self):
        return f"{self.recipient} {yuan(self.amount_fen)}"

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)


# --- the annual budget and its expenses ------------------------------------------------------------------

# DOMAIN_RULES "Money": the allowed uses of the organisation's funds. Seeded for every committee; the list
# is data (a committee may add, rename or retire uses).
DEFAULT_USES = [
    ("training", "教育培训"),
    ("newspapers", "报刊和学习资料"),
    ("commendation", "表彰奖励"),
    ("care", "困难党员帮扶和老党员慰问"),
    ("relief", "抗灾救灾"),
]


class BudgetUse(models.Model):
    """An allowed use of the committee's funds (a budget line's kind)."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("use"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("allowed use of funds")
        verbose_name_plural = _("allowed uses of funds")
        ordering = ["committee_id", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "code"], name="budget_use_code_unique")]

    def __str__(self):
        return self.name


class Budget(models.Model):
    """A committee's budget for one year."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="budget_year_unique")]

    def __str__(self):
        return f"{self.year}"


class BudgetLine(models.Model):
    """The planned amount of one use in one year's budget; every change is a ``BudgetRevision``."""

    budget = models.ForeignKey(Budget, verbose_name=_("budget"), on_delete=models.PROTECT, related_name="lines")
    use = models.ForeignKey(BudgetUse, verbose_name=_("use"), on_delete=models.PROTECT, related_name="lines")
    planned_fen = models.BigIntegerField(_("planned"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["budget_id", "use__sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "use"], name="budget_line_use_unique"),
            models.CheckConstraint(condition=Q(planned_fen__gte=0), name="budget_line_planned_not_negative"),
        ]

    def __str__(self):
        return f"{self.budget.year} {self.use.name}"


class BudgetRevision(models.Model):
    """A change of a line's planned amount: who, when, why (the first one sets it)."""

    line = models.ForeignKey(BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT,
                             related_name="revisions")
    old_fen = models.BigIntegerField(_("before"), null=True, blank=True)
    new_fen = models.BigIntegerField(_("after"))
    reason = models.CharField(_("reason"), max_length=200)
    revised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revised by"), on_delete=models.PROTECT,
                                   related_name="+")
    revised_at = models.DateTimeField(_("revised at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget revision")
        verbose_name_plural = _("budget revisions")
        ordering = ["line_id", "revised_at", "id"]

    def __str__(self):
        return f"{self.line} {yuan(self.old_fen)} → {yuan(self.new_fen)}"


class ExpenseStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")


class Expense(models.Model):
    """An expense against a budget line, resting on a collective decision (a recorded meeting or one
    entered by hand), recorded by one person and approved by another. Never edited or deleted: a
    correction is a reversing expense (negative amount) pointing at the one it corrects."""

    line = models.ForeignKey(BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT,
                             related_name="expenses")
    spent_on = models.DateField(_("date"))
    amount_fen = models.BigIntegerField(_("amount"))
    payee = models.CharField(_("payee"), max_length=100)
    description = models.CharField(_("description"), max_length=300)
    receipt_no = models.CharField(_("receipt or invoice number"), max_length=50, blank=True)
    decision_activity = models.ForeignKey("activities.Activity", verbose_name=_("decided at meeting"), null=True,
                                          blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=200, blank=True,
                                help_text=_("The meeting that decided it and its date, when it is not recorded as an activity."))
    decided_on = models.DateField(_("decided on"))
    # the activity whose cost this is, when booked from the activity's page (its reversal points there too)
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activity"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    over_budget = models.BooleanField(_("over its line when recorded"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.PENDING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["line", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(reverses__isnull=True, amount_fen__gt=0)
                                   | Q(reverses__isnull=False, amount_fen__lt=0), name="expense_amount_sign"),
            # four eyes: the approver is never the recorder
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("recorded_by")),
                                   name="expense_four_eyes"),
        ]

    def __str__(self):
        return f"{self.spent_on} {self.payee} {yuan(self.amount_fen)}"


# --- party dues (党费) ---------------------------------------------------------------------------------


class DuesKind(models.TextChoices):
    EMPLOYED = "employed", _("Monthly pay after tax")
    RETIRED = "retired", _("Pension")
    FLAT = "flat", _("Student, unemployed or on relief (fixed amount)")
    FARMER = "farmer", _("Farmer (fixed amount)")


class DuesBracket(models.Model):
    """One band of the dues table (DOMAIN_RULES "Dues"): for ``kind`` a monthly base up to ``up_to_fen``
    (inclusive; empty = no upper bound) pays ``rate_bp`` basis points (50 = 0.5 %). A table is the set
    of bands with one ``effective_from``; the newest table on or before a month applies to it."""

    effective_from = models.DateField(_("effective from"))
    kind = models.CharField(_("kind of base"), max_length=10, choices=DuesKind.choices)
    up_to_fen = models.BigIntegerField(_("up to"), null=True, blank=True)
    rate_bp = models.PositiveIntegerField(_("rate (basis points)"))

    class Meta:
        verbose_name = _("dues bracket")
        verbose_name_plural = _("dues brackets")
        ordering = ["-effective_from", "kind", models.F("up_to_fen").asc(nulls_last=True)]
        constraints = [models.UniqueConstraint(fields=["effective_from", "kind", "up_to_fen"],
                                               name="dues_bracket_unique")]

    def __str__(self):
        return f"{self.effective_from} {self.kind} ≤{yuan(self.up_to_fen)} {self.rate_bp}bp"


class DuesSettings(models.Model):
    """Whether the committee collects dues at all (many mobile members pay at home): off hides the pages."""

    committee = models.OneToOneField("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                     related_name="+")
    collects_dues = models.BooleanField(_("the committee collects party dues"), default=False)
    flat_fen = models.PositiveIntegerField(_("fixed monthly amount"), default=20)

    class Meta:
        verbose_name = _("dues settings")
        verbose_name_plural = _("dues settings")

    def __str__(self):
        return str(self.committee_id)


class DuesBase(models.Model):
    """A member's dues base from a date on (history: the newest on or before a month applies)."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="dues_bases")
    kind = models.CharField(_("kind of base"), max_length=10, choices=DuesKind.choices)
    income_fen = models.BigIntegerField(_("monthly income"), null=True, blank=True)
    flat_fen = models.PositiveIntegerField(_("fixed monthly amount"), null=True, blank=True)
    applies_from = models.DateField(_("applies from"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dues base")
        verbose_name_plural = _("dues bases")
        ordering = ["member_id", "-applies_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["employed", "retired"], income_fen__gte=0)
                                   | Q(kind__in=["flat", "farmer"], flat_fen__gt=0), name="dues_base_amount"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.kind} {self.applies_from}"


class DuesPayment(models.Model):
    """Dues paid for ``months`` months from ``period_from`` (the 1st of a month), possibly by someone else
    (代缴). A voluntary one-off payment above 1000 元 goes wholly to the central organisation."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="dues_payments")
    period_from = models.DateField(_("first month"))
    months = models.PositiveSmallIntegerField(_("months"))
    amount_fen = models.BigIntegerField(_("amount"))
    paid_on = models.DateField(_("date paid"))
    method = models.CharField(_("method"), max_length=10, choices=GiftMethod.choices)
    paid_by = models.CharField(_("paid on behalf by"), max_length=50, blank=True)
    voluntary = models.BooleanField(_("voluntary payment to the central organisation"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dues payment")
        verbose_name_plural = _("dues payments")
        ordering = ["member_id", "period_from", "id"]
        indexes = [models.Index(fields=["member", "period_from"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="dues_payment_positive"),
            models.CheckConstraint(condition=Q(months__gte=1, months__lte=24), name="dues_payment_months"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.period_from} ×{self.months}"


def expense_scan_path(instance, filename: str) -> str:
    """``expense_scans/<year>/<random>.<ext>``: the original name is kept in the row."""
    import os
    import uuid

    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"expense_scans/{instance.expense.spent_on.year}/{uuid.uuid4().hex[:16]}{ext}"


class ExpenseScan(CheckedFile):
    """A scan or photo of an expense's receipt or invoice (checked like every attachment: type, size,
    content matching the name), downloaded only by the committee's money staff, each download audited."""

    expense = models.ForeignKey(Expense, verbose_name=_("expense"), on_delete=models.PROTECT, related_name="scans")
    file = models.FileField(_("file"), upload_to=expense_scan_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt scan")
        verbose_name_plural = _("receipt scans")
        ordering = ["expense_id", "id"]
