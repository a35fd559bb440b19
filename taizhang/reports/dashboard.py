"""The dashboard (看板, issue 14): the committee at a glance for the user's scope on any as-of day.

Every panel is a table (the accessible reading, what the print view shows and what the export writes) and
the description of the chart drawn from it (``Panel.chart``): the page puts the charts' data into the page
with ``json_script`` and ``static/js/dashboard.js`` draws every chart with ECharts' SVG renderer.

Who sees it: the holders of ``reports.view`` (committee admin: the committee; a branch secretary: the
branch — every number is counted over ``core.permissions.restrict`` of the user's scope; the roster spells
by the branch they were in that day, as ``reports.composition`` and ``reports.flow`` count them). The admin posts and
plain members get no dashboard.

Cost: every number is a SQL aggregate; the page costs the same few queries for 6 members or 200,000. The
panels are cached under the generations of the committee's data they read (``core.generations``: every write
that changes a kind of data gives the committee a new generation of it in its own transaction), the user's
scope and the day: the roster panels (the trend, the composition, the flow, the contact warnings) under the
roster's; activities under the roster's and the activities' (activities and attendance); points under the
roster's and the points' (every entry); care under the roster's and care's (visits, subscriptions). Only the
budget (a committee's few budget lines) is read on every request.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from taizhang.activities import reports as activity_reports
from taizhang.activities import tallies
from taizhang.activities.models import Attendance, AttendanceStatus
from taizhang.care.models import Subscription, SubscriptionStatus, Visit
from taizhang.care.selectors import CARED_STATUSES
from taizhang.core import generations as core_generations
from taizhang.core.months import add_months, month_start, months_between
from taizhang.core.permissions import VIEW, has_capability, home_committee_for, restrict, user_scope
from taizhang.finance.budget import budget_report
from taizhang.finance.models import Budget
from taizhang.members.models import ROSTER_STATUSES, RosterSpell, Status
from taizhang.members.selectors import contact_warning_months, lost_contact_months, months_before, years_ago
from taizhang.organisation.models import Branch
from taizhang.points.models import PointEntry
from taizhang.points.selectors import points_settings
from taizhang.reports import composition, flow

CAPABILITY = "reports.view"  # the statistics reports' capability (core.permissions)
ACTIVITY_MONTHS = 12  # activity participation: the months up to the as-of day's
FLOW_MONTHS = 12  # increase and decrease: the months up to the as-of day's
ELDERLY_BANDS = ("60-69", "70plus")  # the keys of ``composition.age_bands`` from ELDERLY_AGE on
# the composition panels: dimension key (``reports.composition.DIMENSIONS``) → chart
COMPOSITION = {"branch": "bar", "category": "pie", "age_band": "bar", "gender": "pie", "education": "hbar",
               "party_age_band": "bar", "ethnicity": "hbar"}


@dataclass
class Panel:
    """One panel: a table (``header``, ``rows``; the first column labels the row, ``total`` the sum row) and
    its chart: ``chart`` (line, bar, stacked, pie, hbar) drawn from the columns ``series`` (indexes into the
    header) over the rows' labels."""

    key: str
    title: str
    header: list
    rows: list
    chart: str = "bar"
    series: list = field(default_factory=lambda: [1])
    total: list | None = None
    note: str = ""
    wide: bool = False
    chart_override: dict | None = None  # the chart's own data when the table is shaped otherwise

    @property
    def table_below(self) -> bool:
        """A table of many columns goes under its chart, not beside it."""
        return len(self.header) > 5

    def chart_data(self) -> dict:
        if self.chart_override is not None:
            return {"type": self.chart, "title": self.title, **self.chart_override}
        return {
            "type": self.chart,
            "title": self.title,
            "categories": [str(row[0]) for row in self.rows],
            "series": [{"name": str(self.header[i]), "data": [row[i] for row in self.rows]} for i in self.series],
        }


@dataclass
class Dashboard:
    committee: object
    day: datetime.date
    scope_label: str
    roster: int
    panels: list

    def charts(self) -> dict:
        return {panel.key: panel.chart_data() for panel in self.panels}


def dashboard_committee(user):
    """The committee whose dashboard ``user`` sees, or ``PermissionDenied`` for the roles that get none."""
    return home_committee_for(user, CAPABILITY, _("Your role does not give access to the dashboard."))


def may_see(user) -> bool:
    return has_capability(user, CAPABILITY)


# --- helpers ----------------------------------------------------------------------------------------------


def month_label(month: datetime.date) -> str:
    return f"{month.year}-{month.month:02d}"


def _as_month(value) -> datetime.date:
    return month_start(tallies.as_date(value))


def scope_spells(user, committee):
    """All roster spells of the committee in ``user``'s scope, by the branch of the spell (the branch that day),
    as ``reports.composition`` and ``reports.flow`` scope them: a branch's dashboard on a past day counts whoever
    was in the branch that day."""
    spells = RosterSpell.objects.filter(committee=committee)
    return restrict(spells, user, VIEW, committee="committee", branch="branch", member="member")


def spells_on(user, committee, day: datetime.date):
    """The spells on the roster on ``day`` in ``user``'s scope (``composition.roster_spells``)."""
    return composition.roster_spells(user, day).filter(committee=committee)


def _branch_names(committee) -> list[tuple[int, str]]:
    return list(Branch.objects.filter(committee=committee).order_by("sort_order", "id").values_list("pk", "name"))


# --- roster panels (cached under the committee's generation) ------------------------------------------------


def roster_trend(user, committee, day: datetime.date) -> tuple[list, int]:
    """[(month, on the roster at the month's end — on ``day`` for its month)] from the founding, and the roster
    on ``day``. Two grouped queries: the spells starting and ending per month; the running sum of
    starts − ends is the roster (a member is on it on D when a spell started on or before D and has not ended
    on or before D)."""
    spells = scope_spells(user, committee).filter(status__in=ROSTER_STATUSES)
    starts = _month_counts(spells.filter(valid_from__lte=day), TruncMonth("valid_from"))
    ends = _month_counts(spells.filter(valid_to__lte=day), TruncMonth("valid_to"))
    first = min([committee.founded_on, *starts]) if starts else committee.founded_on
    first = min(first, day)
    running, points = 0, []
    for month in months_between(first, day):
        running += starts.get(month, 0) - ends.get(month, 0)
        points.append((month, running))
    return points, running


def _month_counts(queryset, month, **counts) -> dict:
    """{first of the month: n} (or a tuple of ``counts`` when given) of ``queryset`` grouped by ``month``
    (a ``TruncMonth``): one grouped query."""
    counts = counts or {"n": Count("pk")}
    out = {}
    for row in queryset.order_by().values(m=month).annotate(**counts):
        values = tuple(row[k] for k in counts)
        out[_as_month(row["m"])] = values[0] if len(values) == 1 else values
    return out


def _roster_panels(user, committee, day: datetime.date) -> dict:
    """The panels read from the roster alone, as plain data (cached): the trend, the composition by each
    dimension (``reports.composition.compositions``: one query for all), the increase and decrease by month and by
    reason over ``FLOW_MONTHS`` months (``reports.flow``) and the contact warnings."""
    trend, roster = roster_trend(user, committee, day)
    tables = {key: [(row, label, table.row_totals.get(row, 0)) for row, label in table.rows]
              for key, table in composition.compositions(user, day, COMPOSITION).items()}
    start = add_months(day, 1 - FLOW_MONTHS)
    months = flow.flow_by_month(user, start, day)
    increase, decrease = Counter(), Counter()
    for month in months:
        increase.update(month["increase"])
        decrease.update(month["decrease"])
    moves = flow.branch_view(user)
    directions = (("increase", _("Increase"), increase), ("decrease", _("Decrease"), decrease))
    reasons = [(title, label, n) for direction, title, counts in directions
               for _code, label, n in flow.ordered_reasons(direction, counts, moves=moves)]
    movements = [(flow.movement_label(kind), n) for kind, n in flow.status_movements(user, start, day).items()]
    return {
        "trend": trend, "roster": roster, "composition": tables,
        "flow": [(m["month"], sum(m["increase"].values()), sum(m["decrease"].values()), m["closing"]) for m in months],
        "flow_start": start, "reasons": reasons, "movements": movements,
        "warnings": contact_warnings(user, committee, day),
    }


def contact_warnings(user, committee, day: datetime.date) -> dict:
    """Per branch (that day): lost contact (status that day), and — for today only, last contact dates have no
    history — members not lost without contact for ``contact_warning_months`` (warn) and for
    ``lost_contact_months()`` or more, or never (record the loss): two bands that do not overlap. One grouped
    query."""
    today = timezone.localdate()
    counts = {"lost": Count("pk", filter=Q(status=Status.LOST))}
    if day >= today:
        not_lost = ~Q(status=Status.LOST)
        warn_limit = months_before(today, contact_warning_months())
        lost_limit = months_before(today, lost_contact_months())
        # two bands that do not overlap (the chart stacks them): warned but not yet due, and due to be recorded
        counts["warn"] = Count("pk", filter=not_lost & Q(member__last_contact_date__lte=warn_limit,
                                                          member__last_contact_date__gt=lost_limit))
        counts["overdue"] = Count("pk", filter=not_lost & (Q(member__last_contact_date__lte=lost_limit)
                                                           | Q(member__last_contact_date__isnull=True)))
    rows = spells_on(user, committee, day).order_by().values("branch_id").annotate(**counts)
    return {"today": day >= today, "by_branch": {r["branch_id"]: [r.get(k) for k in ("lost", "warn", "overdue")]
                                                 for r in rows}}


def _key_parts(user, committee, day: datetime.date) -> list:
    """What every cached panel depends on besides the data's generations: the days, the committee and the
    user's scope."""
    scope = user_scope(user, VIEW)
    return [day.isoformat(), timezone.localdate().isoformat(), committee.pk, sorted(scope.committee_ids),
            sorted(scope.branch_ids)]


def roster_data(user, committee, day: datetime.date, known: dict | None = None) -> dict:
    parts = ["1", *_key_parts(user, committee, day), contact_warning_months(), lost_contact_months(),
             translation.get_language()]
    return core_generations.cached("dashboard-roster", parts, [committee.pk],
                                   lambda: _roster_panels(user, committee, day), known=known)


# --- panels of activities, points and care (cached under their data's generations too) ----------------------


def activity_months(user, committee, day: datetime.date, known: dict | None = None) -> list[tuple]:
    """[(month, activities held, present attendances)] for the ``ACTIVITY_MONTHS`` months up to ``day``'s: the
    activities the user may see (``activities.reports.held_activities``: held, not cancelled, started by the end
    of ``day``), the present attendances of the members in scope. Two grouped queries, cached under the
    committee's generations of the roster (the members' branches) and of activities (activities and attendance
    writes), the user (whose activities) and the day. (Different members per month, a COUNT DISTINCT, doubled the
    cost of this panel; the statistics reports' tally has them.)"""
    parts = ["1", user.pk, *_key_parts(user, committee, day)]
    return core_generations.cached("dashboard-activities", parts, [committee.pk],
                                   lambda: _activity_months(user, committee, day),
                                   kinds=(core_generations.ROSTER, core_generations.ACTIVITIES), known=known)


def _activity_months(user, committee, day: datetime.date) -> list[tuple]:
    first = add_months(day, 1 - ACTIVITY_MONTHS)
    end = timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
    held = activity_reports.held_activities(user, first, day, now=end).filter(committee=committee)
    tz = timezone.get_current_timezone()
    activities = _month_counts(held, TruncMonth("starts_at", tzinfo=tz))
    # a member attends only their own committee's activities (activities.services), so a committee-wide scope
    # is read on the activity (no join to the members); a branch scope on the member's branch
    present = restrict(Attendance.objects.filter(activity__in=held.values("pk"), status=AttendanceStatus.PRESENT),
                       user, VIEW, committee="activity__committee", branch="member__branch", member="member")
    attended = _month_counts(present, TruncMonth("activity__starts_at", tzinfo=tz))
    return [(m, activities.get(m, 0), attended.get(m, 0)) for m in months_between(first, day)]


def points_buckets(user, committee, day: datetime.date, known: dict | None = None) -> tuple[list, object]:
    """How many members (on the roster on ``day``, in scope) have a points total this year (the annual baseline
    plus the entries from 1 January to ``day``) in each band around the threshold — a distribution, never
    names or a ranking. One query, cached under the committee's generations of the roster and of points (every
    point entry inserted), the user's scope, the day and the bands."""
    config = points_settings(committee.pk)
    threshold, baseline = config.threshold, config.annual_baseline
    step = max(config.participation_needed, 10)
    bands = [
        (None, baseline, _("Below the baseline (%(n)s)") % {"n": baseline}),
        (baseline, threshold, _("%(low)s to %(high)s") % {"low": baseline, "high": threshold - 1}),
        (threshold, threshold + step, _("%(low)s to %(high)s (reached)") % {"low": threshold,
                                                                              "high": threshold + step - 1}),
        (threshold + step, None, _("%(low)s and more") % {"low": threshold + step}),
    ]
    if baseline >= threshold:  # a scheme without baseline below the threshold: no second band
        bands = [(None, threshold, _("Below the threshold (%(n)s)") % {"n": threshold}), *bands[2:]]
    parts = ["1", *_key_parts(user, committee, day), baseline, [(low, high) for low, high, _label in bands]]
    found = core_generations.cached("dashboard-points", parts, [committee.pk],
                                    lambda: _points_bands(user, committee, day, bands, baseline),
                                    kinds=(core_generations.ROSTER, core_generations.POINTS), known=known)
    return [(label, int(found.get(i, 0))) for i, (_low, _high, label) in enumerate(bands)], config


def _points_bands(user, committee, day: datetime.date, bands, baseline: int) -> dict:
    """{band index: members} of ``points_buckets``: one query."""
    try:
        members_sql, members_params = tallies.sql_of(
            spells_on(user, committee, day).order_by().values(mid=F("member_id")))
    except EmptyResultSet:  # nobody in scope
        return {}
    entries = tallies.table(PointEntry)
    q = tallies.q
    date = connection.ops.adapt_datefield_value
    cases, params = [], []
    for i, (low, high, _label) in enumerate(bands):
        conditions = []
        if low is not None:
            conditions.append("t.total >= %s")
            params.append(low)
        if high is not None:
            conditions.append("t.total < %s")
            params.append(high)
        cases.append(f"WHEN {' AND '.join(conditions) or '1 = 1'} THEN {i}")
    sql = (
        f"SELECT CASE {' '.join(cases)} END AS band, COUNT(*) FROM ("
        f"SELECT m.mid, %s + COALESCE(SUM(e.{q('points')}), 0) AS total FROM ({members_sql}) m"
        f" LEFT JOIN {entries} e ON e.{q('member_id')} = m.mid AND e.{q('committee_id')} = %s"
        f" AND e.{q('day')} >= %s AND e.{q('day')} <= %s GROUP BY m.mid) t GROUP BY 1"
    )
    all_params = (*params, baseline, *members_params, committee.pk, date(datetime.date(day.year, 1, 1)), date(day))
    return {int(band): int(n) for band, n in tallies.fetch(sql, all_params)}


def care_coverage(user, committee, day: datetime.date, known: dict | None = None) -> dict:
    """The members aged ``ELDERLY_AGE``+ on ``day`` who are cared for (on the roster, reachable: care's
    ``CARED_STATUSES``) in scope, and of them: visited this year (a counted visit from 1 January to ``day``),
    and with this year's 《人民日报》 (an active subscription of their household, or their own). One query, cached
    under the committee's generations of the roster (spells, birth dates, households) and of care (visits and
    subscriptions), the user's scope and the day."""
    parts = ["1", *_key_parts(user, committee, day), settings.ELDERLY_AGE]
    return core_generations.cached("dashboard-care", parts, [committee.pk],
                                   lambda: _care_coverage(user, committee, day),
                                   kinds=(core_generations.ROSTER, core_generations.CARE), known=known)


def _care_coverage(user, committee, day: datetime.date) -> dict:
    first = datetime.date(day.year, 1, 1)
    visited = Visit.objects.counted().filter(members=OuterRef("member_id"), visited_on__gte=first,
                                             visited_on__lte=day)
    subscribed = Subscription.objects.filter(year=day.year, status=SubscriptionStatus.ACTIVE).filter(
        Q(household_id=OuterRef("member__household_id"), household__isnull=False)
        | Q(recipient_id=OuterRef("member_id")))
    elderly = (spells_on(user, committee, day).filter(status__in=CARED_STATUSES)
               .filter(member__birth_date__lte=years_ago(settings.ELDERLY_AGE, day)))
    return elderly.aggregate(elderly=Count("pk"), visited=Count("pk", filter=Q(Exists(visited))),
                             subscribed=Count("pk", filter=Q(Exists(subscribed))))


def budget_spent(committee, day: datetime.date):
    """The year's budget lines (planned, spent up to ``day``) or None when the committee has no budget for
    ``day``'s year. Nothing is created here (``budget_get_or_create`` is a write)."""
    budget = Budget.objects.filter(committee=committee, year=day.year).first()
    if budget is None:
        return None
    return budget_report(budget, date_to=day)


# --- the dashboard ----------------------------------------------------------------------------------------


def yuan(fen: int) -> Decimal:
    """Fen as exact yuan (money is never a float)."""
    return Decimal(int(fen)).scaleb(-2)


def build(user, day: datetime.date | None = None, *, committee=None) -> Dashboard:
    """The dashboard of ``user`` on ``day`` (today when None): ``PermissionDenied`` for the roles without one.
    ``committee``: ``dashboard_committee(user)`` when the caller has it already."""
    committee = committee or dashboard_committee(user)
    day = day or timezone.localdate()
    known = core_generations.snapshot([committee.pk])  # every panel's generations in one query
    data = roster_data(user, committee, day, known)
    branches = _branch_names(committee)
    scope = user_scope(user, VIEW)
    panels = []

    trend = data["trend"]
    panels.append(Panel(
        "trend", _("Members on the roster by month"), *trend_grid(trend), chart="line", wide=True,
        chart_override={"categories": [month_label(m) for m, _n in trend],
                        "series": [{"name": _("On the roster"), "data": [n for _m, n in trend]}]},
        note=_("At the end of each month (the last month: on the as-of day), from the flow history.")))

    for key, chart in COMPOSITION.items():
        dimension = composition.DIMENSIONS[key]
        rows = [[label, n] for _row, label, n in data["composition"][key]]
        note = ""
        if key == "age_band":  # the last two bands (ELDERLY_AGE–69, 70+) make the elderly
            elderly = sum(n for row, _label, n in data["composition"][key] if row in ELDERLY_BANDS)
            note = _("Ages on the as-of day; %(n)s members are %(age)s or older.") % {
                "n": elderly, "age": settings.ELDERLY_AGE}
        panels.append(Panel(
            f"by-{key}", _("Members by %(dimension)s") % {"dimension": dimension.label},
            [str(dimension.label), _("Members")], rows, chart=chart, total=_total(rows), note=note))

    warnings = data["warnings"]
    warn_header = [_("Branch"), _("Lost contact")]
    warn_cols = 1
    if warnings["today"]:
        warn_header += [_("No contact for %(n)s months (warning)") % {"n": contact_warning_months()},
                        _("No contact for %(n)s months or more (to be recorded)") % {"n": lost_contact_months()}]
        warn_cols = 3
    rows = []
    by_branch = warnings["by_branch"]
    for pk, name in branches:
        if pk in by_branch or pk in scope.branch_ids or committee.pk in scope.committee_ids:
            counts = by_branch.get(pk, [0, 0, 0])
            rows.append([name, *[c or 0 for c in counts[:warn_cols]]])
    panels.append(Panel(
        "contact", _("Lost contact and no-contact warnings"), warn_header, rows, chart="stacked",
        series=list(range(1, warn_cols + 1)), total=_total(rows),
        note=(_("No contact: members not recorded as lost whose last contact (an attendance, a dues payment, a "
                "flow event) is that long ago or unknown.") if warnings["today"] else
              _("The no-contact warnings are shown for today only: last contact dates have no history."))))

    rows = [[month_label(m), up, down, closing] for m, up, down, closing in data["flow"]]
    panels.append(Panel(
        "flow", _("Increase and decrease by month"),
        [pgettext("dashboard", "Month"), _("Increase"), _("Decrease"), _("On the roster at the end")], rows,
        chart="bar", series=[1, 2], total=_total(rows, skip=(3,)), wide=True,
        note=_("Members coming onto the roster (registered, moved in) and leaving it (transferred out, deceased, "
               "moved out) in each month, from the flow history.")))
    rows = [[f"{direction}：{label}", n] for direction, label, n in data["reasons"]] + [
        [label, n] for label, n in data["movements"]]
    panels.append(Panel(
        "flow-reasons", _("Flow by reason since %(start)s") % {"start": data["flow_start"].isoformat()},
        [_("Reason"), _("Members")], rows, chart="hbar",
        note=_("Leaving Beijing, lost contact and suspension keep a member on the roster: they are status "
               "changes, not decreases.")))

    buckets, config = points_buckets(user, committee, day, known)
    rows = [[label, n] for label, n in buckets]
    panels.append(Panel(
        "points", _("Points this year against the threshold"), [_("Points total"), _("Members")], rows,
        chart="bar", total=_total(rows),
        note=_("Yearly total so far (baseline %(baseline)s included) of the members on the roster; the threshold "
               "is %(threshold)s. A distribution, not a ranking.") % {"baseline": config.annual_baseline,
                                                                    "threshold": config.threshold}))

    months = activity_months(user, committee, day, known)
    rows = [[month_label(m), n, present] for m, n, present in months]
    panels.append(Panel(
        "activities", _("Activity participation by month"),
        [pgettext("dashboard", "Month"), _("Activities held"), _("Attendances")], rows, chart="bar",
        series=[1, 2], total=_total(rows), wide=True,
        note=_("Attendances: members recorded as present at the activities held in the month.")))

    if has_capability(user, "care.manage", committee.pk):
        care = care_coverage(user, committee, day, known)
        n = care["elderly"]
        rows = [[_("Visited this year"), care["visited"], n - care["visited"]],
                [_("Newspaper this year"), care["subscribed"], n - care["subscribed"]]]
        panels.append(Panel(
            "care", _("Care coverage of members aged %(age)s and over") % {"age": settings.ELDERLY_AGE},
            [_("Care"), _("Covered"), _("Not covered")], rows, chart="stacked", series=[1, 2],
            note=_("%(n)s members aged %(age)s and over on the roster and reachable in Beijing on the as-of day.")
            % {"n": n, "age": settings.ELDERLY_AGE}))

    if has_capability(user, "finance.manage", committee.pk):
        report = budget_spent(committee, day)
        if report is not None:
            lines, total = report
            rows = [[line.use, yuan(line.planned_fen), yuan(line.spent_fen)] for line in lines]
            panels.append(Panel(
                "budget", _("Budget %(year)s: planned and spent (yuan)") % {"year": day.year},
                [_("Use"), _("Planned"), _("Spent")], rows, chart="hbar", series=[1, 2],
                total=[_("Total"), yuan(total.planned_fen), yuan(total.spent_fen)],
                note=_("Approved expenses dated up to the as-of day.")))

    scope_label = (committee.name if committee.pk in scope.committee_ids
                   else "、".join(name for pk, name in branches if pk in scope.branch_ids))
    return Dashboard(committee=committee, day=day, scope_label=scope_label, roster=data["roster"], panels=panels)


def trend_grid(trend) -> tuple[list, list]:
    """The trend as a table of years × months (header, rows): short enough to read beside the chart and to
    print; a month outside the range is an empty cell."""
    header = [_("Year"), *[_("Month %(month)s") % {"month": m} for m in range(1, 13)]]
    by_year = {}
    for month, n in trend:
        by_year.setdefault(month.year, [""] * 12)[month.month - 1] = n
    return header, [[str(year), *cells] for year, cells in sorted(by_year.items())]


def _total(rows, skip=()) -> list:
    """The sum row of a table whose first column is a label (``skip``: columns not to add up)."""
    if not rows:
        return [_("Total")]
    return [_("Total"), *[("" if i + 1 in skip else sum(row[i + 1] or 0 for row in rows))
                          for i in range(len(rows[0]) - 1)]]
