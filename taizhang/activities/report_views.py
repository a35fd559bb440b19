"""Activity report pages: the period summary (by type, by branch, by member, expected vs done), one
member's attendance list, and the .xlsx export. Thin: scope → compute (``reports``) → render.

Committee admins see the whole committee, branch secretaries their branch's activities and members
(capability ``activities.manage``); everyone else gets 403.
"""



from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from taizhang.activities import reports
from taizhang.activities.export_jobs import ACTIVITY_REPORT, report_export
from taizhang.activities.models import AttendanceStatus
from taizhang.core.export_jobs import send_export
from taizhang.core.forms import TzForm, day_out_of_range
from taizhang.core.paging import page_number, page_of, pager_query
from taizhang.core.permissions import has_capability
from taizhang.core.routers import use_replica
from taizhang.members.selectors import member_get

PAGE_SIZES = (20, 50, 100)
MEMBER_COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("branch", gettext_lazy("Branch")),
    ("expected", gettext_lazy("Members expected")),
    ("present", gettext_lazy("Members present")),
    ("leave", gettext_lazy("Members on leave")),
    ("absent", gettext_lazy("Members absent")),
    ("rate", gettext_lazy("Attendance rate")),
    ("last", gettext_lazy("Last attended")),
]


def require_reports(user):
    if not has_capability(user, "activities.manage"):
        raise PermissionDenied(_("Your role does not give access to the activity reports."))


class PeriodForm(TzForm):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            day = cleaned.get(name)
            if message := day_out_of_range(day):
                self.add_error(name, message)
                cleaned.pop(name, None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned


def period_from_request(request):
    """(form, date_from, date_to, preset key, presets) of the report's committee, for a user who may read
    the activity reports (403 otherwise). A preset wins; invalid dates fall back to this year."""
    require_reports(request.user)
    presets = reports.period_presets(reports.report_committee(request.user))
    by_key = {p.key: p for p in presets}
    preset = by_key.get(request.GET.get("preset", ""))
    if preset is None and not (request.GET.get("date_from") or request.GET.get("date_to")):
        preset = presets[0]
    if preset is not None:
        form = PeriodForm({"date_from": preset.date_from.isoformat(), "date_to": preset.date_to.isoformat()})
        form.is_valid()
        return form, preset.date_from, preset.date_to, preset.key, presets
    form = PeriodForm(request.GET)
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        key = next((p.key for p in presets if (p.date_from, p.date_to) == (start, end)), "")
        return form, start, end, key, presets
    return form, presets[0].date_from, presets[0].date_to, "", presets


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("per_page", 20))
    except ValueError:
        size = 20
    return size if size in PAGE_SIZES else 20


@login_required
@require_GET
@use_replica()
def summary(request):
    form, start, end, preset, presets = period_from_request(request)
    sort, size = reports.member_sort(request.GET.get("sort", "name")), _page_size(request)
    number = page_number(request)
    # the tallies and the page asked for in one query (another page is read again if it is out of range)
    data = reports.participation(request.user, start, end, page=(sort, (number - 1) * size, size))
    rows, sort = reports.sort_members(data.members, sort)
    page = page_of(request, rows, size)
    period_query = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    context = {
        "form": form,
        "date_from": start,
        "date_to": end,
        "preset": preset,
        "presets": presets,
        "by_type": reports.by_type(request.user, start, end),
        "participation": data,
        "expectations": reports.expected_vs_done(request.user, start, end),
        "page": page,
        "sort": sort,
        "columns": MEMBER_COLUMNS,
        "query": pager_query(request),
        "per_page": size,
        "page_sizes": PAGE_SIZES,
        "period_query": "&".join(f"{k}={v}" for k, v in period_query.items()),
    }
    context["type_total"] = sum(row["activities"] for row in context["by_type"])
    context["attendance_total"] = sum(row["attendances"] for row in context["by_type"])
    if request.htmx:
        return render(request, "activities/reports/partials/member_table.html", context)
    return render(request, "activities/reports/summary.html", context)


def _activity_url(pk):
    try:
        return reverse("activities:detail", args=[pk])
    except NoReverseMatch:
        return ""


@login_required
@require_GET
@use_replica()
def member_report(request, pk):
    """One member's attendance in the period, activity by activity (linked from the member page)."""
    form, start, end, preset, presets = period_from_request(request)
    member = member_get(request.user, pk, request=request)
    rows = reports.member_attendance(member, start, end, user=request.user)
    for row in rows:
        row["url"] = _activity_url(row["activity_id"])
    tally = reports.Tally()
    for row in rows:
        if row["expected"]:
            tally.expected += 1
            if row["status"] == AttendanceStatus.PRESENT:
                tally.present += 1
            elif row["status"] == AttendanceStatus.LEAVE:
                tally.leave += 1
            else:
                tally.absent += 1
        else:
            tally.extra += 1
    page = page_of(request, rows, 50)
    context = {
        "member": member,
        "form": form,
        "date_from": start,
        "date_to": end,
        "preset": preset,
        "presets": presets,
        "tally": tally,
        "page": page,
        "query": pager_query(request),
    }
    return render(request, "activities/reports/member.html", context)


@login_required
@require_GET
@use_replica()
def export_xlsx(request):
    """The four tables of the summary as one workbook, through the same scoping; audit-logged first."""
    _form, start, end, _preset, _presets = period_from_request(request)
    return send_export(request, lambda: report_export(request.user, start, end), name=ACTIVITY_REPORT,
                       params={"date_from": start.isoformat(), "date_to": end.isoformat()},
                       total=reports.report_member_count(request.user))
