"""党员增减: the roster at the start of a period, what came in and went out by reason, and the roster at its end.

Everything is read from the roster projection (``members.RosterSpell``: each member's consecutive spells of
one status and branch, derived from the effective flow events with corrections and the events they voided
left out — ``members.projection``), so the report reads the history exactly as the roster does:

* ``opening`` — the roster at the end of the day before ``start``, ``closing`` — at the end of ``end``: the
  spells with a roster status covering that day, in the user's scope (``composition.roster_spells``; with no
  user every committee, which is what ``manage.py roster --as-of`` counts);
* every spell that begins in [start, end] is a change of the member's state; when the member was not on the
  roster in scope before it (no earlier spell, a status off the roster, or a branch outside the user's
  branches) and is after it, it is an increase; the other way round a decrease. Summed over a member's
  spells these telescope, so ``opening + Σ increase − Σ decrease = closing`` always holds;
* the reason is the kind of flow event that made that change, read from the two spells' states (the flow
  state machine allows one kind for each: ``registered``, ``transferred_out``, ``deceased``; see ``_changes``).
  A move of branch is ``moved_in`` / ``moved_out`` for a branch's view and cancels out for the committee's
  (both spells are in scope, so it is no change at all).

Leaving Beijing, lost contact, suspension and their returns keep a member on the roster (their statuses are
``ROSTER_STATUSES``): ``status_movements`` counts them for the report's second table.

Each function is a fixed handful of grouped queries, whatever the size of the period or the roster.
"""

import datetime
from collections import Counter

from django.db.models import BooleanField, Case, Count, F, FilteredRelation, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from taizhang.core.months import add_months, month_start
from taizhang.core.permissions import committee_ids_for, restrict, scope_q, user_scope
from taizhang.members.models import ROSTER_STATUSES, EventKind, FlowEvent, RosterSpell, Status
from taizhang.reports.composition import roster_spells

ONE_DAY = datetime.timedelta(days=1)
MOVED_IN, MOVED_OUT, OTHER = "moved_in", "moved_out", "other"

# The reasons in the order of the party statistics tables (others, should a history hold them, follow).
INCREASE_REASONS = {
    EventKind.REGISTERED.value: gettext_lazy("Registered (inflow to Beijing)"),
    MOVED_IN: gettext_lazy("Moved in from another branch"),
}
DECREASE_REASONS = {
    EventKind.TRANSFERRED_OUT.value: pgettext_lazy("flow report", "Transferred out"),
    EventKind.DECEASED.value: pgettext_lazy("flow report", "Deceased"),
    MOVED_OUT: gettext_lazy("Moved to another branch"),
}
# Status changes that keep the member on the roster (the second table of the report).
MOVEMENTS = [EventKind.REPORTED, EventKind.LEFT_BEIJING, EventKind.RETURNED, EventKind.LOST_CONTACT,
             EventKind.CONTACT_RESTORED, EventKind.SUSPENDED, EventKind.RESTORED, EventKind.PROBATION_COMPLETED]
def reason_label(direction: str, code: str) -> str:
    """The Chinese label of a reason code (``direction`` "increase" or "decrease")."""
    labels = INCREASE_REASONS if direction == "increase" else DECREASE_REASONS
    if code in labels:
        return str(labels[code])
    if code == OTHER:
        return _("Other")
    try:
        return str(EventKind(code).label)
    except ValueError:
        return code


def branch_view(user) -> bool:
    """Does ``user`` see some branches only (moves between branches then count)? No user: every committee."""
    return user is not None and bool(user_scope(user).branch_ids)


def ordered_reasons(direction: str, counts: dict, *, moves: bool = False) -> list[tuple[str, str, int]]:
    """``[(code, label, n)]``: the usual reasons first (also when 0), then any others that occurred. The moves
    between branches are listed when ``moves`` (a branch's view, ``branch_view``) or when they occurred."""
    known = INCREASE_REASONS if direction == "increase" else DECREASE_REASONS
    known = [c for c in known if moves or c not in (MOVED_IN, MOVED_OUT) or counts.get(c)]
    codes = known + sorted(c for c in counts if c not in known)
    return [(code, reason_label(direction, code), counts.get(code, 0)) for code in codes]


def _in_scope_roster(user, branch: str) -> Q:
    q = Q(status__in=ROSTER_STATUSES)
    if user is not None:
        q &= scope_q(user, committee="committee", branch=branch, member="member")
    return q


def _changes(user, start: datetime.date, end: datetime.date):
    """The spells beginning in [start, end] that moved their member onto or off the roster in scope, with
    ``came_in`` (True: an increase) and ``reason``.

    Each spell is joined with the member's spell before it (the one ending the day it begins; none for the
    member's first). The reason follows from the two states, because the flow state machine
    (``members.flow.TRANSITIONS``) lets only one kind of event make each such change: onto the roster from no
    spell or from 转出 only ``registered``; off it to 转出 ``transferred_out``, to 已故 ``deceased``; from one
    roster status to another across the scope's edge only a move of branch (``moved_in`` / ``moved_out``).
    So no flow event is read: one join per spell, whatever the length of the history."""
    spells = RosterSpell.objects.filter(valid_from__gte=start, valid_from__lte=end)
    if user is not None:
        spells = spells.filter(committee_id__in=committee_ids_for(user))
    spells = spells.annotate(before=FilteredRelation(
        "member__roster_spells", condition=Q(member__roster_spells__valid_to=F("valid_from"))))
    came_in = _in_scope_roster(user, "branch")
    was_in = Q(before__status__in=ROSTER_STATUSES)
    if user is not None:
        was_in &= scope_q(user, committee="committee", branch="before__branch", member="member")
    on_roster_before = Q(before__status__in=ROSTER_STATUSES)
    reason = Case(
        When(came_in & on_roster_before, then=Value(MOVED_IN)),
        When(came_in, then=Value(EventKind.REGISTERED.value)),
        When(status=Status.TRANSFERRED, then=Value(EventKind.TRANSFERRED_OUT.value)),
        When(status=Status.DECEASED, then=Value(EventKind.DECEASED.value)),
        When(status__in=ROSTER_STATUSES, then=Value(MOVED_OUT)),
        default=Value(OTHER),
    )
    def flag(q):
        return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())

    return (
        spells.order_by()
        .annotate(came_in=flag(came_in), was_in=flag(was_in))
        .filter(Q(came_in=True, was_in=False) | Q(came_in=False, was_in=True))
        .annotate(reason=reason)
    )


def roster_count(user, day: datetime.date) -> int:
    """The roster at the end of ``day`` in ``user``'s scope (every committee when None)."""
    return roster_spells(user, day).count()


def _check(start: datetime.date, end: datetime.date) -> None:
    if start > end:
        raise ValueError(_("The end date must not be before the start date."))


def flow_report(user, start: datetime.date, end: datetime.date) -> dict:
    """``{"opening": N, "increase": {reason: N}, "decrease": {reason: N}, "closing": N}`` for [start, end]
    (see the module docstring). Reason codes with no change are left out. Three queries."""
    _check(start, end)
    increase, decrease = Counter(), Counter()
    for came_in, kind, n in (_changes(user, start, end).values("came_in", "reason").annotate(n=Count("pk"))
                             .values_list("came_in", "reason", "n")):
        (increase if came_in else decrease)[kind] += n
    return {
        "opening": roster_count(user, start - ONE_DAY),
        "increase": dict(sorted(increase.items())),
        "decrease": dict(sorted(decrease.items())),
        "closing": roster_count(user, end),
    }


def flow_by_month(user, start: datetime.date, end: datetime.date) -> list[dict]:
    """``flow_report``'s figures for each calendar month meeting [start, end] (the first and last cut to the
    period): ``[{"month": first day, "start", "end", "opening", "increase", "decrease", "closing"}]``; each
    month's closing is the next one's opening. Two queries."""
    _check(start, end)
    rows = {}
    for month, came_in, kind, n in (
        _changes(user, start, end).annotate(month=TruncMonth("valid_from")).values("month", "came_in", "reason")
        .annotate(n=Count("pk")).values_list("month", "came_in", "reason", "n")
    ):
        month = month.date() if isinstance(month, datetime.datetime) else month
        if isinstance(month, str):
            month = datetime.date.fromisoformat(month[:10])
        increase, decrease = rows.setdefault(month, (Counter(), Counter()))
        (increase if came_in else decrease)[kind] += n
    result, count, month = [], roster_count(user, start - ONE_DAY), month_start(start)
    while month <= end:
        increase, decrease = rows.get(month, (Counter(), Counter()))
        closing = count + sum(increase.values()) - sum(decrease.values())
        result.append({
            "month": month, "start": max(month, start), "end": min(add_months(month, 1) - ONE_DAY, end),
            "opening": count, "increase": dict(sorted(increase.items())),
            "decrease": dict(sorted(decrease.items())), "closing": closing,
        })
        count, month = closing, add_months(month, 1)
    return result


def status_movements(user, start: datetime.date, end: datetime.date) -> dict:
    """``{kind: N}``: the effective flow events of ``MOVEMENTS`` in [start, end] (changes of status that keep
    the member on the roster), of the members in scope by the branch the event left them in. One query."""
    events = FlowEvent.objects.effective().filter(effective_date__gte=start, effective_date__lte=end,
                                                  kind__in=MOVEMENTS)
    if user is not None:
        events = restrict(events, user, committee="member__committee", branch="branch_after", member="member")
    counts = dict(events.order_by().values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return {kind.value: counts.get(kind.value, 0) for kind in MOVEMENTS}


def movement_label(kind: str) -> str:
    """The label of a status change of ``MOVEMENTS`` in the report's second table."""
    return _("Status change: %(event)s") % {"event": EventKind(kind).label}
