"""Budget pages (经费预算): actual against plan per line for a year or any period in it, the lines'
planned amounts with their history, expenses recorded, approved by someone else, reversed; .xlsx export
and a printable A4 page. Only the committee's money staff (committee admin, 财务)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from taizhang.activities import selectors as activity_selectors
from taizhang.activities.models import Activity
from taizhang.core.attachments import file_response
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import error_text, service_message, service_on_form
from taizhang.core.exporting import export_xlsx
from taizhang.core.money import yuan, yuan_grouped
from taizhang.core.paging import page_of
from taizhang.core.permissions import has_capability, home_committee_for
from taizhang.finance import budget as svc
from taizhang.finance.forms import BudgetLineForm, ExpenseForm, PeriodForm, ReverseForm
from taizhang.finance.models import BudgetLine, BudgetRevision, Expense, ExpenseScan

PAGE_SIZE = 50


def _committee(request):
    committee = home_committee_for(
        request.user, "finance.manage", _("Only the committee's money staff (committee admin, treasurer) see the budget."))
    return committee


def _budget(request, year):
    committee = _committee(request)
    try:
        return svc.budget_get_or_create(actor=request.user, committee=committee, year=year)
    except ValidationError as exc:
        raise PermissionDenied(error_text(exc)) from exc


@login_required
@require_GET
def budget_current(request):
    _committee(request)
    return redirect("finance:budget", year=timezone.localdate().year)


def _period(request, budget):
    form = PeriodForm(request.GET or None)
    start, end = datetime.date(budget.year, 1, 1), datetime.date(budget.year, 12, 31)
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["date_from"] or start
        end = form.cleaned_data["date_to"] or end
        if start > end or start.year != budget.year or end.year != budget.year:
            form.add_error("date_to", _("Choose a period within %(year)s, the end not before the start.")
                           % {"year": budget.year})
            start, end = datetime.date(budget.year, 1, 1), datetime.date(budget.year, 12, 31)
    if not form.is_bound or not form.errors:
        form = PeriodForm({"date_from": start.isoformat(), "date_to": end.isoformat()})
        form.is_valid()
    return form, start, end


@login_required
@require_GET
def budget_page(request, year):
    budget = _budget(request, year)
    form, start, end = _period(request, budget)
    rows, total = svc.budget_report(budget, date_from=start, date_to=end)
    if request.GET.get("format") == "xlsx":
        return _export(request, budget, rows, total, start, end)
    expenses = (Expense.objects.filter(line__budget=budget, spent_on__gte=start, spent_on__lte=end)
                .select_related("line__use", "recorded_by", "approved_by", "decision_activity", "activity",
                                "reversed_by")
                .prefetch_related("scans")
                .order_by("-spent_on", "-id"))
    page = page_of(request, expenses, PAGE_SIZE)
    revisions = (BudgetRevision.objects.filter(line__budget=budget).select_related("line__use", "revised_by")
                 .order_by("-revised_at", "-id")[:20])
    return render(request, "finance/budget.html", {
        "budget": budget, "rows": rows, "total": total, "form": form, "page": page, "revisions": revisions,
        "reverse_form": ReverseForm(), "years": range(timezone.localdate().year + 1, budget.year - 3, -1),
        "query": f"date_from={start.isoformat()}&date_to={end.isoformat()}",
    })


def _export(request, budget, rows, total, start, end):
    header = [_("use"), _("planned"), _("spent"), _("awaiting approval"), _("rest"), _("over budget")]
    data = [[r.use, yuan(r.planned_fen), yuan(r.spent_fen), yuan(r.pending_fen), yuan(r.rest_fen),
             _("yes") if r.over else ""] for r in [*rows, total]]
    return export_xlsx(request, header=header, rows=data, filename=f"{_('Budget')}-{budget.year}.xlsx",
                       action="finance.budget_export", obj=budget, sheet_name=str(budget.year),
                       details={"from": start, "to": end})


@login_required
@require_POST
def line_set(request, pk):
    line = get_object_or_404(BudgetLine.objects.select_related("budget"), pk=pk)
    budget = _budget(request, line.budget.year)
    if budget.pk != line.budget_id:
        raise PermissionDenied(_("Only the committee's money staff (committee admin, treasurer) see the budget."))
    form = BudgetLineForm(request.POST, prefix=f"l{line.pk}")
    if form.is_valid():
        try:
            svc.budget_line_set(actor=request.user, line=line, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("The plan of %(use)s is now %(amount)s yuan.")
                             % {"use": line.use.name, "amount": yuan_grouped(form.cleaned_data["planned_fen"])})
    else:
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("finance:budget", year=line.budget.year)


def _expense_recorded(expense) -> str:
    return _("The expense of %(amount)s yuan is recorded; someone else approves it.") % {
        "amount": yuan_grouped(expense.amount_fen)}


@login_required
def expense_create(request, year):
    budget = _budget(request, year)
    return _expense_page(request, budget, initial={"spent_on": min(timezone.localdate(), datetime.date(year, 12, 31))},
                         done=redirect("finance:budget", year=year))


def _expense_page(request, budget, *, initial: dict, done, activity=None):
    """The expense form of ``budget`` (one page for every way in): on a valid POST, ``services.expense_record``
    (four eyes, over-plan confirmation) and ``done``; otherwise the form (400 with its errors) beside the
    budget's lines. ``activity``: the activity the expense is for (it points back at it)."""
    lines = budget.lines.select_related("use").order_by("use__sort_order", "id")
    if activity is not None:
        initial = {"line": next((line for line in lines if line.use.code == "training"), None), **initial}
    form = ExpenseForm(request.POST or None, request.FILES or None, lines=lines,
                       meetings=_meetings(budget.committee_id, budget.year), initial=initial)
    extra = {"activity": activity} if activity is not None else {}
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: svc.expense_record(actor=request.user, **extra, **form.cleaned_data),
                           _expense_recorded):
            return done
    rows, _total = svc.budget_report(budget)
    return render(request, "finance/expense_form.html", {"form": form, "budget": budget, "rows": rows, **extra},
                  status=400 if form.errors else 200)


def _meetings(committee_id, year):
    """The meetings an expense may rest on: the committee's activities of the year and the one before."""
    return (Activity.objects.filter(committee_id=committee_id, cancelled=False, starts_at__year__in=[year - 1, year])
            .only("pk", "title", "starts_at").order_by("-starts_at"))


@login_required
def activity_expense_create(request, pk):
    """Book an activity's cost from its page: the same form, service, four eyes and over-plan confirmation
    as every expense, prefilled from the activity; the expense points back at it."""
    activity = activity_selectors.activity_get(request.user, pk)  # 404 outside the user's activities
    if not has_capability(request.user, "finance.manage", activity.committee_id):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))
    day = min(timezone.localdate(activity.starts_at), timezone.localdate())
    try:
        budget = svc.budget_get_or_create(actor=request.user, committee=activity.committee, year=day.year)
    except ValidationError as exc:
        raise PermissionDenied(error_text(exc)) from exc
    return _expense_page(request, budget, activity=activity, done=redirect("activities:detail", pk=activity.pk),
                         initial={"spent_on": day, "description": _("%(title)s (%(day)s)") % {
                             "title": activity.title, "day": timezone.localdate(activity.starts_at)}})


def _expense(request, pk):
    expense = get_object_or_404(Expense.objects.select_related("line__budget"), pk=pk)
    _budget(request, expense.line.budget.year)
    if not has_capability(request.user, "finance.manage", expense.line.budget.committee_id):
        raise PermissionDenied(_("Only the committee's money staff (committee admin, treasurer) see the budget."))
    return expense


@login_required
@require_POST
def expense_approve(request, pk):
    expense = _expense(request, pk)
    service_message(request, lambda: svc.expense_approve(actor=request.user, expense=expense),
                    _("The expense is approved."))
    return redirect("finance:budget", year=expense.line.budget.year)


@login_required
@require_POST
def expense_reverse(request, pk):
    expense = _expense(request, pk)
    form = ReverseForm(request.POST)

    def reverse():
        if not form.is_valid():
            raise ValidationError({"reason": [_("Say why the expense is reversed.")]})
        return svc.expense_reverse(actor=request.user, expense=expense, reason=form.cleaned_data["reason"])

    service_message(request, reverse, _("The expense is reversed."))
    return redirect("finance:budget", year=expense.line.budget.year)



@login_required
@require_GET
def scan_download(request, pk):
    scan = get_object_or_404(ExpenseScan.objects.select_related("expense__line__budget"), pk=pk)
    _expense(request, scan.expense_id)
    response = file_response(scan.file, scan.original_name, scan.content_type)
    audit_log(actor=request.user, action="finance.scan_download", obj=scan.expense, ip_address=client_ip(request),
              new={"file": scan.original_name, "sha256": scan.sha256})
    return response
