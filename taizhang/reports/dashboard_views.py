"""The dashboard page (看板), its print view and its .xlsx export (thin: scope → compute → render)."""


from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from taizhang.core.export_jobs import send_export
from taizhang.core.forms import EARLIEST_DAY, TzForm, day_out_of_range
from taizhang.core.routers import use_replica
from taizhang.reports import dashboard
from taizhang.reports.dashboard_export import DASHBOARD_EXPORT, dashboard_export


class DashboardForm(TzForm):
    day = forms.DateField(label=gettext_lazy("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day is not None and day < EARLIEST_DAY:
            raise forms.ValidationError(day_out_of_range(day, last=timezone.localdate()))
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("The as-of date cannot be in the future."))
        return day


def _board(request):
    """(form, dashboard): the dashboard of the day asked for; on a bad date the form says why and today's
    numbers are shown."""
    committee = dashboard.dashboard_committee(request.user)  # refuse first, before reading the form
    form = DashboardForm(request.GET or None)
    valid = form.is_valid()
    day = (form.cleaned_data.get("day") if valid else None) or timezone.localdate()
    if not form.is_bound or valid:  # show the day the numbers are for (today filled in)
        form = DashboardForm({"day": day.isoformat()})
        form.is_valid()
    return form, dashboard.build(request.user, day, committee=committee)


@login_required
@require_GET
@use_replica()
def dashboard_page(request):
    form, board = _board(request)
    if request.GET.get("format") == "xlsx" and not form.errors:
        return send_export(request, lambda: dashboard_export(request.user, board.day), name=DASHBOARD_EXPORT,
                           params={"day": board.day.isoformat()}, total=sum(len(p.rows) for p in board.panels))
    return render(request, "reports/dashboard.html", {"form": form, "board": board, "charts": board.charts()})


@login_required
@require_GET
@use_replica()
def dashboard_print(request):
    form, board = _board(request)
    return render(request, "reports/dashboard_print.html", {"form": form, "board": board, "charts": board.charts(),
                                                             "printed_at": timezone.localtime()})
