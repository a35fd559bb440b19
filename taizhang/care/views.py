"""Care pages (关怀): the 60+ list, newspaper subscriptions, visit plans, visits and the store.
Thin: scope (selectors / core.permissions) → form → service → redirect or render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from taizhang.activities.models import Activity
from taizhang.care import festivals, selectors, services
from taizhang.care.forms import (
    BookForm,
    CareProfileForm,
    ElderlyFilterForm,
    ItemForm,
    PlanAddForm,
    PlanForm,
    ReasonForm,
    StockBookForm,
    StockInForm,
    StockOutForm,
    SubscriptionAddForm,
    SubscriptionConfirmForm,
    SubscriptionPreviewForm,
    TargetForm,
    VisitForm,
)
from taizhang.care.models import (
    DEFAULT_PAPER,
    Item,
    Movement,
    Occasion,
    PlanTarget,
    Subscription,
    Visit,
    VisitMode,
    VisitPhoto,
)
from taizhang.core.attachments import file_response
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import error_text, form_errors_from, service_message
from taizhang.core.exporting import export_xlsx
from taizhang.core.money import yuan
from taizhang.core.paging import page_of, pager_query
from taizhang.core.permissions import EDIT, branches_for, has_capability, home_committee_for, restrict
from taizhang.finance.models import Expense
from taizhang.members.models import Member
from taizhang.members.pickers import picker_response, ticked_members

PAGE_SIZE = 50
PREVIEW_PAGE_SIZE = 50  # the lines of the newspaper preview shown at once (its counts are of all of them)
PRINT_LIMIT = 500


def _committee(request):
    """The committee the user cares for, or 403."""
    return home_committee_for(request.user, "care.manage",
                              _("Your role does not give access to the care of elderly members."))


def _may_book(user, committee_id, capability: str) -> bool:
    """Care books a cost to the budget (newspapers, a stock-in) for who holds the care right ``capability``
    and is also the committee's money staff."""
    return has_capability(user, capability, committee_id) and has_capability(user, "finance.manage", committee_id)


def _require_booking(request, committee, capability: str) -> None:
    if not _may_book(request.user, committee.pk, capability):
        raise PermissionDenied(_("Your role cannot record money matters of this committee."))


def _booked_on_form(request, form, call) -> bool:
    """Run a booking service: a refusal goes on the form (the over-plan one next to the confirmation box),
    else the success message. True when the expense is recorded; the view then redirects."""
    try:
        expense = call()
    except ValidationError as exc:
        form_errors_from(exc, form, aliases={"amount_fen": "confirm_over_budget"})
        return False
    messages.success(request, _("%(amount)s yuan booked to the %(year)s budget; the expense waits for approval.")
                     % {"amount": yuan(expense.amount_fen), "year": expense.line.budget.year})
    return True


def _errors_message(request, exc):
    messages.error(request, error_text(exc))


# --- the 60+ list -------------------------------------------------------------------------------------------


@login_required
@require_GET
def elderly(request):
    committee = _committee(request)
    form = ElderlyFilterForm(request.GET or None, branches=branches_for(request.user, EDIT).filter(
        committee=committee).order_by("sort_order", "id"))
    data = form.cleaned_data if form.is_valid() else {}
    day = data.get("day") or timezone.localdate()
    qs = selectors.elderly_filter(selectors.elderly_list(request.user, day, committee=committee),
                                  branch=data.get("branch"), text=data.get("q", ""), flag=data.get("flag", ""))
    if request.GET.get("export") == "xlsx":
        return _elderly_export(request, qs, day)
    if request.GET.get("print"):
        rows = list(qs[:PRINT_LIMIT + 1])
        for m in rows:
            m.age_that_day = m.age_on(day)
        return render(request, "care/elderly_print.html", {"rows": rows[:PRINT_LIMIT], "day": day,
                                                           "cut": len(rows) > PRINT_LIMIT, "limit": PRINT_LIMIT})
    page = page_of(request, qs, PAGE_SIZE)
    for m in page:
        m.age_that_day = m.age_on(day)
    return render(request, "care/elderly.html", {"form": form, "page": page, "day": day, "query": pager_query(request),
                                                 "export_query": pager_query(request, "export", "print")})


def _elderly_export(request, qs, day):
    header = [_("Household"), _("Name"), _("Age"), _("Branch"), _("Address"), _("Phone"), _("lives alone"),
              _("needs visits at home"), _("mobility"), _("living situation"), _("health"), _("family contact"),
              _("care notes")]

    def rows():
        for m in qs.iterator(chunk_size=2000):
            p = getattr(m, "care_profile", None)
            yield [m.household.name if m.household_id else "", m.name, m.age_on(day), m.branch.name,
                   (m.household.address if m.household_id and m.household.address else m.residence), m.phone_masked,
                   _("yes") if p and p.lives_alone else "", _("yes") if p and p.needs_home_visit else "",
                   p.get_mobility_display() if p else "", p.living_situation if p else "", p.health if p else "",
                   p.family_contact if p else "", p.notes if p else ""]

    return export_xlsx(request, header=header, rows=rows(), filename=f"{_('Elderly members')}-{day}.xlsx",
                       action="care.elderly_export", object_type="care.elderly", sheet_name=_("Elderly members"),
                       details={"day": str(day), "rows": qs.count()})


@login_required
def profile_edit(request, pk):
    committee = _committee(request)
    member = get_object_or_404(restrict(Member.objects.filter(committee=committee), request.user, EDIT)
                               .select_related("branch", "household"), pk=pk)
    profile = getattr(member, "care_profile", None)
    initial = {}
    if profile is not None:
        initial = {name: getattr(profile, name) for name in ("lives_alone", "needs_home_visit", "mobility",
                                                              "living_situation", "health", "family_contact", "notes")}
        initial["family_phone"] = profile.family_phone
    form = CareProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.care_profile_update(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The care notes of %(name)s are saved.") % {"name": member.name})
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("members:detail", args=[member.pk])
            return redirect(target)
    return render(request, "care/profile_form.html", {"form": form, "member": member,
                                                      "next": request.GET.get("next", "")},
                  status=400 if form.errors else 200)


# --- subscriptions ------------------------------------------------------------------------------------------


@login_required
@require_GET
def subscriptions_current(request):
    _committee(request)
    return redirect("care:subscriptions", year=selectors.subscription_year())


def _year(year):
    if not 2000 <= year <= 2100:
        raise Http404
    return year


def _subscription_members(request, committee, year):
    """Whom a subscription may be added for by hand: the elderly on the year's reference day the user may edit."""
    return (restrict(selectors.elderly_on(selectors.reference_day(year), committee=committee), request.user, EDIT)
            .order_by("branch__sort_order", "name_pinyin"))


def _subscription_context(request, committee, year, add_form=None, book_form=None):
    qs = selectors.subscriptions_for(request.user, year, committee=committee)
    manage = has_capability(request.user, "care.subscriptions", committee.pk)
    book = manage and _may_book(request.user, committee.pk, "care.subscriptions")
    unbooked = qs.filter(status="active", expense__isnull=True).exists() if book else False
    return {"year": year, "page": page_of(request, qs, PAGE_SIZE),
            "book_form": (book_form or BookForm(initial={"spent_on": timezone.localdate()})) if unbooked else None,
            "totals": selectors.subscription_totals(qs), "manage": manage, "query": pager_query(request),
            "reference_day": selectors.reference_day(year), "cancel_form": ReasonForm(),
            "add_form": add_form or (SubscriptionAddForm(members=_subscription_members(request, committee, year))
                                     if manage else None),
            "years": [year - 1, year, year + 1]}


@login_required
def subscriptions(request, year):
    committee = _committee(request)
    year = _year(year)
    if request.method == "POST":
        if not has_capability(request.user, "care.subscriptions", committee.pk):
            raise PermissionDenied(_("Only the committee's administrators confirm the newspaper list."))
        add_form = SubscriptionAddForm(request.POST, members=_subscription_members(request, committee, year))
        if add_form.is_valid():
            try:
                sub = services.subscription_add(actor=request.user, committee=committee, year=year,
                                                **add_form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, add_form)
            else:
                messages.success(request, _("%(name)s's household gets %(paper)s in %(year)s.")
                                 % {"name": sub.recipient.name, "paper": sub.paper, "year": year})
                return redirect("care:subscriptions", year=year)
        return render(request, "care/subscriptions.html", _subscription_context(request, committee, year, add_form),
                      status=400)
    return render(request, "care/subscriptions.html", _subscription_context(request, committee, year))


@login_required
def subscriptions_preview(request, year):
    committee = _committee(request)
    year = _year(year)
    if not has_capability(request.user, "care.subscriptions", committee.pk):
        raise PermissionDenied(_("Only the committee's administrators confirm the newspaper list."))
    day_form = SubscriptionPreviewForm(request.GET or None)
    day = (day_form.cleaned_data.get("day") if day_form.is_valid() else None) or selectors.reference_day(year)
    last = (Subscription.objects.filter(committee=committee, year=year - 1).order_by("-id").first())
    confirm = SubscriptionConfirmForm(request.POST or None, initial={
        "day": day, "paper": last.paper if last else DEFAULT_PAPER,
        "price_fen": last.cost_fen // last.copies if last else None})
    if request.method == "POST" and confirm.is_valid():
        data = confirm.cleaned_data
        try:
            preview, made = services.subscriptions_confirm(
                actor=request.user, committee=committee, year=year, day=data.get("day") or day, paper=data["paper"],
                copies=data["copies"], price_fen=data["price_fen"] or 0)
        except ValidationError as exc:
            form_errors_from(exc, confirm, aliases={"cost_fen": "price_fen"})
        else:
            messages.success(request, _("The %(year)s newspaper list is confirmed: %(n)d subscriptions written.")
                             % {"year": year, "n": len(made)})
            return redirect("care:subscriptions", year=year)
    preview = selectors.subscription_preview(committee=committee, year=year, day=day)
    page = page_of(request, preview.lines, PREVIEW_PAGE_SIZE)  # the counts are of all
    return render(request, "care/subscriptions_preview.html", {
        "year": year, "preview": preview, "page": page, "query": pager_query(request), "day": day, "day_form": day_form,
        "confirm": confirm,
        "counts": preview.as_dict(), "to_write": len(preview.to_write)}, status=400 if confirm.errors else 200)


@login_required
@require_POST
def subscriptions_book(request, year):
    committee = _committee(request)
    year = _year(year)
    _require_booking(request, committee, "care.subscriptions")
    form = BookForm(request.POST)
    if form.is_valid() and _booked_on_form(request, form, lambda: services.subscriptions_book(
            actor=request.user, committee=committee, year=year, **form.cleaned_data)):
        return redirect("care:subscriptions", year=year)
    return render(request, "care/subscriptions.html", _subscription_context(request, committee, year, book_form=form),
                  status=400)


@login_required
@require_POST
def subscription_cancel(request, pk):
    committee = _committee(request)
    sub = get_object_or_404(Subscription.objects.filter(committee=committee), pk=pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": [_("Say why the subscription is cancelled.")]})
        services.subscription_cancel(actor=request.user, subscription=sub, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors_message(request, exc)
    else:
        messages.success(request, _("The subscription of %(name)s is cancelled.") % {"name": sub.recipient.name})
    return redirect("care:subscriptions", year=sub.year)


@login_required
@require_GET
def subscriptions_export(request, year):
    committee = _committee(request)
    year = _year(year)
    qs = selectors.subscriptions_for(request.user, year, committee=committee).filter(status="active")
    if request.GET.get("print"):
        rows = list(qs[:PRINT_LIMIT + 1])
        audit_log(actor=request.user, action="care.subscriptions_print", obj=committee, ip_address=client_ip(request),
                  new={"year": year, "rows": min(len(rows), PRINT_LIMIT)})  # the full phone numbers, on paper
        return render(request, "care/subscriptions_print.html", {
            "rows": rows[:PRINT_LIMIT], "cut": len(rows) > PRINT_LIMIT, "limit": PRINT_LIMIT, "year": year,
            "totals": selectors.subscription_totals(qs)})
    header = [_("Recipient"), _("delivery address"), _("Phone"), _("newspaper"), _("copies"), _("Period"),
              _("cost (yuan)"), _("Branch"), _("remark")]
    period = f"{year}-01-01 – {year}-12-31"

    def rows():
        for s in qs.iterator(chunk_size=2000):
            yield [s.recipient.name, s.address, s.recipient.phone, s.paper, s.copies, period, yuan(s.cost_fen),
                   s.recipient.branch.name, _("flagged for cancellation") if s.flagged else ""]

    return export_xlsx(request, header=header, rows=rows(), filename=f"{_('Newspaper subscriptions')}-{year}.xlsx",
                       action="care.subscriptions_export", obj=committee, sheet_name=_("Newspaper subscriptions"),
                       details={"year": year, "rows": qs.count()})


# --- visit plans --------------------------------------------------------------------------------------------


@login_required
def plans(request):
    committee = _committee(request)
    today = timezone.localdate()
    branches = branches_for(request.user, EDIT).filter(committee=committee).order_by("sort_order", "id")
    occasion, day = festivals.next_festival(today)
    form = PlanForm(request.POST or None, branches=branches,
                    initial={"year": day.year, "occasion": occasion, "branch": branches.first()})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The plan %(title)s covers %(n)d elderly members.")
                             % {"title": plan.title, "n": plan.targets.count()})
            return redirect("care:plan", pk=plan.pk)
    page = page_of(request, selectors.plans_for(request.user).filter(committee=committee), PAGE_SIZE)
    return render(request, "care/plans.html", {
        "form": form, "page": page, "query": pager_query(request),
        "festivals": [(Occasion(o).label, d) for o, d in festivals.festivals(today.year)]
        + [(Occasion(o).label, d) for o, d in festivals.festivals(today.year + 1)][:1]},
        status=400 if form.errors else 200)


def _plan_or_404(request, pk):
    plan = selectors.plan_get(request.user, pk)
    if plan is None:
        raise Http404(_("No such visit plan."))
    return plan


@login_required
@require_GET
def plan_detail(request, pk):
    _committee(request)
    plan = _plan_or_404(request, pk)
    targets = selectors.plan_targets(plan)
    show = request.GET.get("show", "")
    if show == "not_yet":
        targets = targets.filter(visited=False, declined=False)
    page = page_of(request, targets, PAGE_SIZE)
    return render(request, "care/plan_detail.html", {
        "plan": plan, "page": page, "coverage": selectors.coverage(plan), "show": show, "query": pager_query(request),
        "add_form": PlanAddForm(members=selectors.plan_candidates(request.user, plan)),
        "gifts": Movement.objects.filter(visit__in=Visit.objects.counted().filter(plan=plan))
        .values("item__name", "item__unit").annotate(
            n=-Sum("quantity")).order_by("item__name")})


@login_required
@require_POST
def target_add(request, pk):
    _committee(request)
    plan = _plan_or_404(request, pk)
    form = PlanAddForm(request.POST, members=selectors.plan_candidates(request.user, plan))
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        target = services.plan_target_add(actor=request.user, plan=plan, member=form.cleaned_data["member"])
    except ValidationError as exc:
        _errors_message(request, exc)
        return redirect("care:plan", pk=plan.pk)
    messages.success(request, _("%(name)s is added to the plan.") % {"name": target.member.name})
    return redirect(reverse("care:plan", args=[plan.pk]) + f"#target-{target.pk}")


@login_required
@require_POST
def target_update(request, pk):
    _committee(request)
    target = get_object_or_404(PlanTarget.objects.select_related("member"), pk=pk)
    plan = _plan_or_404(request, target.plan_id)
    form = TargetForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        services.plan_target_update(actor=request.user, target=target, **form.cleaned_data)
    except ValidationError as exc:
        _errors_message(request, exc)
    else:
        messages.success(request, _("The plan for %(name)s is saved.") % {"name": target.member.name})
    return redirect(reverse("care:plan", args=[plan.pk]) + f"#target-{target.pk}")


# --- the member picker (the visit form without a plan, the hand-out form) ----------------------------------

PICKERS = {"members": True, "member": False}  # field name -> several members?


def _elderly_choices(request, committee):
    """Whom a visit without a plan or a hand-out may name: the elderly members today the user may edit."""
    return restrict(selectors.elderly_on(timezone.localdate(), committee=committee), request.user, EDIT)


@login_required
@require_GET
def member_search(request):
    """htmx: at most SEARCH_LIMIT elderly members in the user's scope found by the ledger's search (name,
    pinyin or initials), or with ``pick`` the ticked box of the one chosen."""
    committee = _committee(request)
    name = request.GET.get("field", "")
    if name not in PICKERS:
        raise Http404
    qs = _elderly_choices(request, committee).select_related("branch", "household")
    return picker_response(request, qs, chip_template="care/partials/member_chip.html",
                           results_template="care/partials/member_results.html",
                           context={"name": name, "multi": PICKERS[name]})


# --- visits -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def visits(request):
    committee = _committee(request)
    page = page_of(request, selectors.visits_for(request.user).filter(committee=committee)
                     .prefetch_related("members", "gifts__item"), PAGE_SIZE)
    return render(request, "care/visits.html", {"page": page, "query": pager_query(request)})


@login_required
def visit_create(request):
    committee = _committee(request)
    plan = None
    if request.GET.get("plan", "").isdigit():
        plan = _plan_or_404(request, int(request.GET["plan"]))
    if plan is not None:  # the plan's members (a branch's list) in a select
        members = restrict(Member.objects.filter(care_plan_targets__plan=plan), request.user, EDIT)
        members = members.select_related("branch").order_by("name_pinyin", "id")
    else:  # every elderly member in scope: found with the search, never all listed in the page
        members = _elderly_choices(request, committee)
    items = Item.objects.filter(committee=committee, stock__gt=0).order_by("name")
    initial = {"visited_on": timezone.localdate(), "mode": VisitMode.HOME}
    if request.GET.get("member", "").isdigit():
        initial["members"] = [int(request.GET["member"])]
    form = VisitForm(request.POST or None, request.FILES or None, members=members, items=items, plan=plan,
                     initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                actor=request.user, committee=committee, plan=plan, occasion=data.get("occasion", ""),
                visited_on=data["visited_on"], mode=data["mode"], visitors=data["visitors"], members=data["members"],
                talk=data["talk"], needs=data["needs"], gifts=form.gifts(), photos=data.get("photos") or [])
        except ValidationError as exc:
            form_errors_from(exc, form, aliases={"gifts": "gift_item_0"})
        else:
            messages.success(request, _("The visit of %(date)s is recorded.") % {"date": visit.visited_on})
            return redirect("care:plan", pk=plan.pk) if plan else redirect("care:visit", pk=visit.pk)
    return render(request, "care/visit_form.html", {
        "form": form, "plan": plan, "chosen": ticked_members(form["members"], members) if plan is None else []},
        status=400 if form.errors else 200)


def _visit_or_404(request, pk):
    visit = selectors.visit_get(request.user, pk)
    if visit is None:
        raise Http404(_("No such visit."))
    return visit


@login_required
@require_GET
def visit_detail(request, pk):
    _committee(request)
    visit = _visit_or_404(request, pk)
    return render(request, "care/visit_detail.html", {"visit": visit})


@login_required
@require_POST
def visit_withdraw(request, pk):
    _committee(request)
    visit = _visit_or_404(request, pk)
    form = ReasonForm(request.POST)

    def withdraw():
        if not form.is_valid():
            raise ValidationError({"reason": [_("Say why the visit is withdrawn.")]})
        return services.visit_withdraw(actor=request.user, visit=visit, reason=form.cleaned_data["reason"])

    service_message(request, withdraw, _("The visit of %(date)s is withdrawn; what it handed out is back in the store.")
                    % {"date": visit.visited_on})
    return redirect("care:visit", pk=visit.pk)


@login_required
@require_GET
def photo_download(request, pk):
    _committee(request)
    photo = get_object_or_404(VisitPhoto, pk=pk)
    if selectors.visit_get(request.user, photo.visit_id) is None:
        raise Http404
    response = file_response(photo.file, photo.original_name, photo.content_type,
                             inline=request.GET.get("inline") == "1")
    audit_log(actor=request.user, action="care.photo_download", obj=photo.visit, ip_address=client_ip(request),
              new={"file": photo.original_name, "sha256": photo.sha256})
    return response


# --- the store ----------------------------------------------------------------------------------------------


@login_required
def store(request):
    committee = _committee(request)
    manage = has_capability(request.user, "care.store", committee.pk)
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        if not manage:
            raise PermissionDenied(_("Only the committee's administrators keep the store."))
        if form.is_valid():
            try:
                item = services.item_create(actor=request.user, committee=committee, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("%(item)s is in the store; record its stock in.") % {"item": item.name})
                return redirect("care:item", pk=item.pk)
    items = selectors.items_for(request.user, committee)
    return render(request, "care/store.html", {"items": page_of(request, items, PAGE_SIZE),
                                               "form": form if manage else None, "manage": manage,
                                               "query": pager_query(request)}, status=400 if form.errors else 200)


def _stock_in_form(committee, data=None):
    """Stock in may point at one of the committee's 50 latest expenses."""
    expenses = Expense.objects.filter(line__budget__committee=committee, amount_fen__gt=0).order_by("-spent_on")[:50]
    return StockInForm(data, expenses=expenses, initial={"day": timezone.localdate()})


def _stock_out_form(request, committee, data=None):
    """A hand-out goes to an elderly member the user may edit or to an activity of the last 90 days."""
    since = timezone.now() - datetime.timedelta(days=90)
    activities = Activity.objects.filter(committee=committee, starts_at__gte=since).order_by("-starts_at")[:50]
    return StockOutForm(data, members=_elderly_choices(request, committee), activities=activities,
                        initial={"day": timezone.localdate()})


def _item_context(request, item, *, in_form=None, out_form=None):
    manage = has_capability(request.user, "care.store", item.committee_id)
    out_form = out_form or _stock_out_form(request, item.committee)
    return {
        "item": item, "manage": manage, "query": pager_query(request),
        "page": page_of(request, selectors.item_movements(item), PAGE_SIZE),
        "in_form": in_form or (_stock_in_form(item.committee) if manage else None),
        "out_form": out_form,
        "reverse_form": ReasonForm() if manage else None,
        "book": _may_book(request.user, item.committee_id, "care.store"),
        "chosen": ticked_members(out_form["member"], out_form.fields["member"].queryset),
    }


def _item_or_404(request, pk):
    committee = _committee(request)
    return get_object_or_404(Item.objects.select_related("committee"), pk=pk, committee=committee)


@login_required
def item_detail(request, pk):
    item = _item_or_404(request, pk)
    if request.method != "POST":
        return render(request, "care/item_detail.html", _item_context(request, item))
    if request.POST.get("action") == "in":
        if not has_capability(request.user, "care.store", item.committee_id):
            raise PermissionDenied(_("Only the committee's administrators keep the store."))
        form = _stock_in_form(item.committee, request.POST)
        if form.is_valid():
            try:
                services.stock_in(actor=request.user, item=item, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("%(n)d %(unit)s of %(item)s taken into the store.")
                                 % {"n": form.cleaned_data["quantity"], "unit": item.unit, "item": item.name})
                return redirect("care:item", pk=item.pk)
        return render(request, "care/item_detail.html", _item_context(request, item, in_form=form), status=400)
    form = _stock_out_form(request, item.committee, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_out(actor=request.user, item=item, quantity=data["quantity"], day=data["day"],
                               member=data["member"], activity=data["activity"], note=data["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(n)d %(unit)s of %(item)s handed out.")
                             % {"n": data["quantity"], "unit": item.unit, "item": item.name})
            return redirect("care:item", pk=item.pk)
    return render(request, "care/item_detail.html", _item_context(request, item, out_form=form), status=400)


@login_required
@require_POST
def movement_reverse(request, pk):
    committee = _committee(request)
    movement = get_object_or_404(Movement.objects.select_related("item"), pk=pk, item__committee=committee)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"reason": [_("Say why the movement is corrected.")]})
        services.movement_reverse(actor=request.user, movement=movement, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors_message(request, exc)
    else:
        messages.success(request, _("The movement is corrected by a reversing one."))
    return redirect("care:item", pk=movement.item_id)


@login_required
def stock_in_book(request, pk):
    """Book a stock-in's cost to the budget (the store's keeper who is also money staff)."""
    committee = _committee(request)
    movement = get_object_or_404(Movement.objects.select_related("item"), pk=pk,
                                 item__committee=committee, kind="in")
    _require_booking(request, committee, "care.store")
    form = StockBookForm(request.POST or None, request.FILES or None,
                         initial={"spent_on": movement.day, "payee": movement.supplier})
    if request.method == "POST" and form.is_valid() and _booked_on_form(
            request, form, lambda: services.stock_in_book(actor=request.user, movement=movement, **form.cleaned_data)):
        return redirect("care:item", pk=movement.item_id)
    return render(request, "care/stock_in_book.html", {
        "form": form, "movement": movement, "item": movement.item,
        "total_fen": (movement.unit_price_fen or 0) * movement.quantity}, status=400 if form.errors else 200)


@login_required
@require_GET
def received(request):
    committee = _committee(request)
    qs = selectors.received_by(request.user, committee)
    if request.GET.get("member", "").isdigit():
        qs = qs.filter(member_id=int(request.GET["member"]))
    if request.GET.get("item", "").isdigit():
        qs = qs.filter(item_id=int(request.GET["item"]))
    return render(request, "care/received.html", {
        "page": page_of(request, qs, PAGE_SIZE), "query": pager_query(request),
        "items": Item.objects.filter(committee=committee).order_by("name")})


@login_required
@require_GET
def summary(request, year):
    committee = _committee(request)
    year = _year(year)
    return render(request, "care/summary.html", {"year": year, "summary": selectors.yearly_summary(committee, year),
                                                 "years": [year - 1, year + 1]})
