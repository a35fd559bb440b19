"""Party dues pages (党费): the year's ledger per branch (paged members × months), one member's base and
payments, 我的党费, the per-committee switch, .xlsx export. Hidden (with an explanation) when the committee
does not collect dues."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from taizhang.core.audit import audit_log
from taizhang.core.errors import form_errors_from
from taizhang.core.exporting import export_xlsx
from taizhang.core.money import yuan
from taizhang.core.paging import page_of
from taizhang.core.permissions import VIEW, branches_for, has_capability, home_committee_for, own_member
from taizhang.finance import dues as svc
from taizhang.finance.forms import DuesBaseForm, DuesPaymentForm
from taizhang.finance.models import DuesPayment, DuesSettings
from taizhang.members.models import ROSTER_STATUSES, Member

PAGE_SIZE = 30


def _committee(request):
    committee = home_committee_for(
        request.user, "finance.view", _("Your role does not give access to the party dues."))
    return committee


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        return today.year
    return year if 2000 <= year <= today.year else today.year


def _period(year):
    today = timezone.localdate()
    return datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today)


def _members(request, committee, branch_id=None):
    qs = (Member.objects.visible_to(request.user, VIEW).filter(committee=committee,
                                                               current_event__status_after__in=ROSTER_STATUSES)
          .select_related("branch").order_by("branch__sort_order", "name", "pk"))
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs


@login_required
@require_GET
def dues_ledger(request):
    committee = _committee(request)
    settings_row = svc.dues_settings(committee.pk)
    manage = has_capability(request.user, "finance.manage", committee)
    if not settings_row.collects_dues:
        return render(request, "finance/dues_off.html", {"manage": manage, "committee": committee})
    year = _year(request)
    start, end = _period(year)
    branches = list(branches_for(request.user, VIEW).filter(committee=committee).order_by("sort_order"))
    try:
        branch_id = int(request.GET.get("branch") or 0)
    except ValueError:
        branch_id = 0
    if branch_id and branch_id not in {b.pk for b in branches}:
        messages.error(request, _("Unknown branch: choose one from the list."))
        branch_id = 0
    members = _members(request, committee, branch_id)
    if request.GET.get("format") == "xlsx":
        return _export(request, committee, members, year, start, end)
    page = page_of(request, members, PAGE_SIZE)
    rows = svc.dues_rows(page.object_list, start=start, end=end)
    months = svc.months_between(start, end)
    return render(request, "finance/dues_ledger.html", {
        "rows": rows, "page": page, "months": months, "year": year, "branches": branches, "branch_id": branch_id,
        "manage": manage, "years": range(timezone.localdate().year, 2016, -1),
        "query": f"year={year}&branch={branch_id or ''}", "warning_months": svc.warning_months(),
        "page_due": sum(r.due_fen for r in rows), "page_paid": sum(r.paid_fen for r in rows),
        "page_arrears": sum(r.arrears_fen for r in rows),
    })


def _export(request, committee, members, year, start, end):
    months = svc.months_between(start, end)
    header = [_("Name"), _("Branch"), *[f"{m.month}月" for m in months], _("Due"), _("Paid"), _("Arrears"),
              _("Voluntary payments")]

    def rows():
        chunk = []
        for member in members.iterator(chunk_size=500):
            chunk.append(member)
            if len(chunk) == 500:
                yield from _lines(chunk)
                chunk = []
        yield from _lines(chunk)

    def _lines(chunk):
        for r in svc.dues_rows(chunk, start=start, end=end):
            cells = [("✓" if m in r.paid else ("✗" if m in r.due else "")) for m in months]
            yield [r.member.name, r.member.branch.name, *cells, yuan(r.due_fen), yuan(r.paid_fen), yuan(r.arrears_fen),
                   yuan(r.voluntary_fen)]

    return export_xlsx(request, header=header, rows=rows(), filename=f"{_('Party dues')}-{year}.xlsx",
                       action="finance.dues_export", obj=committee, sheet_name=str(year), details={"year": year})


@login_required
@require_POST
def dues_switch(request):
    committee = home_committee_for(
        request.user, "finance.manage", _("Your role cannot record money matters of this committee."))
    on = request.POST.get("on") == "1"
    row, _created = DuesSettings.objects.get_or_create(committee=committee)
    if row.collects_dues != on:
        DuesSettings.objects.filter(pk=row.pk).update(collects_dues=on)
        audit_log(actor=request.user, action="finance.dues_settings", obj=committee,
                  old={"collects_dues": row.collects_dues}, new={"collects_dues": on})
    messages.success(request, _("The committee collects party dues here.") if on
                     else _("The dues pages are hidden: members pay their dues at home."))
    return redirect("finance:dues")


def _member_for(request, pk):
    member = get_object_or_404(Member.objects.visible_to(request.user, VIEW).select_related("branch"), pk=pk)
    if not has_capability(request.user, "finance.view", member.committee_id):
        raise PermissionDenied(_("Your role does not give access to the party dues."))
    if not svc.collects_dues(member.committee_id):
        raise PermissionDenied(_("This committee does not collect party dues (a setting on the dues page)."))
    return member


@login_required
def dues_member(request, pk):
    member = _member_for(request, pk)
    today = timezone.localdate()
    base_form = DuesBaseForm(prefix="base", initial={"applies_from": today})
    pay_form = DuesPaymentForm(prefix="pay", initial={"paid_on": today, "period_from": today.replace(day=1)})
    if request.method == "POST":
        target = request.POST.get("form")
        form = DuesBaseForm(request.POST, prefix="base") if target == "base" else DuesPaymentForm(request.POST, prefix="pay")
        if form.is_valid():
            try:
                if target == "base":
                    svc.dues_base_set(actor=request.user, member=member, **form.cleaned_data)
                    messages.success(request, _("The dues base of %(name)s is recorded.") % {"name": member.name})
                else:
                    svc.dues_pay(actor=request.user, member=member, **form.cleaned_data)
                    messages.success(request, _("The payment of %(name)s is recorded.") % {"name": member.name})
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                return redirect("finance:dues_member", pk=member.pk)
        if target == "base":
            base_form = form
        else:
            pay_form = form
    return render(request, "finance/dues_member.html", _member_context(member, base_form, pay_form, today))


def _member_context(member, base_form=None, pay_form=None, today=None):
    today = today or timezone.localdate()
    start = datetime.date(today.year - 1, 1, 1)
    [row] = svc.dues_rows([member], start=start, end=today)
    current = None
    if row.base is not None:
        current = svc.monthly_fen(row.base, svc.month_start(today))
    return {"member": member, "row": row, "current_fen": current, "bases": member.dues_bases.select_related("recorded_by"),
            "payments": DuesPayment.objects.filter(member=member).order_by("-period_from", "-id")[:48],
            "base_form": base_form, "pay_form": pay_form, "months": svc.months_between(start, today),
            "warning_months": svc.warning_months()}


@login_required
@require_GET
def my_dues(request):
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    if not svc.collects_dues(member.committee_id):
        return render(request, "finance/dues_off.html", {"manage": False, "committee": member.committee, "mine": True})
    return render(request, "finance/dues_member.html", {**_member_context(member), "mine": True})
