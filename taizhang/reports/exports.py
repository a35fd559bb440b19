"""The statistics reports as .xlsx workbooks through the shared exporter (``core.export_jobs``: audited,
formulas neutralised, written in constant memory by ``core.exporting.write_sheets``, counts as numbers).

Each report is registered by name so that a download is built again from its parameters as the user who
asked, with the same scoping as the page (``send_export``); the reports are a few dozen rows, so they are
written during the request.
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from taizhang.core import export_jobs, exporting
from taizhang.core.permissions import has_capability, home_committee
from taizhang.reports import flow as flow_module
from taizhang.reports.composition import DIMENSIONS, composition, parse_by
from taizhang.reports.tally import seed_tally
from taizhang.reports.yearly import yearly_summary

CAPABILITY = "reports.view"
COMPOSITION, FLOW, TALLY, YEARLY = "reports.composition", "reports.flow", "reports.tally", "reports.yearly"


def _workbook(sheets: list, *, filename: str, report: str, repr_: str, details: dict) -> export_jobs.Export:
    rows = sum(len(s.rows) for s in sheets)
    return export_jobs.Export(
        header=[], rows=(), total=rows, filename=filename, action="report.export",
        object_type=f"reports.{report}", object_repr=repr_, details={"report": report, **details},
        write=lambda path: exporting.write_sheets(path, sheets),
    )


def composition_export(user, day: datetime.date, by: tuple) -> export_jobs.Export:
    table = composition(user, day, by=by)
    first = str(table.dimensions[0].label)
    note = _("Roster as of %(day)s") % {"day": day.isoformat()}
    if table.two_way:
        header = [f"{first} \\ {table.dimensions[1].label}", *[label for _k, label in table.columns], _("Total")]
        rows = [[label, *counts, total] for _key, label, counts, total in table.grid()]
        rows.append([_("Total"), *table.footer(), table.total])
    else:
        header = [first, _("Members")]
        rows = [[label, total] for _key, label, _counts, total in table.grid()] + [[_("Total"), table.total]]
    sheet = exporting.Sheet(_("Composition"), header, rows, [20] + [12] * (len(header) - 1), cells="typed", note=note)
    names = "-".join(by)
    return _workbook([sheet], filename=f"{_('Composition')}-{names}-{day:%Y%m%d}.xlsx", report="composition",
                     repr_=_("Composition of the members"), details={"as_of": day.isoformat(), "by": list(by)})


def flow_rows(report: dict, *, moves: bool = False) -> list[list]:
    rows = [[_("On the roster at the start"), report["opening"]]]
    for direction, title in (("increase", _("Increase")), ("decrease", _("Decrease"))):
        reasons = flow_module.ordered_reasons(direction, report[direction], moves=moves)
        rows.append([title, sum(n for _c, _l, n in reasons)])
        rows += [["　" + label, n] for _code, label, n in reasons]
    rows.append([_("On the roster at the end"), report["closing"]])
    return rows


def flow_export(user, start: datetime.date, end: datetime.date) -> export_jobs.Export:
    report = flow_module.flow_report(user, start, end)
    months = flow_module.flow_by_month(user, start, end)
    movements = flow_module.status_movements(user, start, end)
    note = _("Period: %(from)s to %(to)s") % {"from": start.isoformat(), "to": end.isoformat()}
    summary = exporting.Sheet(_("Increase and decrease"), [_("Item"), _("Members")], flow_rows(report, moves=flow_module.branch_view(user)), [28, 12],
                              cells="typed", note=note)
    month_header = [pgettext("statistics report", "Month"), _("At the start"), _("Increase"), _("Decrease"), _("At the end")]
    month_rows = [[m["month"].strftime("%Y-%m"), m["opening"], sum(m["increase"].values()),
                   sum(m["decrease"].values()), m["closing"]] for m in months]
    by_month = exporting.Sheet(_("By month"), month_header, month_rows, [10, 12, 12, 12, 12], cells="typed", note=note)
    status = exporting.Sheet(_("Status changes"), [_("Change"), _("Events")],
                             [[flow_module.movement_label(k), n] for k, n in movements.items()], [28, 12],
                             cells="typed", note=note)
    return _workbook([summary, by_month, status], filename=f"{_('Increase and decrease')}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
                     report="flow", repr_=_("Increase and decrease of members"),
                     details={"from": start.isoformat(), "to": end.isoformat(), **report})


def tally_export(user, start: datetime.date, end: datetime.date) -> export_jobs.Export:
    tally = seed_tally(user, start, end)
    rows = [[r["name"], r["activities"], r["attendances"]] for r in tally.by_type]
    rows += [[_("Total"), tally.activities, tally.attendances], [_("Members who took part"), tally.reached, None]]
    sheet = exporting.Sheet(_("Tally"), [_("Activity type"), _("Activities held"), _("Attendances")], rows,
                            [24, 12, 12], cells="typed", note=tally.sentence)
    return _workbook([sheet], filename=f"{_('Tally')}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", report="tally",
                     repr_=_("Tally of organisational life"),
                     details={"from": start.isoformat(), "to": end.isoformat(), "activities": tally.activities})


def yearly_export(user, committee, year: int) -> export_jobs.Export:
    summary = yearly_summary(user, committee, year)
    sheets = []
    for section in summary.sections:
        header = section.header or [_("Item"), _("Figure")]
        sheets.append(exporting.Sheet((section.sheet or section.title)[:31], header, [list(r) for r in section.rows],
                                      [30] + [14] * (len(header) - 1), cells="typed", note=section.note))
    return _workbook(sheets, filename=f"{_('Yearly work summary')}-{year}.xlsx", report="yearly",
                     repr_=_("Yearly work summary"), details={"year": year, "committee": committee.pk})


def _refuse_without_role(user):
    if not has_capability(user, CAPABILITY):
        raise export_jobs.ExportRefused(_("Your role can no longer see the statistics reports. Nothing was exported."))


def _day(params, key):
    return datetime.date.fromisoformat(params[key])


@export_jobs.register(COMPOSITION, label=gettext_lazy("Composition of the members"))
def build_composition(user, params: dict, fmt: str) -> export_jobs.Export:
    _refuse_without_role(user)
    return composition_export(user, _day(params, "day"), parse_by(params.get("by") or list(DIMENSIONS)[:1]))


@export_jobs.register(FLOW, label=gettext_lazy("Increase and decrease of members"))
def build_flow(user, params: dict, fmt: str) -> export_jobs.Export:
    _refuse_without_role(user)
    return flow_export(user, _day(params, "date_from"), _day(params, "date_to"))


@export_jobs.register(TALLY, label=gettext_lazy("Tally of organisational life"))
def build_tally(user, params: dict, fmt: str) -> export_jobs.Export:
    _refuse_without_role(user)
    return tally_export(user, _day(params, "date_from"), _day(params, "date_to"))


@export_jobs.register(YEARLY, label=gettext_lazy("Yearly work summary"))
def build_yearly(user, params: dict, fmt: str) -> export_jobs.Export:
    _refuse_without_role(user)
    committee = home_committee(user)
    return yearly_export(user, committee, int(params["year"]))
