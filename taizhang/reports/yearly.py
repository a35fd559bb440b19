"""The yearly work summary for the home organisation (年度工作总结): the year's figures, section by section,
read from each app's own summaries and selectors — never counted a second way here.

* 在册党员 — the roster at the start and the end of the year, by branch, category and age band
  (``reports.composition``);
* 党员增减 — ``reports.flow.flow_report`` and the status changes that keep members on the roster;
* 组织生活 — the seed-style tally (``reports.tally``) and 应到/实到 (``activities.reports.participation``);
* 学习 — study items published in the year and how many of their members have read them
  (``activities.content_selectors``);
* 积分参与 — participation and the points threshold (``points.selectors.participation``);
* 关爱 and 经费 — the care year (``care.selectors.yearly_summary``), the budget (``finance.budget.budget_report``),
  donations and dues received in the year: figures of the committee as a whole, shown only to a
  committee-wide role (a branch's summary says that they are the committee's).

Every section is a ``Section`` of rows ``(label, value)`` or a small table, so the printable page and the
workbook (one sheet per section, ``exports.yearly_export``) show the very same numbers.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from taizhang.activities import content_selectors
from taizhang.activities import reports as activity_reports
from taizhang.care import selectors as care_selectors
from taizhang.core.money import yuan_grouped
from taizhang.core.permissions import committee_wide
from taizhang.finance.budget import budget_report
from taizhang.finance.models import Budget, DuesPayment, Gift
from taizhang.points import selectors as points_selectors
from taizhang.reports import flow as flow_report_module
from taizhang.reports.composition import composition
from taizhang.reports.tally import seed_tally


@dataclass
class Section:
    key: str
    title: str
    header: list = field(default_factory=list)  # a table's header; empty for (label, value) rows
    rows: list = field(default_factory=list)
    note: str = ""
    sheet: str = ""  # the workbook's sheet name (short; the title when empty)


@dataclass
class YearlySummary:
    committee: object
    year: int
    date_from: datetime.date
    date_to: datetime.date
    whole_committee: bool
    sections: list


def year_period(year: int, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The year's first day and its last day, or today while the year runs."""
    today = today or timezone.localdate()
    return datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)


def _percent(part: int, whole: int) -> str:
    return f"{round(part * 100 / whole)}%" if whole else "—"


def _roster(user, start, end) -> list[Section]:
    opening = flow_report_module.roster_count(user, start - datetime.timedelta(days=1))
    rows = [(_("On the roster at the start of the year"), opening)]
    table = composition(user, end, by=("branch",))
    rows.append((_("On the roster on %(day)s") % {"day": end.isoformat()}, table.total))
    sections = [Section("roster", pgettext("statistics report", "Members on the roster"), rows=rows)]
    sheets = {"branch": _("Roster by branch"), "category": _("Roster by category"), "age_band": _("Roster by age")}
    for key in ("branch", "category", "age_band"):
        table = composition(user, end, by=(key,))
        sections.append(Section(f"roster_{key}", _("On the roster on %(day)s by %(dimension)s")
                                % {"day": end.isoformat(), "dimension": table.dimensions[0].label},
                                header=[str(table.dimensions[0].label), _("Members")],
                                rows=[(label, total) for _key, label, _counts, total in table.grid()]
                                + [(_("Total"), table.total)], sheet=sheets[key]))
    return sections


def _flow(user, start, end) -> Section:
    report = flow_report_module.flow_report(user, start, end)
    rows = [(_("On the roster at the start"), report["opening"])]
    for direction, title in (("increase", _("Increase")), ("decrease", _("Decrease"))):
        reasons = flow_report_module.ordered_reasons(direction, report[direction], moves=flow_report_module.branch_view(user))
        rows.append((title, sum(n for _c, _l, n in reasons)))
        rows += [("　" + label, n) for _code, label, n in reasons]
    rows.append((_("On the roster at the end"), report["closing"]))
    movements = flow_report_module.status_movements(user, start, end)
    rows += [(flow_report_module.movement_label(kind), n) for kind, n in movements.items()]
    return Section("flow", _("Increase and decrease of members"), rows=rows,
                   note=_("Leaving Beijing, lost contact, suspension and their returns keep a member on the roster."))


def _activities(user, start, end) -> list[Section]:
    tally = seed_tally(user, start, end)
    data = activity_reports.participation(user, start, end)
    total = data.total
    rows = [(_("Activities held"), tally.activities), (_("Attendances"), tally.attendances),
            (_("Members who took part"), tally.reached), (_("Members expected"), total.expected),
            (_("Members present"), total.present), (_("Attendance rate"), _percent(total.present, total.expected))]
    by_type = [(row["name"], row["activities"], row["attendances"]) for row in tally.by_type]
    return [
        Section("activities", _("Organisational life"), rows=rows, note=tally.sentence),
        Section("activity_types", _("Activities by type"), header=[_("Activity type"), _("Activities held"),
                                                                   _("Attendances")],
                rows=by_type + [(_("Total"), tally.activities, tally.attendances)]),
    ]


def _study(user, start, end) -> Section:
    items = list(content_selectors.study_queryset(user).filter(
        withdrawn=False, published_at__date__gte=start, published_at__date__lte=end).order_by("published_at", "pk"))
    counts = content_selectors.study_read_counts(items, user)
    read = sum(r for r, _e in counts.values())
    expected = sum(e for _r, e in counts.values())
    rows = [(_("Study items published"), len(items)), (_("Reads (members × items)"), read),
            (_("Reads expected"), expected), (_("Read rate"), _percent(read, expected))]
    return Section("study", _("Study"), rows=rows,
                   note=_("Reads are counted among the members on the roster today."))


def _points(user, committee, year) -> Section:
    rows_, branch_rows, config = points_selectors.participation(user, committee, year)
    members = sum(b.members for b in branch_rows)
    below = sum(b.below for b in branch_rows)
    points = sum(b.points for b in branch_rows)
    rows = [(_("Members counted"), members), (_("Annual baseline"), config.annual_baseline),
            (_("Threshold"), config.threshold), (_("Members below the threshold"), below),
            (_("Members at or above the threshold"), members - below),
            (_("Average points"), round(points / members, 1) if members else "—")]
    return Section("points", _("Points participation"), rows=rows,
                   note=_("A distribution against the threshold, not a ranking."))


def _care(committee, year) -> Section:
    data = care_selectors.yearly_summary(committee, year)
    subs = data["subscriptions"]
    rows = [(_("Elderly members visited"), data["visited_members"])]
    rows += [(_("Visits: %(occasion)s") % {"occasion": o["label"]}, o["visits"]) for o in data["occasions"]]
    rows += [(_("Newspaper subscriptions (households)"), subs["households"]), (_("Copies"), subs["copies"]),
             (_("Subscription cost (yuan)"), yuan_grouped(subs["cost_fen"])),
             (_("Gifts and materials handed out"), sum(i.handed for i in data["items"]))]
    return Section("care", _("Care"), rows=rows)


def _money(committee, start, end) -> Section:
    rows = []
    budget = Budget.objects.filter(committee=committee, year=start.year).first()
    if budget is not None:
        _lines, total = budget_report(budget, date_from=start, date_to=end)
        rows += [(_("Budget planned (yuan)"), yuan_grouped(total.planned_fen)),
                 (_("Spent (yuan)"), yuan_grouped(total.spent_fen)),
                 (_("Budget used"), _percent(total.spent_fen, total.planned_fen))]
    else:
        rows.append((_("Budget"), _("No budget for this year")))
    gifts = Gift.objects.filter(campaign__committee=committee, received_on__gte=start, received_on__lte=end).aggregate(
        total=Coalesce(Sum("amount_fen"), 0), n=Count("pk", filter=Q(reverses__isnull=True, reversed_by__isnull=True)))
    dues = DuesPayment.objects.filter(member__committee=committee, paid_on__gte=start, paid_on__lte=end).aggregate(
        total=Coalesce(Sum("amount_fen"), 0), members=Count("member", distinct=True))
    rows += [(_("Donations received (yuan)"), yuan_grouped(gifts["total"])), (pgettext("statistics report", "Gifts"), gifts["n"]),
             (_("Party dues received (yuan)"), yuan_grouped(dues["total"])), (_("Members who paid dues"), dues["members"])]
    return Section("money", _("Money"), rows=rows)


def yearly_summary(user, committee, year: int) -> YearlySummary:
    """The figures of ``year`` for ``user`` (their scope) in ``committee``."""
    start, end = year_period(year)
    whole = committee_wide(user, committee)
    sections = _roster(user, start, end)
    sections.append(_flow(user, start, end))
    sections += _activities(user, start, end)
    sections.append(_study(user, start, end))
    sections.append(_points(user, committee, year))
    if whole:
        sections.append(_care(committee, year))
        sections.append(_money(committee, start, end))
    return YearlySummary(committee=committee, year=year, date_from=start, date_to=end, whole_committee=whole,
                         sections=sections)
