"""The superior organisation's overview page and its .xlsx export (thin: scope → compute → render)."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from taizhang.core.exporting import export_xlsx
from taizhang.core.forms import TzForm, day_out_of_range
from taizhang.core.routers import use_replica
from taizhang.members.models import Status
from taizhang.reports import overview as ov

FLOW_LABELS = {
    "registered": gettext_lazy("Registered (inflow)"),
    "left": gettext_lazy("Left Beijing"),
    "transferred": gettext_lazy("Transferred out"),
    "deceased": gettext_lazy("Deceased"),
}


class OverviewForm(TzForm):
    day = forms.DateField(label=gettext_lazy("Roster as of"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    date_from = forms.DateField(label=gettext_lazy("Period from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("Period to"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("day", "date_from", "date_to"):
            value = cleaned.get(name)
            if message := day_out_of_range(value):
                self.add_error(name, message)
                cleaned.pop(name, None)
        if cleaned.get("day") and cleaned["day"] > today:
            self.add_error("day", _("The roster date cannot be in the future."))
            cleaned.pop("day", None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
            cleaned.pop("date_to", None)
        return cleaned


def _dates(form):
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else getattr(form, "cleaned_data", {})
    day = data.get("day") or today
    date_from = data.get("date_from") or datetime.date(today.year, 1, 1)
    date_to = data.get("date_to") or today
    if date_from > date_to:
        date_from, date_to = datetime.date(today.year, 1, 1), today
    return day, date_from, date_to


def _columns():
    return ([("roster", _("On the roster"))]
            + [(f"status:{s}", str(Status(s).label)) for s in ov.STATUS_COLUMNS]
            + [("elderly", _("Aged %(age)s and over") % {"age": ov.elderly_age()})]
            + [(f"flow:{k}", str(label)) for k, label in FLOW_LABELS.items()]
            + [("activities", _("Activities held")), ("present", _("Attendances"))])


def _cells(row) -> list:
    cells = []
    for key, _label in _columns():
        if key.startswith("status:"):
            cells.append(row.by_status.get(key[7:], 0))
        elif key.startswith("flow:"):
            cells.append(row.flows.get(key[5:], 0))
        else:
            cells.append(getattr(row, key))
    return cells


@login_required
@require_GET
@use_replica()
def overview(request):
    committees = ov.overview_committees(request.user)
    if not committees.exists():
        raise PermissionDenied(_("Your role does not give access to the superior organisation's overview."))
    form = OverviewForm(request.GET or None)
    day, date_from, date_to = _dates(form)
    if not form.is_bound or form.is_valid():  # show the dates the numbers are for, defaults filled in
        form = OverviewForm({"day": day.isoformat(), "date_from": date_from.isoformat(), "date_to": date_to.isoformat()})
        form.is_valid()
    data = ov.committee_overview(committees, day=day, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "xlsx":
        return _export(request, data)
    groups = [(name, [(r, _cells(r)) for r in rows], _cells(subtotal)) for name, rows, subtotal in data.groups]
    return render(request, "reports/overview.html", {
        "form": form, "data": data, "columns": _columns(), "groups": groups, "total": _cells(data.total),
        "export_query": f"day={day.isoformat()}&date_from={date_from.isoformat()}&date_to={date_to.isoformat()}",
    })


def _export(request, data):
    header = [_("Superior organisation"), _("Committee"), *[label for _key, label in _columns()]]
    rows = []
    for name, committee_rows, subtotal in data.groups:
        rows += [[name or "—", r.name, *_cells(r)] for r in committee_rows]
        if len(data.groups) > 1:
            rows.append([name or "—", _("Subtotal"), *_cells(subtotal)])
    rows.append([_("Total"), "", *_cells(data.total)])
    return export_xlsx(request, header=header, rows=rows, filename=f"overview-{data.day.isoformat()}.xlsx",
                       action="report.export", object_type="reports.overview",
                       object_repr=_("Superior organisation overview"), sheet_name=_("Overview"),
                       details={"report": "superior_overview", "committees": data.committee_count,
                                "as_of": data.day, "from": data.date_from, "to": data.date_to})
