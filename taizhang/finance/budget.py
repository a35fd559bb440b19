"""The annual budget and its expenses (经费预算与支出): services and selectors in one module.

* A committee's budget for a year has one line per allowed use (``BudgetUse``, data); a line's planned
  amount changes only through ``budget_line_set``, which keeps each revision (who, when, why).
* An expense rests on a collective decision (a recorded meeting, e.g. a 支委会, or one entered by hand),
  is recorded by one person and approved by another (four eyes, also a database constraint). Saving an
  expense that would take its line over the plan needs an explicit confirmation; it is marked.
* Nothing is edited or deleted: a correction is a reversing expense of the negative amount.
* Actual against budget (``budget_report``): per line and in total for any period of the year, planned,
  spent (approved expenses), pending, rest — SQL sums in integer fen.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.attachments import StoredFiles, clean_files
from taizhang.core.audit import audit_log
from taizhang.core.money import yuan
from taizhang.core.permissions import has_capability
from taizhang.finance.models import (
    DEFAULT_USES,
    Budget,
    BudgetLine,
    BudgetRevision,
    BudgetUse,
    Expense,
    ExpenseScan,
    ExpenseStatus,
)


def _require(actor, committee_id, capability="finance.manage"):
    if actor is not None and not has_capability(actor, capability, committee_id):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))


def budget_uses_seed(*, committee, actor=None) -> list[BudgetUse]:
    """Committee set-up step: the allowed uses of DOMAIN_RULES "Money" (missing ones only)."""
    existing = set(BudgetUse.objects.filter(committee=committee).values_list("code", flat=True))
    made = [BudgetUse.objects.create(committee=committee, code=code, name=name, sort_order=i)
            for i, (code, name) in enumerate(DEFAULT_USES, start=1) if code not in existing]
    return made


@transaction.atomic
def budget_get_or_create(*, actor, committee, year: int) -> Budget:
    """The year's budget, created (with a line of 0 for every use in use) the first time it is opened."""
    _require(actor, committee.pk)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": [_("Choose a year between 2000 and 2100.")]})
    budget = Budget.objects.filter(committee=committee, year=year).first()
    if budget is not None:
        return budget
    if not BudgetUse.objects.filter(committee=committee).exists():
        budget_uses_seed(committee=committee)
    budget = Budget.objects.create(committee=committee, year=year, created_by=actor)
    BudgetLine.objects.bulk_create(BudgetLine(budget=budget, use=use, planned_fen=0)
                                   for use in BudgetUse.objects.filter(committee=committee, active=True))
    audit_log(actor=actor, action="finance.budget_create", obj=budget, new={"year": year})
    return budget


@transaction.atomic
def budget_line_set(*, actor, line: BudgetLine, planned_fen: int, reason: str) -> BudgetLine:
    """Change a line's planned amount; the revision keeps the old and the new amount and the reason."""
    line = BudgetLine.objects.select_for_update(of=("self",)).select_related("budget", "use").get(pk=line.pk)
    _require(actor, line.budget.committee_id)
    reason = (reason or "").strip()
    errors = {}
    if not isinstance(planned_fen, int) or planned_fen < 0:
        errors["planned_fen"] = [_("The planned amount cannot be negative.")]
    if not reason:
        errors["reason"] = [_("Say why the plan changes (e.g. the committee meeting that decided it).")]
    if errors:
        raise ValidationError(errors)
    if planned_fen == line.planned_fen:
        return line
    BudgetRevision.objects.create(line=line, old_fen=line.planned_fen, new_fen=planned_fen, reason=reason[:200],
                                  revised_by=actor)
    audit_log(actor=actor, action="finance.budget_line_set", obj=line,
              old={"planned": yuan(line.planned_fen)}, new={"planned": yuan(planned_fen), "reason": reason})
    BudgetLine.objects.filter(pk=line.pk).update(planned_fen=planned_fen)
    line.planned_fen = planned_fen
    return line


def _committed_fen(line) -> int:
    """Approved and pending expenses on the line (what it already carries)."""
    return Expense.objects.filter(line=line).aggregate(n=Coalesce(Sum("amount_fen"), 0))["n"]


@transaction.atomic
def expense_record(*, actor, line: BudgetLine, spent_on: datetime.date, amount_fen: int, payee: str,
                   description: str, decided_on: datetime.date, decision_activity=None, decision: str = "",
                   receipt_no: str = "", confirm_over_budget: bool = False, scans=(), activity=None) -> Expense:
    """Record an expense (awaiting approval by someone else), with scans of its receipt or invoice
    (checked like every attachment; a refused file names itself and nothing is written). ``activity``:
    the activity whose cost it is (booked from the activity's page), of the same committee."""
    line = BudgetLine.objects.select_for_update(of=("self",)).select_related("budget", "use").get(pk=line.pk)
    committee_id = line.budget.committee_id
    _require(actor, committee_id)
    payee, description = (payee or "").strip(), (description or "").strip()
    decision, receipt_no = (decision or "").strip(), (receipt_no or "").strip()
    errors = {}
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_("The amount must be more than 0 yuan.")]
    if spent_on is None:
        errors["spent_on"] = [_("Enter the date of the expense.")]
    elif spent_on.year != line.budget.year:
        errors["spent_on"] = [_("The expense is booked to the %(year)s budget: its date must be in %(year)s.")
                              % {"year": line.budget.year}]
    elif spent_on > timezone.localdate():
        errors["spent_on"] = [_("The date of the expense cannot be in the future.")]
    if not payee:
        errors["payee"] = [_("Enter who was paid.")]
    if not description:
        errors["description"] = [_("Say what the money was spent on.")]
    if decision_activity is None and not decision:
        errors["decision"] = [_("Name the collective decision: pick the meeting, or enter the meeting and its date.")]
    if decision_activity is not None and decision_activity.committee_id != committee_id:
        errors["decision_activity"] = [_("The meeting belongs to another committee.")]
    if activity is not None and activity.committee_id != committee_id:
        errors["activity"] = [_("The activity belongs to another committee.")]
    if decided_on is None:
        errors["decided_on"] = [_("Enter the date of the decision.")]
    elif spent_on is not None and decided_on > spent_on:
        errors["decided_on"] = [_("The decision must come before the money is spent.")]
    cleaned_scans = []
    try:
        cleaned_scans = clean_files(scans)
    except ValidationError as exc:
        errors["scans"] = exc.message_dict.get("files", exc.messages)
    if receipt_no and "receipt_no" not in errors:
        # the classic slip: one invoice booked twice (a double submit, or from two places); the line's lock
        # above serialises two requests for the same line, so the second one sees the first
        twin = (Expense.objects.filter(line__budget__committee_id=committee_id, receipt_no=receipt_no[:50],
                                       reverses__isnull=True, reversed_by__isnull=True).first())
        if twin is not None:
            errors["receipt_no"] = [_("The receipt or invoice %(no)s is already booked: %(day)s, %(amount)s yuan to "
                                      "%(payee)s.") % {"no": receipt_no, "day": twin.spent_on,
                                                      "amount": yuan(twin.amount_fen), "payee": twin.payee}]
    over = False
    if not errors:
        rest = line.planned_fen - _committed_fen(line)
        over = amount_fen > rest
        if over and not confirm_over_budget:
            errors["amount_fen"] = [_("This expense takes the line %(use)s over its plan: %(rest)s yuan are left of "
                                      "%(planned)s. Tick the confirmation to record it anyway.")
                                    % {"use": line.use.name, "rest": yuan(rest), "planned": yuan(line.planned_fen)}]
    if errors:
        raise ValidationError(errors)
    expense = Expense.objects.create(
        line=line, spent_on=spent_on, amount_fen=amount_fen, payee=payee[:100], description=description[:300],
        receipt_no=receipt_no[:50], decision_activity=decision_activity, decision=decision[:200],
        decided_on=decided_on, activity=activity, over_budget=over, recorded_by=actor)
    with StoredFiles() as stored:
        for f in cleaned_scans:
            stored.attach(ExpenseScan(expense=expense), f, uploaded_by=actor)
        audit_log(actor=actor, action="finance.expense_record", obj=expense,
                  new={"line": line.use.name, "year": line.budget.year, "amount": yuan(amount_fen), "payee": payee,
                       "spent_on": spent_on, "decided_on": decided_on, "over_budget": over,
                       "activity": activity.pk if activity is not None else None,
                       "scans": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in cleaned_scans]})
    return expense


@transaction.atomic
def expense_approve(*, actor, expense: Expense) -> Expense:
    """Approve an expense: never by the person who recorded it."""
    expense = Expense.objects.select_for_update(of=("self",)).select_related("line__budget").get(pk=expense.pk)
    _require(actor, expense.line.budget.committee_id)
    if expense.recorded_by_id == actor.pk:
        raise ValidationError({"approved_by": [_("An expense is approved by someone other than the person who "
                                                 "recorded it.")]})
    if expense.status == ExpenseStatus.APPROVED:
        raise ValidationError({"status": [_("This expense is already approved.")]})
    Expense.objects.filter(pk=expense.pk).update(status=ExpenseStatus.APPROVED, approved_by=actor,
                                                 approved_at=timezone.now())
    expense.refresh_from_db()
    audit_log(actor=actor, action="finance.expense_approve", obj=expense, new={"amount": yuan(expense.amount_fen)})
    return expense


@transaction.atomic
def expense_reverse(*, actor, expense: Expense, reason: str) -> Expense:
    """Correct an approved expense by a reversing entry (approved at once by the actor, who must not be the
    one who recorded the original)."""
    expense = Expense.objects.select_for_update(of=("self",)).select_related("line__budget").get(pk=expense.pk)
    _require(actor, expense.line.budget.committee_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the expense is reversed.")]})
    if expense.reverses_id is not None or Expense.objects.filter(reverses=expense).exists():
        raise ValidationError({"reason": [_("This expense is already reversed, or is itself a reversal.")]})
    if expense.recorded_by_id == actor.pk:
        raise ValidationError({"reason": [_("An expense is reversed by someone other than the person who recorded it.")]})
    reversal = Expense.objects.create(
        line=expense.line, spent_on=max(expense.spent_on, min(timezone.localdate(),
                                                              datetime.date(expense.line.budget.year, 12, 31))),
        amount_fen=-expense.amount_fen, payee=expense.payee, description=reason[:300],
        receipt_no=expense.receipt_no, decision_activity=expense.decision_activity, decision=expense.decision,
        decided_on=expense.decided_on, activity=expense.activity, status=ExpenseStatus.APPROVED, recorded_by=expense.recorded_by,
        approved_by=actor, approved_at=timezone.now(), reverses=expense)
    audit_log(actor=actor, action="finance.expense_reverse", obj=expense,
              old={"amount": yuan(expense.amount_fen)}, new={"reversal": reversal.pk, "reason": reason})
    return reversal


# --- reads ------------------------------------------------------------------------------------------------


@dataclass
class LineRow:
    line_id: int | None
    use: str
    planned_fen: int
    spent_fen: int
    pending_fen: int

    @property
    def rest_fen(self) -> int:
        return self.planned_fen - self.spent_fen

    @property
    def free_fen(self) -> int:
        """What a new expense may still take without going over (pending expenses count)."""
        return self.planned_fen - self.spent_fen - self.pending_fen

    @property
    def over(self) -> bool:
        return self.spent_fen > self.planned_fen

    @property
    def percent(self) -> int | None:
        return None if not self.planned_fen else self.spent_fen * 100 // self.planned_fen


def budget_report(budget: Budget, *, date_from=None, date_to=None) -> tuple[list[LineRow], LineRow]:
    """Planned, spent (approved) and pending per line, for expenses dated within [date_from, date_to]
    (the whole year by default): one grouped query. Returns (rows, total)."""
    period = Q()
    if date_from:
        period &= Q(expenses__spent_on__gte=date_from)
    if date_to:
        period &= Q(expenses__spent_on__lte=date_to)
    lines = (budget.lines.select_related("use").order_by("use__sort_order", "id")
             .annotate(spent=Coalesce(Sum("expenses__amount_fen", filter=period & Q(expenses__status=ExpenseStatus.APPROVED)), 0),
                       pending=Coalesce(Sum("expenses__amount_fen", filter=period & Q(expenses__status=ExpenseStatus.PENDING)), 0)))
    rows = [LineRow(line.pk, line.use.name, line.planned_fen, line.spent, line.pending) for line in lines]
    total = LineRow(None, _("Total"), sum(r.planned_fen for r in rows), sum(r.spent_fen for r in rows),
                    sum(r.pending_fen for r in rows))
    return rows, total


def activity_expenses_panel(*, activity, user):
    """The activity page's money panel (connected to ``activities.hooks.activity_panel``): the expenses booked for
    the activity (amount, status, reversals) and the link to book its cost; only for the committee's money
    staff (the budget's readers). One query, whatever the number of expenses."""
    if not has_capability(user, "finance.manage", activity.committee_id):
        return None
    expenses = list(Expense.objects.filter(activity=activity).select_related("line__use")
                    .order_by("spent_on", "id"))
    return {"activity": activity, "expenses": expenses,
            "total_fen": sum(e.amount_fen for e in expenses),
            "approved_fen": sum(e.amount_fen for e in expenses if e.status == ExpenseStatus.APPROVED)}
