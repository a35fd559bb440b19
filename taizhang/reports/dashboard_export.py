"""The dashboard's tables as one .xlsx workbook (one sheet per panel), through the shared exporter and its
audit entry (``core.export_jobs``: registered, so a background run would build it again as the user)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core import export_jobs, exporting
from taizhang.reports import dashboard

DASHBOARD_EXPORT = "reports.dashboard"
SHEET_NAME_CHARS = 31  # Excel's limit
FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheets(board: dashboard.Dashboard) -> list:
    note = _("%(scope)s, as of %(day)s") % {"scope": board.scope_label, "day": board.day.isoformat()}
    out, used = [], set()
    for panel in board.panels:
        name = str(panel.title).translate(FORBIDDEN)[:SHEET_NAME_CHARS]
        while name in used:  # sheet names must differ
            name = f"{name[:SHEET_NAME_CHARS - 2]}_{len(used)}"
        used.add(name)
        rows = [list(row) for row in panel.rows] + ([panel.total] if panel.total else [])
        text = f"{note}. {panel.note}" if panel.note else note
        out.append(exporting.Sheet(name, [str(h) for h in panel.header], rows,
                                   [16] + [12] * (len(panel.header) - 1), cells="typed", note=text))
    return out


def dashboard_export(user, day: datetime.date) -> export_jobs.Export:
    board = dashboard.build(user, day)
    rows = sum(len(p.rows) for p in board.panels)
    return export_jobs.Export(
        header=[], rows=(), total=rows,
        filename=f"{_('Dashboard')}-{day:%Y%m%d}.xlsx",
        action="report.export", obj=board.committee, object_type="reports.dashboard",
        object_repr=_("Dashboard"),
        details={"report": "dashboard", "as_of": day.isoformat(), "scope": board.scope_label,
                 "panels": [p.key for p in board.panels]},
        write=lambda path: exporting.write_sheets(path, sheets(board)),
    )


@export_jobs.register(DASHBOARD_EXPORT, label=gettext_lazy("Dashboard"))
def build(user, params: dict, fmt: str) -> export_jobs.Export:
    try:
        return dashboard_export(user, datetime.date.fromisoformat(params["day"]))
    except PermissionDenied:
        raise export_jobs.ExportRefused(_("Your role can no longer see the dashboard. Nothing was exported.")) from None
