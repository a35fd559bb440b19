"""The activity report as one .xlsx workbook: sheets 按类型 / 按支部 / 按党员 / 应开展与已开展.

Same numbers and the same scoping as the page (``reports``). Written by ``core.exporting.write_sheets``
in constant memory (text cells neutralised against formula injection); counts are written as numbers so
the sheets can be summed (``cells="typed"``).
"""

from django.utils.translation import gettext as _

from taizhang.activities import reports
from taizhang.core import exporting


def _rate(tally) -> float | None:
    return tally.rate


def report_tables(user, date_from, date_to) -> dict:
    """Header and rows of each sheet (computed once, scoped to ``user``)."""
    data = reports.participation(user, date_from, date_to)
    types = reports.by_type(user, date_from, date_to)
    expectations = reports.expected_vs_done(user, date_from, date_to)
    tally_headers = [_("Members expected"), _("Members present"), _("Members on leave"), _("Members absent"),
                     _("Attendance rate")]
    by_type = [[row["name"], row["activities"], row["attendances"]] for row in types]
    by_type.append([_("Total"), sum(r["activities"] for r in types), sum(r["attendances"] for r in types)])
    branches = [
        [branch.name, organised, t.expected, t.present, t.leave, t.absent, _rate(t)]
        for branch, t, organised in data.branches
    ]
    t = data.total
    branches.append([_("Total"), sum(o for _b, _t, o in data.branches), t.expected, t.present, t.leave, t.absent,
                     _rate(t)])
    members_sorted, _key = reports.sort_members(data.members, "name")
    members = [
        [r.name, r.branch, r.expected, r.present, r.leave, r.absent, _rate(r), r.last_attended]
        for r in members_sorted
    ]
    expected_rows = []
    for unit in expectations["units"]:
        for cell in unit["cells"]:
            if cell is None:
                continue
            expected_rows.append([unit["name"], cell.type_name, cell.per_year, cell.expected, cell.held,
                                  _("Short") if cell.short else _("Met")])
    return {
        "period": (date_from, date_to),
        "by_type": by_type,
        "branches": branches,
        "members": members,
        "expected": expected_rows,
        "sheets": [
            (_("By type"), [_("Activity type"), _("Activities held"), _("Attendances")], by_type, [24, 12, 12]),
            (_("By branch"), [_("Branch"), _("Activities organised")] + tally_headers, branches,
             [18, 12, 12, 12, 12, 12, 12]),
            (_("By member"), [_("Name"), _("Branch")] + tally_headers + [_("Last attended")], members,
             [12, 16, 12, 12, 12, 12, 12, 14]),
            (_("Expected and held"),
             [_("Organising unit"), _("Activity type"), _("Expected per year"), _("Expected in the period"),
              _("Held"), _("Result")], expected_rows, [28, 16, 12, 14, 10, 10]),
        ],
    }


def sheets(tables) -> list:
    date_from, date_to = tables["period"]
    note = _("Period: %(from)s to %(to)s") % {"from": date_from.isoformat(), "to": date_to.isoformat()}
    return [exporting.Sheet(name, header, rows, widths, cells="typed", note=note)
            for name, header, rows, widths in tables["sheets"]]


def write_workbook(path, tables) -> None:
    exporting.write_sheets(path, sheets(tables))

