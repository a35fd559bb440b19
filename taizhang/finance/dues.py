"""Party dues (党费, DOMAIN_RULES "Dues"): the monthly amount from a member's base and the table in force,
payments for months, arrears and the warning before six consecutive unpaid months.

* ``monthly_fen(base, month)`` — exact: the base × the band's rate, rounded half up to the fen; flat
  bases pay their fixed amount.
* Months are the 1st of each month. A member owes from the month their first base applies (never
  before registration) to the current month; a payment covers ``months`` months from ``period_from``.
* ``DUES_WARNING_MONTHS`` (setting ``TAIZHANG_DUES_WARNING_MONTHS``, default 5): a member this many
  consecutive months unpaid is flagged, before the six months that count as leaving the party.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_log
from taizhang.core.money import yuan
from taizhang.core.months import add_months, month_start, months_between
from taizhang.core.permissions import EDIT, allows, has_capability
from taizhang.finance.models import DuesBase, DuesBracket, DuesKind, DuesPayment, DuesSettings, GiftMethod
from taizhang.members.services import member_contact_touch

VOLUNTARY_ABOVE_FEN = 100_000  # a voluntary one-off payment above 1000 元 goes to the central organisation


def warning_months() -> int:
    return getattr(settings, "DUES_WARNING_MONTHS", 5)


def dues_settings(committee_id) -> DuesSettings:
    return DuesSettings.objects.filter(committee_id=committee_id).first() or DuesSettings(committee_id=committee_id)


def collects_dues(committee_id) -> bool:
    return dues_settings(committee_id).collects_dues


def _table(month: datetime.date, kind: str, brackets=None) -> list:
    rows = brackets if brackets is not None else list(DuesBracket.objects.all())
    days = sorted({b.effective_from for b in rows if b.kind == kind and b.effective_from <= month}, reverse=True)
    if not days:
        return []
    bands = [b for b in rows if b.kind == kind and b.effective_from == days[0]]
    return sorted(bands, key=lambda b: (b.up_to_fen is None, b.up_to_fen or 0))


def monthly_fen(base: DuesBase, month: datetime.date, brackets=None) -> int:
    """What ``base`` pays for ``month`` (integer fen)."""
    if base.kind in (DuesKind.FLAT, DuesKind.FARMER):
        return int(base.flat_fen)
    for band in _table(month, base.kind, brackets):
        if band.up_to_fen is None or base.income_fen <= band.up_to_fen:  # each band includes its upper bound
            amount = Decimal(base.income_fen) * Decimal(band.rate_bp) / Decimal(10_000)
            return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    raise ValidationError(_("No dues table applies to %(month)s.") % {"month": month.strftime("%Y-%m")})


def _require(actor, member, purpose=EDIT):
    if not has_capability(actor, "finance.view", member.committee_id) and not has_capability(
            actor, "finance.manage", member.committee_id):
        raise PermissionDenied(_("Your role cannot record party dues."))
    if not has_capability(actor, "finance.manage", member.committee_id) and not allows(
            actor, purpose, committee_id=member.committee_id, branch_id=member.branch_id):
        raise PermissionDenied(_("Your role cannot record party dues of this member."))
    if not collects_dues(member.committee_id):
        raise PermissionDenied(_("This committee does not collect party dues (a setting on the dues page)."))


@transaction.atomic
def dues_base_set(*, actor, member, kind: str, applies_from: datetime.date, income_fen: int | None = None,
                  flat_fen: int | None = None) -> DuesBase:
    """Record the member's dues base from ``applies_from`` on (a new row; the old ones stay)."""
    _require(actor, member)
    errors = {}
    if kind not in DuesKind.values:
        errors["kind"] = [_("Choose the kind of base.")]
    if applies_from is None:
        errors["applies_from"] = [_("Enter the date the base applies from.")]
    elif applies_from > timezone.localdate():
        errors["applies_from"] = [_("The base cannot apply from a future date; record it when it is known.")]
    if kind in (DuesKind.EMPLOYED, DuesKind.RETIRED):
        if income_fen is None or income_fen < 0:
            errors["income_fen"] = [_("Enter the monthly income after tax (or the pension) in yuan.")]
        flat_fen = None
    elif kind in (DuesKind.FLAT, DuesKind.FARMER):
        if kind == DuesKind.FLAT:
            flat_fen = dues_settings(member.committee_id).flat_fen
        elif flat_fen is None or not 20 <= flat_fen <= 100:
            errors["flat_fen"] = [_("A farmer pays between 0.20 and 1.00 yuan a month.")]
        income_fen = None
    if errors:
        raise ValidationError(errors)
    base = DuesBase.objects.create(member=member, kind=kind, income_fen=income_fen, flat_fen=flat_fen,
                                   applies_from=applies_from, recorded_by=actor)
    audit_log(actor=actor, action="finance.dues_base_set", obj=member,
              new={"kind": kind, "income": yuan(income_fen) if income_fen is not None else None,
                   "flat": yuan(flat_fen) if flat_fen else None, "applies_from": applies_from})
    return base


@transaction.atomic
def dues_pay(*, actor, member, period_from: datetime.date, months: int, amount_fen: int, paid_on: datetime.date,
             method: str = GiftMethod.CASH, paid_by: str = "", voluntary: bool = False) -> DuesPayment:
    """Record a payment of dues for ``months`` months from ``period_from``. A payment is contact with the
    member (DOMAIN_RULES "Flow and contact": lost contact counts from the last organisational life or the last
    dues payment), so it moves the member's last-contact date forward to ``paid_on``."""
    _require(actor, member)
    errors = {}
    if not isinstance(months, int) or not 1 <= months <= 24:
        errors["months"] = [_("A payment covers between 1 and 24 months.")]
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = [_("The amount must be more than 0 yuan.")]
    if paid_on is None or paid_on > timezone.localdate():
        errors["paid_on"] = [_("Enter the date paid (not in the future).")]
    if period_from is None:
        errors["period_from"] = [_("Choose the first month the payment is for.")]
    if method not in GiftMethod.values:
        errors["method"] = [_("Choose how the dues were paid.")]
    if voluntary and isinstance(amount_fen, int) and amount_fen <= VOLUNTARY_ABOVE_FEN:
        errors["voluntary"] = [_("A voluntary payment to the central organisation is one above 1000 yuan.")]
    if errors:
        raise ValidationError(errors)
    payment = DuesPayment.objects.create(member=member, period_from=month_start(period_from), months=months,
                                         amount_fen=amount_fen, paid_on=paid_on, method=method,
                                         paid_by=(paid_by or "").strip()[:50], voluntary=voluntary, recorded_by=actor)
    audit_log(actor=actor, action="finance.dues_pay", obj=member,
              new={"from": payment.period_from, "months": months, "amount": yuan(amount_fen), "paid_on": paid_on,
                   "paid_by": payment.paid_by or None, "voluntary": voluntary})
    member_contact_touch(member_ids=[member.pk], day=paid_on)
    return payment


def last_dues_payment_day(member) -> datetime.date | None:
    """The ledger's contact source (``members.hooks.contact_source``): the day of the member's latest dues
    payment."""
    return DuesPayment.objects.filter(member=member).aggregate(day=Max("paid_on"))["day"]


# --- reads ------------------------------------------------------------------------------------------------


@dataclass
class DuesRow:
    member: object
    due: dict = field(default_factory=dict)  # month -> fen owed
    paid: set = field(default_factory=set)  # months covered by a payment
    paid_fen: int = 0
    voluntary_fen: int = 0
    base: object = None

    @property
    def months(self):
        return sorted(self.due)

    @property
    def due_fen(self) -> int:
        return sum(self.due.values())

    @property
    def unpaid(self) -> list:
        return [m for m in self.months if m not in self.paid]

    @property
    def arrears_fen(self) -> int:
        return sum(self.due[m] for m in self.unpaid)

    @property
    def unpaid_run(self) -> int:
        """Consecutive unpaid months up to the last month shown."""
        run = 0
        for m in reversed(self.months):
            if m in self.paid:
                break
            run += 1
        return run

    @property
    def warn(self) -> bool:
        return self.unpaid_run >= warning_months()


def dues_rows(members, *, start: datetime.date, end: datetime.date) -> list[DuesRow]:
    """Per member (a list, e.g. one page of the ledger): months owed in [start, end], months paid, totals.
    Three queries whatever the number of members."""
    members = list(members)
    ids = [m.pk for m in members]
    brackets = list(DuesBracket.objects.all())
    bases = {}
    for base in DuesBase.objects.filter(member_id__in=ids, applies_from__lte=end).order_by("applies_from", "id"):
        bases.setdefault(base.member_id, []).append(base)
    payments = {}
    for p in DuesPayment.objects.filter(member_id__in=ids, period_from__lte=end):
        payments.setdefault(p.member_id, []).append(p)
    rows = []
    for member in members:
        row = DuesRow(member)
        history = bases.get(member.pk, [])
        row.base = history[-1] if history else None
        for month in months_between(start, end):
            applying = [b for b in history if month_start(b.applies_from) <= month]
            if applying:
                row.due[month] = monthly_fen(applying[-1], month, brackets)
        for p in payments.get(member.pk, []):
            covered = {add_months(p.period_from, i) for i in range(p.months)}
            if p.voluntary:
                row.voluntary_fen += p.amount_fen
                continue
            row.paid |= covered
            if add_months(p.period_from, p.months) > start:
                row.paid_fen += p.amount_fen
        rows.append(row)
    return rows
