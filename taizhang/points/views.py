"""Points pages. Thin: fetch with permission → form → service → redirect or render."""

import datetime
import os
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from taizhang.core.errors import error_text, form_errors_from, service_message, service_on_form
from taizhang.core.export_jobs import Export, send_export
from taizhang.core.exporting import xlsx_response, xlsx_tempfile
from taizhang.core.imports import upload_error
from taizhang.core.paging import page_number, page_of, pager_query
from taizhang.core.permissions import EDIT, VIEW, has_capability, home_committee, own_member, restrict
from taizhang.core.spreadsheets import file_extension
from taizhang.members.selectors import member_get
from taizhang.points import imports, periods, selectors, services
from taizhang.points.export_jobs import PARTICIPATION
from taizhang.points.forms import (
    AdjustmentForm,
    DecisionForm,
    ImportForm,
    ParticipationFilter,
    RuleCloseForm,
    RuleForm,
    SettingsForm,
    StudyRecordForm,
)
from taizhang.points.models import Platform, PointEntry, PointRule, StudyRecord

SESSION_IMPORT = "points_import"


def _render(request, template, context):
    """Render with the points navigation (which tabs this user has)."""
    user = request.user
    context |= {
        "nav_member": own_member(user) is not None if "member" not in context else True,
        "nav_approve": has_capability(user, "points.approve"),
        "nav_staff": selectors.may_view_staff_pages(user),
        "nav_manage": has_capability(user, "points.manage"),
    }
    return render(request, template, context)


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _staff_committee(request, capability: str | None = None):
    return staff_committee(request.user, capability)


def staff_committee(user, capability: str | None = None):
    """The committee whose staff points pages ``user`` sees (PermissionDenied if none)."""
    allowed = has_capability(user, capability) if capability else selectors.may_view_staff_pages(user)
    committee = home_committee(user) if allowed else None
    if committee is None:
        raise PermissionDenied(_("Your role does not give access to this points page."))
    return committee


# --- my points --------------------------------------------------------------------------------------------


@login_required
def mine(request):
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    year = _year(request)
    context = {
        "member": member,
        "data": selectors.member_year(member, year),
        "years": selectors.entry_years(member),
        "scores": selectors.latest_external_scores([member.pk]).get(member.pk, []),
        "records": selectors.study_records_of(member)[:50],
        "form": StudyRecordForm(),
    }
    return _render(request, "points/mine.html", context)


@login_required
def record_create(request):
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    form = StudyRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form,
                           lambda: services.study_record_submit(actor=request.user, member=member, **form.cleaned_data),
                           _("Your study record has been submitted; your branch secretary will review it.")):
            return redirect("points:mine")
    return _render(request, "points/record_form.html", {"form": form, "member": member})


# --- approvals --------------------------------------------------------------------------------------------


APPROVALS_PAGE_SIZE = 30  # the queue is paged: a committee of thousands may have thousands waiting


@login_required
def approvals(request):
    if not has_capability(request.user, "points.approve"):
        raise PermissionDenied(_("Your role cannot approve study records."))
    page = page_of(request, selectors.approvals_queryset(request.user), APPROVALS_PAGE_SIZE)
    context = {
        "page": page,
        "records": list(page.object_list),
        "decided": selectors.decided_recently(request.user),
        "form": DecisionForm(),
    }
    return _render(request, "points/approvals.html", context)


def _record_for_decision(request, pk) -> StudyRecord:
    if not has_capability(request.user, "points.approve"):
        raise PermissionDenied(_("Your role cannot approve study records."))
    qs = restrict(StudyRecord.objects.select_related("member"), request.user, EDIT, committee="member__committee",
                  branch="member__branch", member="member")
    record = qs.filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@login_required
@require_POST
def decide(request, pk, decision):
    if decision not in ("approve", "reject"):
        raise Http404
    record = _record_for_decision(request, pk)
    form = DecisionForm(request.POST)
    note = form.data.get("note", "")
    try:
        if decision == "approve":
            services.study_record_approve(actor=request.user, record=record, note=note)
            messages.success(request, _("The study record of %(name)s is approved.") % {"name": record.member.name})
        else:
            services.study_record_reject(actor=request.user, record=record, note=note)
            messages.success(request, _("The study record of %(name)s is rejected.") % {"name": record.member.name})
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("points:approvals")


# --- rules and settings -----------------------------------------------------------------------------------


@login_required
def rules(request):
    committee = _staff_committee(request)
    if not (selectors.may_view_staff_pages(request.user) or has_capability(request.user, "points.manage")):
        raise PermissionDenied(_("Your role does not give access to this points page."))
    context = {
        "families": selectors.rule_families(committee),
        "config": selectors.points_settings(committee.pk),
        "can_manage": has_capability(request.user, "points.manage", committee),
        "today": timezone.localdate(),
    }
    return _render(request, "points/rules.html", context)


@login_required
def rule_create(request):
    committee = _staff_committee(request, "points.manage")
    form = RuleForm(request.POST or None, committee=committee, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.point_rule_create(
                actor=request.user, committee=committee, data=form.service_data()), _("The rule has been added.")):
            return redirect("points:rules")
    return _render(request, "points/rule_form.html", {"form": form, "rule": None})


@login_required
def rule_revise(request, pk):
    committee = _staff_committee(request, "points.manage")
    rule = PointRule.objects.filter(committee=committee, pk=pk).select_related("activity_type").first()
    if rule is None:
        raise Http404
    initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
    initial["effective_from"] = max(timezone.localdate(), rule.effective_from + datetime.timedelta(days=1))
    form = RuleForm(request.POST or None, committee=committee, revising=rule, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["action"] = rule.action
        if service_on_form(request, form, lambda: services.point_rule_revise(actor=request.user, rule=rule, data=data),
                           lambda _new: _("Version %(n)d of the rule takes effect on %(day)s; entries already made "
                                          "keep their version.") % {"n": rule.version + 1,
                                                                     "day": data["effective_from"].isoformat()}):
            return redirect("points:rules")
    return _render(request, "points/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_close(request, pk):
    committee = _staff_committee(request, "points.manage")
    rule = PointRule.objects.filter(committee=committee, pk=pk).select_related("activity_type").first()
    if rule is None or rule.is_manual:
        raise Http404
    form = RuleCloseForm(request.POST or None, initial={"effective_to": max(timezone.localdate(),
                                                                          rule.effective_from)})
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.point_rule_close(
                actor=request.user, rule=rule, effective_to=form.cleaned_data["effective_to"]),
                lambda _closed: _("“%(name)s” gives no points after %(day)s.")
                % {"name": rule.name, "day": form.cleaned_data["effective_to"].isoformat()}):
            return redirect("points:rules")
    return _render(request, "points/rule_close.html", {"form": form, "rule": rule})


@login_required
def settings_view(request):
    committee = _staff_committee(request, "points.manage")
    config = selectors.points_settings(committee.pk)
    form = SettingsForm(request.POST or None, initial={"threshold": config.threshold,
                                                      "annual_baseline": config.annual_baseline,
                                                      "ranking_enabled": config.ranking_enabled})
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.points_settings_update(
                actor=request.user, committee=committee, **form.cleaned_data), _("The points settings have been saved.")):
            return redirect("points:rules")
    return _render(request, "points/settings.html", {"form": form, "config": config})


# --- participation ----------------------------------------------------------------------------------------


PARTICIPATION_PAGE_SIZE = 50


def _period_from(form, presets) -> tuple:
    """(Period, preset key): a preset wins, then valid from/to dates, then ``year`` (old links), else this year."""
    by_key = dict(presets)
    preset = by_key.get(form.data.get("preset", ""))
    if preset is not None:
        return preset
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        if start and end:
            return next((p for _k, p in presets if (p.start, p.end) == (start, end)), periods.Period(start, end))
        if form.cleaned_data["year"]:
            year = form.cleaned_data["year"]
            return next((p for _k, p in presets if (p.start, p.end) == periods.year_bounds(year)),
                        periods.Period(*periods.year_bounds(year)))
    return by_key["this_year"]


def _participation_data(request):
    number = page_number(request)
    # the branch rows and the page asked for in one query (another page is read again if it is out of range)
    return participation_data(request.user, request.GET,
                              page=((number - 1) * PARTICIPATION_PAGE_SIZE, PARTICIPATION_PAGE_SIZE))


def participation_data(user, data, page=None):
    """The participation page's data for ``user`` and the filter values ``data`` (the page's GET parameters;
    also what the background export builds again in the worker)."""
    committee = staff_committee(user)
    branches = list(selectors.visible_branches(user, committee))
    form = ParticipationFilter(data or None, branches=branches)
    presets = periods.period_presets()
    period = _period_from(form, presets)
    branch_id, below, platform = None, False, Platform.XUEXI
    if form.is_bound and form.is_valid():
        branch_id = form.cleaned_data["branch"]
        below = form.cleaned_data["below"]
        platform = form.cleaned_data["platform"] or platform
    elif form.is_bound:  # keep the branch and platform when only the dates are wrong
        branch_id = form.cleaned_data.get("branch")
        platform = form.cleaned_data.get("platform") or platform
    if not form.is_bound or not form.errors:
        values = {"date_from": period.start.isoformat(), "date_to": period.end.isoformat(), "platform": platform,
                  "branch": branch_id or "", "below": below}
        form = ParticipationFilter(values, branches=branches)
        form.is_valid()
    rows, branch_rows, config = selectors.participation(user, committee, period=period,
                                                        branch_id=branch_id,
                                                        below_only=below and period.whole_year is not None,
                                                        platform=platform, page=page)
    keep = {"branch": branch_id or "", "platform": platform}
    preset_links = [(key, label, urlencode({"preset": key} | keep), key == period.key)
                    for (key, _p), label in zip(presets, PRESET_LABELS, strict=True)]
    return {"form": form, "rows": rows, "branch_rows": branch_rows, "config": config, "period": period,
            "year": period.whole_year, "committee": committee, "presets": preset_links,
            "platform_label": Platform(platform).label, "platform": platform}


PRESET_LABELS = [pgettext_lazy("period", "This year"), pgettext_lazy("period", "Last year"),
                 pgettext_lazy("period", "This quarter"), pgettext_lazy("period", "Last quarter")]


def _percent(rate) -> str:
    return "" if rate is None else f"{rate * 100:.0f}%"


def participation_export(user, data) -> Export:
    """The participation table as an export for ``user`` and the filter values ``data``."""
    context = participation_data(user, data)
    config = context["config"]
    whole_year = context["period"].whole_year is not None
    header = [_("Name"), _("Branch"), _("Expected"), pgettext("attendance count", "Present"), _("Attendance rate"),
              _("Points")]
    if whole_year:
        header += [_("Threshold"), _("Below threshold")]
    header.append(str(context["platform_label"]))
    if config.ranking_enabled:
        header.append(_("Rank"))

    def lines():
        for r in context["rows"]:
            line = [r.member.name, r.branch_name, r.expected, r.present, _percent(r.rate), r.total]
            if whole_year:
                line += [r.threshold, _("Yes") if r.below else ""]
            line.append("" if r.score is None else r.score)
            if config.ranking_enabled:
                line.append(r.rank)
            yield line

    slug = context["period"].slug
    return Export(header=header, rows=lines(), total=len(context["rows"]), filename=f"participation-{slug}.xlsx",
                  action="points.participation_export", object_type="points.participation",
                  object_repr=str(context["period"].label) if hasattr(context["period"], "label") else slug,
                  sheet_name=slug, details={"period": slug, "platform": str(context.get("platform_label", ""))})


def _participation_xlsx(request):
    """The participation .xlsx: in the background when the roster in scope is large (one COUNT decides)."""
    committee = _staff_committee(request)
    form = ParticipationFilter(request.GET, branches=selectors.visible_branches(request.user, committee))
    form.is_valid()
    return send_export(
        request, lambda: participation_export(request.user, request.GET), name=PARTICIPATION,
        params={"query": pager_query(request, "format")},
        total=selectors.participation_count(request.user, committee, branch_id=form.cleaned_data.get("branch")))


@login_required
def participation(request):
    if request.GET.get("format") == "xlsx":
        return _participation_xlsx(request)
    context = _participation_data(request)
    context["query"] = pager_query(request, "format")
    context["page"] = page_of(request, context["rows"], PARTICIPATION_PAGE_SIZE)
    template = "points/partials/participation_table.html" if request.htmx else \
        "points/participation.html"
    return _render(request, template, context)


# --- one member's points (staff) and manual adjustments ---------------------------------------------------


def _member_page(request, member, form=None):
    year = _year(request)
    context = {
        "subject": member,
        "data": selectors.member_year(member, year),
        "years": selectors.entry_years(member),
        "scores": selectors.latest_external_scores([member.pk]).get(member.pk, []),
        "can_adjust": services.may_adjust(request.user, member),
        "form": form or AdjustmentForm(),
    }
    return _render(request, "points/member.html", context)


@login_required
def member_points(request, pk):
    """A member's points of a year for those who may see the member (404 outside their scope)."""
    member = member_get(request.user, pk, VIEW, request=request)
    return _member_page(request, member)


@login_required
@require_POST
def adjustment_create(request, pk):
    member = member_get(request.user, pk, EDIT, request=request)
    if not services.may_adjust(request.user, member):
        raise PermissionDenied(_("Your role cannot adjust the points of this member."))
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        try:
            entry = services.point_adjustment_create(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(points)+d points recorded for %(name)s.")
                             % {"points": entry.points, "name": member.name})
            return redirect(f"{reverse('points:member', args=[member.pk])}?year={entry.day.year}")
    return _member_page(request, member, form=form)


@login_required
@require_POST
def adjustment_reverse(request, pk):
    entry = restrict(PointEntry.objects.select_related("member"), request.user, EDIT, committee="member__committee",
                     branch="member__branch", member="member").filter(pk=pk).first()
    if entry is None:
        raise Http404
    service_message(request, lambda: services.point_adjustment_reverse(actor=request.user, entry=entry),
                    lambda _reversal: _("The adjustment “%(reason)s” has been reversed by a correcting entry.")
                    % {"reason": entry.subject})
    return redirect(f"{reverse('points:member', args=[entry.member_id])}?year={entry.day.year}")


# --- external scores --------------------------------------------------------------------------------------


def _opener(path):
    return lambda: default_storage.open(path, "rb")


@login_required
def import_upload(request):
    committee = _staff_committee(request, "points.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        ext = file_extension(upload.name)
        error = upload_error(upload)  # the same limits as the ledger import (core.imports)
        if error:
            form.add_error("file", error)
        else:
            old = request.session.pop(SESSION_IMPORT, None)
            if old:
                imports.import_file_delete(actor=request.user, path=old["path"], reason="superseded")
            path = default_storage.save(f"points/imports/{uuid.uuid4().hex}{ext}", upload)
            name = os.path.basename(upload.name)[:200]
            report = imports.check(actor=request.user, committee=committee, opener=_opener(path), file_name=name)
            if report.file_error or not report.ok_count:
                imports.import_file_delete(actor=request.user, path=path, reason="nothing to import")
            else:
                request.session[SESSION_IMPORT] = {"path": path, "name": name, "sha256": report.sha256}
    return _render(request, "points/import.html", {"form": form, "report": report,
                                                  "imports": selectors.imports_of(committee)})


@login_required
@require_POST
def import_commit(request):
    committee = _staff_committee(request, "points.manage")
    pending = request.session.get(SESSION_IMPORT)
    if not pending or pending.get("sha256") != request.POST.get("sha256") or not default_storage.exists(
            pending["path"]):
        messages.error(request, _("The checked file is no longer available; upload it again."))
        return redirect("points:import")
    report = imports.commit(actor=request.user, committee=committee, opener=_opener(pending["path"]),
                            file_name=pending["name"])
    imports.import_file_delete(actor=request.user, path=pending["path"], reason="committed")
    request.session.pop(SESSION_IMPORT, None)
    if report.score_import is None:
        messages.error(request, _("Nothing was imported: no row is valid."))
    else:
        messages.success(request, _("%(n)d scores imported from %(file)s; %(errors)d rows with errors were left out.")
                         % {"n": report.ok_count, "file": pending["name"], "errors": report.error_count})
    return redirect("points:import")


@login_required
def import_template(request):
    _staff_committee(request, "points.manage")
    header, rows = imports.template_rows()
    f, _count = xlsx_tempfile(header, rows, sheet_name="external-scores")
    return xlsx_response(f, "external-scores-template.xlsx")

