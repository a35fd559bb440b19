"""统计报表 pages: composition (党员构成), increase and decrease (党员增减), the tally of organisational life and
the yearly work summary. Each page also answers ``?format=xlsx`` (the shared exporter, audited) and
``?view=print`` (a standalone A4 page). Thin: rights → form → compute → render.

Rights: the capability ``reports.view`` (committee admins: their committee; branch secretaries: their
branch, ``core.permissions``); everyone else gets 403. The numbers are scoped by the data layer itself.
"""

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from taizhang.core.export_jobs import send_export
from taizhang.core.forms import EARLIEST_DAY, TzForm, day_out_of_range
from taizhang.core.permissions import has_capability, home_committee_for
from taizhang.core.routers import use_replica
from taizhang.reports import exports
from taizhang.reports import flow as flow_module
from taizhang.reports.composition import DIMENSIONS, composition
from taizhang.reports.tally import seed_tally
from taizhang.reports.yearly import yearly_summary

REFUSAL = gettext_lazy("Your role does not give access to the statistics reports.")


def require_reports(user):
    if not has_capability(user, exports.CAPABILITY):
        raise PermissionDenied(REFUSAL)


def _check_day(form, name, value):
    today = timezone.localdate()
    if value is None:
        return None
    if value < EARLIEST_DAY:
        form.add_error(name, day_out_of_range(value, last=today))
        return None
    if value > today:
        form.add_error(name, _("The date cannot be after today (%(today)s): the flow history knows nothing of days to "
                               "come.") % {"today": today.isoformat()})
        return None
    return value


def _dimension_choices(blank=False):
    choices = [(key, d.label) for key, d in DIMENSIONS.items()]
    return ([("", gettext_lazy("(none)"))] if blank else []) + choices


class CompositionForm(TzForm):
    day = forms.DateField(label=gettext_lazy("Roster as of"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    rows = forms.ChoiceField(label=pgettext_lazy("report axis", "Rows"), choices=_dimension_choices, required=False)
    columns = forms.ChoiceField(label=pgettext_lazy("report axis", "Columns"), choices=lambda: _dimension_choices(blank=True),
                                required=False)

    def clean(self):
        cleaned = super().clean()
        if "day" in cleaned:
            cleaned["day"] = _check_day(self, "day", cleaned["day"])
        if cleaned.get("rows") and cleaned.get("columns") and cleaned["rows"] == cleaned["columns"]:
            self.add_error("columns", _("Choose two different dimensions."))
        return cleaned


class PeriodForm(TzForm):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            if name in cleaned:
                cleaned[name] = _check_day(self, name, cleaned[name])
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned


class YearForm(TzForm):
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=1990,
                              error_messages={"invalid": gettext_lazy("Enter the year as four digits, e.g. 2026.")})

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and year > timezone.localdate().year:
            raise forms.ValidationError(_("The year cannot be after this year."))
        return year


def _bound(form_class, request, defaults: dict):
    """The form of the request; its valid values with the defaults filled in (``defaults`` where a value is
    missing or wrong), and the form re-bound to them when it was valid so the page shows what it counts."""
    form = form_class(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = dict(defaults)
    if form.is_bound:
        # an empty choice given on purpose (列: 无) counts; a missing or wrong value takes the default
        data.update({k: v for k, v in getattr(form, "cleaned_data", {}).items()
                     if v is not None and (v != "" or k in request.GET)})
    if valid:
        form = form_class({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()})
        form.is_valid()
    return form, data


def _period(request):
    """(form, first day, last day): this year up to today by default; only the last day given: its year up to
    it; only the first: from it up to today."""
    today = timezone.localdate()
    form = PeriodForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    end = data.get("date_to") or today
    start = data.get("date_from") or datetime.date(end.year, 1, 1)
    if form.is_bound and not form.is_valid():
        start, end = datetime.date(today.year, 1, 1), today
    else:
        form = PeriodForm({"date_from": start.isoformat(), "date_to": end.isoformat()})
        form.is_valid()
    return form, start, end


def _respond(request, export_name, build, params, template, context):
    """The page, its print view or its workbook."""
    if request.GET.get("format") == "xlsx":
        return send_export(request, build(), name=export_name, params=params)  # a few dozen rows: never a job
    context["print_view"] = request.GET.get("view") == "print"
    context["query"] = "&".join(f"{k}={v}" for k, v in params.items() if not isinstance(v, list))
    return render(request, f"reports/statistics/{template}{'_print' if context['print_view'] else ''}.html", context)


@login_required
@require_GET
@use_replica()
def composition_view(request):
    require_reports(request.user)
    form, data = _bound(CompositionForm, request, {"day": timezone.localdate(), "rows": "branch", "columns": "age_band"})
    by = tuple(k for k in (data["rows"], data.get("columns")) if k)
    if len(by) == 2 and by[0] == by[1]:
        by = by[:1]
    day = data["day"]
    table = composition(request.user, day, by=by)
    params = {"day": day.isoformat(), "rows": by[0], "columns": by[1] if len(by) > 1 else ""}
    context = {"form": form, "table": table, "day": day, "params": params}
    return _respond(request, exports.COMPOSITION, lambda: exports.composition_export(request.user, day, by),
                    params | {"by": list(by)}, "composition", context)


@login_required
@require_GET
@use_replica()
def flow_view(request):
    require_reports(request.user)
    form, start, end = _period(request)
    report = flow_module.flow_report(request.user, start, end)
    moves = flow_module.branch_view(request.user)
    context = {
        "form": form, "date_from": start, "date_to": end, "report": report,
        "opening_day": start - datetime.timedelta(days=1),
        "increase": flow_module.ordered_reasons("increase", report["increase"], moves=moves),
        "decrease": flow_module.ordered_reasons("decrease", report["decrease"], moves=moves),
        "increase_total": sum(report["increase"].values()), "decrease_total": sum(report["decrease"].values()),
        "months": flow_module.flow_by_month(request.user, start, end),
        "movements": [(flow_module.movement_label(k), n) for k, n in
                      flow_module.status_movements(request.user, start, end).items()],
    }
    for month in context["months"]:
        month["in"], month["out"] = sum(month["increase"].values()), sum(month["decrease"].values())
    params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    return _respond(request, exports.FLOW, lambda: exports.flow_export(request.user, start, end), params, "flow", context)


@login_required
@require_GET
@use_replica()
def tally_view(request):
    require_reports(request.user)
    form, start, end = _period(request)
    tally = seed_tally(request.user, start, end)
    params = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    context = {"form": form, "tally": tally, "date_from": start, "date_to": end}
    return _respond(request, exports.TALLY, lambda: exports.tally_export(request.user, start, end), params, "tally",
                    context)


@login_required
@require_GET
@use_replica()
def yearly_view(request):
    require_reports(request.user)
    committee = home_committee_for(request.user, exports.CAPABILITY, REFUSAL)
    form, data = _bound(YearForm, request, {"year": timezone.localdate().year})
    year = data["year"]
    summary = yearly_summary(request.user, committee, year)
    params = {"year": year}
    context = {"form": form, "summary": summary, "year": year}
    return _respond(request, exports.YEARLY, lambda: exports.yearly_export(request.user, committee, year), params,
                    "yearly", context)
