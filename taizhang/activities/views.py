"""Activity pages: list, detail, plan/edit/cancel, sign-up, the attendance tick list and QR check-in.

Thin views (ARCHITECTURE.md rule 5): fetch with permission (``selectors.activity_get`` and
``restrict``) → form → service → redirect or render. The rules live in ``services``.
"""

import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signing import BadSignature, SignatureExpired
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from taizhang.activities import selectors, services
from taizhang.activities.checkin import checkin_token, refresh_seconds, token_lifetime_seconds, verify_checkin_token
from taizhang.activities.filters import ActivityFilter
from taizhang.activities.forms import (
    PLACE_SUGGESTIONS,
    ActivityForm,
    CancelForm,
    CorrectForm,
    MarkForm,
    OnBehalfForm,
)
from taizhang.activities.models import (
    Activity,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    SignUp,
    SignUpStatus,
)
from taizhang.activities.panels import activity_panels
from taizhang.activities.tables import ACTIVITY_COLUMNS
from taizhang.core.audit import audit_log
from taizhang.core.errors import form_errors_from, service_on_form
from taizhang.core.paging import CountedPaginator, GroupedRows, page_of, pager_query
from taizhang.core.permissions import (
    EDIT,
    VIEW,
    branches_for,
    committee_wide,
    committees_for,
    has_capability,
    has_scope,
    is_member_login,
    own_member,
    restrict,
)
from taizhang.members import searches
from taizhang.members.models import Member
from taizhang.members.selectors import search_members
from taizhang.organisation.models import Branch

PAGE_SIZE = 20


# --- helpers -------------------------------------------------------------------------------------------


def _is_staff(user) -> bool:
    return has_capability(user, "activities.manage") or has_capability(user, "ledger.use")


def _require_manage(user):
    if not has_capability(user, "activities.manage"):
        raise PermissionDenied(_("Your role cannot manage activities."))


def _may_manage(user, activity) -> bool:
    return selectors.activity_queryset(user, EDIT).filter(pk=activity.pk).exists()


def _message_errors(request, exc: ValidationError):
    for message in exc.messages:
        messages.error(request, message)


def _next_url(request, default):
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return default


def _count(model, user=None, **filters):
    """A per-activity count as a subquery (one query for the whole list)."""
    qs = model.objects.filter(activity=OuterRef("pk"), **filters)
    if user is not None:
        qs = restrict(qs, user, VIEW, committee="member__committee", branch="member__branch", member="member")
    return Coalesce(Subquery(qs.order_by().values("activity").annotate(n=Count("pk")).values("n")[:1],
                             output_field=IntegerField()), 0)


def organiser_label(activity) -> str:
    return activity.organiser_branch.name if activity.organiser_branch_id else _("The committee")


def _committee_for(user):
    committees = list(committees_for(user, EDIT))
    wide = [c for c in committees if committee_wide(user, c, EDIT)]
    return (wide or committees or [None])[0]


def _waiting_positions(signups) -> dict:
    """{signup pk: place on the waiting list} for the waitlisted ones among ``signups`` (one query)."""
    waiting = [s for s in signups if s.status == SignUpStatus.WAITLISTED]
    if not waiting:
        return {}
    order: dict = {}
    rows = (SignUp.objects.filter(activity_id__in={s.activity_id for s in waiting}, status=SignUpStatus.WAITLISTED)
            .order_by("activity_id", "signed_up_at", "id").values_list("activity_id", "pk"))
    for activity_id, pk in rows:
        order.setdefault(activity_id, []).append(pk)
    return {s.pk: order[s.activity_id].index(s.pk) + 1 for s in waiting if s.pk in order.get(s.activity_id, [])}


# --- list ---------------------------------------------------------------------------------------------------


@login_required
def activity_list(request):
    if _is_staff(request.user):
        return _staff_list(request)
    if is_member_login(request.user):
        return _my_activities(request)
    raise PermissionDenied(_("Your role does not give access to activities."))


def _staff_list(request):
    user = request.user
    queryset = selectors.activity_queryset(user).annotate(
        n_signed=_count(SignUp, status=SignUpStatus.SIGNED_UP),
        n_waiting=_count(SignUp, status=SignUpStatus.WAITLISTED),
        n_present=_count(Attendance, user=user, status=AttendanceStatus.PRESENT),
        n_picked=Coalesce(Subquery(
            Activity.picked_members.through.objects.filter(activity=OuterRef("pk")).order_by()
            .values("activity").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0),
    )
    filterset = ActivityFilter(request.GET or {}, queryset=queryset, request=request)
    qs = filterset.qs if filterset.is_valid() else queryset.none()
    page = page_of(request, qs, PAGE_SIZE)
    now = timezone.now()
    activities = list(page.object_list)
    expected = selectors.expected_counts([a for a in activities if a.starts_at <= now], user=user)
    rows = [{
        "activity": a,
        "organiser": organiser_label(a),
        "audience": a.audience_label,
        "past": a.starts_at <= now,
        "expected": expected.get(a.pk),
    } for a in activities]
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "columns": ACTIVITY_COLUMNS,
        "query": pager_query(request),
        "can_manage": has_capability(user, "activities.manage"),
    }
    template = "activities/partials/activity_table.html" if request.htmx else "activities/activity_list.html"
    return render(request, template, context)


def _my_activities(request):
    user = request.user
    member = own_member(user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    now = timezone.now()
    base = selectors.activity_queryset(user)
    upcoming = list(base.filter(ends_at__gte=now).order_by("starts_at", "id")[:50])  # cancelled ones say so
    past_page = page_of(request, base.filter(ends_at__lt=now).order_by("-starts_at", "-id"), PAGE_SIZE)
    past = list(past_page.object_list)
    ids = [a.pk for a in upcoming + past]
    signups = {s.activity_id: s for s in SignUp.objects.filter(member=member, activity_id__in=ids)
               .exclude(status=SignUpStatus.CANCELLED)}
    positions = _waiting_positions(signups.values())
    attendance = {a.activity_id: a for a in Attendance.objects.filter(member=member, activity_id__in=ids)}
    context = {
        "member": member,
        "upcoming": [{"activity": a, "signup": signups.get(a.pk), "position": positions.get(
            getattr(signups.get(a.pk), "pk", None)), "started": a.starts_at <= now} for a in upcoming],
        "past": [{"activity": a, "attendance": attendance.get(a.pk)} for a in past],
        "past_page": past_page,
    }
    return render(request, "activities/my_activities.html", context)


# --- detail -------------------------------------------------------------------------------------------------

SIGNUPS_SHOWN = 50  # the sign-ups the page lists (a committee-wide activity may have thousands)


@login_required
def activity_detail(request, pk):
    user = request.user
    activity = selectors.activity_get(user, pk)
    now = timezone.now()
    staff = _is_staff(user)
    can_manage = _may_manage(user, activity)
    member = own_member(user, activity.committee_id)
    context = {
        "activity": activity,
        "organiser": organiser_label(activity),
        "audience": activity.audience_label,
        "started": activity.starts_at <= now,
        "can_manage": can_manage,
        "staff": staff,
        "member": member,
        "n_signed": activity.signups.filter(status=SignUpStatus.SIGNED_UP).count(),
        "n_waiting": activity.signups.filter(status=SignUpStatus.WAITLISTED).count(),
        "checkin_before": settings.CHECKIN_BEFORE_MINUTES,
        "checkin_after": settings.CHECKIN_AFTER_MINUTES,
    }
    if member is not None:
        own = SignUp.objects.filter(activity=activity, member=member).exclude(status=SignUpStatus.CANCELLED).first()
        context["own_signup"] = own
        context["own_position"] = _waiting_positions([own]).get(own.pk) if own else None
        context["own_attendance"] = Attendance.objects.filter(activity=activity, member=member).first()
        context["invited"] = selectors.is_invited(activity, member)
        context["may_sign_up"] = (not activity.cancelled and not context["started"] and own is None
                                  and context["invited"])
    if staff:
        signups = list(selectors.live_signups(user, activity)[:SIGNUPS_SHOWN])
        editable = set(restrict(Member.objects.filter(pk__in=[s.member_id for s in signups]), user, EDIT)
                       .values_list("pk", flat=True))
        positions = _waiting_positions(signups)
        context["signups"] = [{"signup": s, "position": positions.get(s.pk), "may_cancel": s.member_id in editable}
                              for s in signups]
        if len(signups) == SIGNUPS_SHOWN:  # the first ones (signed up, then the waiting list in order)
            context["signups_more"] = selectors.live_signups(user, activity).count() - SIGNUPS_SHOWN
        if _may_sign_up_others(user, activity):
            context.update(_on_behalf_context(user, activity))
        context["ledger"] = selectors.attendance_ledger(activity, user=user)
        context["ledger_page"], context["ledger_rows"], context["walk_ins_more"] = _ledger_rows(
            activity, user, request.GET.get("page"), context["ledger"].expected)
        context["may_tick"] = has_capability(user, "activities.manage") and not activity.cancelled
    context["panels"] = activity_panels(activity=activity, user=user)  # e.g. its costs, for the money staff
    return render(request, "activities/activity_detail.html", context)


LEDGER_PAGE_SIZE = 50


def expected_by_branch(activity, user, count: int) -> GroupedRows:
    """The ids of the expected members ``user`` may see, in the ledger's order (branch, pinyin, id), read a
    page at a time branch by branch (``GroupedRows``): each branch's expected members in the order of the
    members' index (committee, branch, pinyin, id), each checked against the roster spells as it is read, so
    a page reads its own rows, not a sort of the whole committee. Branches sharing a sort order are one group
    (their members interleave by pinyin). Only the branches the user may see (and a member login's own) are
    read; deeper pages count each branch's expected members first (one query)."""
    spells = selectors.expected_spells(activity, user=user).order_by().values("member_id")
    members = Member.objects.filter(committee_id=activity.committee_id, pk__in=spells)
    branches = branches_for(user, VIEW).filter(committee_id=activity.committee_id)
    own = own_member(user)
    if own is not None and own.committee_id == activity.committee_id:
        branches = Branch.objects.filter(Q(pk__in=branches.values("pk")) | Q(pk=own.branch_id))
    by_order = {}
    for pk, sort_order in branches.order_by("sort_order", "id").values_list("pk", "sort_order"):
        by_order.setdefault(sort_order, []).append(pk)
    groups = list(by_order.values())

    def counts():
        n = dict(members.order_by().values_list("branch_id").annotate(n=Count("pk")))
        return [sum(n.get(pk, 0) for pk in group) for group in groups]

    return GroupedRows([members.filter(branch_id__in=group) for group in groups], count, counts,
                       order=("name_pinyin", "id"), whole=members.order_by("branch__sort_order", "name_pinyin", "id"))


def _ledger_rows(activity, user, page_number, expected_count):
    """One page of the ledger: the expected members of the page (with or without a record), and on the
    last page the walk-ins (at most a page of them; ``walk_ins_more`` says how many are not shown).
    Its cost follows the page, not the audience (a committee-wide activity expects every member): the
    page's ids are read from the roster spells and the members' narrow index, then the page's rows by id;
    the count is the ledger's 应到 (``expected_count``), not counted again."""
    ids = expected_by_branch(activity, user, expected_count)
    page = CountedPaginator(ids, LEDGER_PAGE_SIZE, count=expected_count).get_page(page_number)
    page_ids = list(page.object_list)
    order = ("branch__sort_order", "name_pinyin", "id")
    members = Member.objects.filter(pk__in=page_ids).select_related("branch").order_by(*order)
    records = {a.member_id: a for a in selectors.attendance_queryset(user, activity).filter(member_id__in=page_ids)}
    rows = [{"member": m, "attendance": records.get(m.pk), "expected": True} for m in members]
    more = 0
    if not page.has_next():
        expected = selectors.expected_spells(activity).filter(member_id=OuterRef("member_id"))
        walk_ins = (selectors.attendance_queryset(user, activity).select_related("member__branch")
                    .filter(~Exists(expected)).order_by("member__name_pinyin", "id"))
        shown = list(walk_ins[:LEDGER_PAGE_SIZE])
        rows += [{"member": a.member, "attendance": a, "expected": False} for a in shown]
        if len(shown) == LEDGER_PAGE_SIZE:
            more = walk_ins.count() - LEDGER_PAGE_SIZE
    return page, rows, more


# --- sign-up ------------------------------------------------------------------------------------------------

PICKER_SIZE = 50  # the members the on-behalf select offers at once: the first ones, or a search's results


def _may_sign_up_others(user, activity) -> bool:
    return not activity.cancelled and activity.starts_at > timezone.now() and has_scope(user, EDIT)


def _on_behalf_context(user, activity, q: str = "") -> dict:
    """The on-behalf sign-up picker: the invited members ``user`` may sign up who are not signed up yet
    (what the form accepts), of whom the select offers the first ``PICKER_SIZE`` or those matching ``q``
    (the ledger's search); ``n_candidates`` says how many there are in all."""
    candidates = (restrict(selectors.audience_members(activity), user, EDIT)
                  .exclude(pk__in=SignUp.objects.filter(activity=activity).exclude(status=SignUpStatus.CANCELLED)
                           .values("member_id"))
                  .select_related("branch").order_by("branch__sort_order", "name_pinyin", "id"))
    found = search_members(candidates, q, numbers=False) if q else candidates
    shown = list(found[:PICKER_SIZE])
    n = candidates.count() if q or len(shown) == PICKER_SIZE else len(shown)
    return {"on_behalf_form": OnBehalfForm(queryset=candidates, shown=shown), "n_candidates": n,
            "n_shown": len(shown), "picker_q": q, "picker_more": not q and n > len(shown)}


@login_required
def signup_candidates(request, pk):
    """The on-behalf select alone, offering the members matching ``?q=`` (the picker's search, by htmx)."""
    user = request.user
    activity = selectors.activity_get(user, pk)
    if not _is_staff(user) or not _may_sign_up_others(user, activity):
        raise PermissionDenied(_("Sign-up is closed."))
    return render(request, "activities/partials/on_behalf_select.html",
                  _on_behalf_context(user, activity, request.GET.get("q", "").strip()))



@login_required
@require_POST
def signup(request, pk):
    user = request.user
    activity = selectors.activity_get(user, pk)
    default = reverse("activities:detail", args=[activity.pk])
    if request.POST.get("member"):
        queryset = restrict(Member.objects.filter(committee_id=activity.committee_id), user, EDIT)
        form = OnBehalfForm(request.POST, queryset=queryset.select_related("branch"))
        if not form.is_valid():
            for errs in form.errors.values():
                for e in errs:
                    messages.error(request, e)
            return redirect(_next_url(request, default))
        member = form.cleaned_data["member"]
    else:
        member = own_member(user, activity.committee_id)
        if member is None:
            messages.error(request, _("Your login is not linked to a member record of this committee."))
            return redirect(_next_url(request, default))
    try:
        result = services.signup_create(actor=user, activity=activity, member=member)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        if result.status == SignUpStatus.SIGNED_UP:
            messages.success(request, _("%(name)s is signed up.") % {"name": member.name})
        else:
            position = _waiting_positions([result]).get(result.pk)
            messages.warning(request, _("The activity is full: %(name)s is on the waiting list, number %(n)d.")
                             % {"name": member.name, "n": position or 0})
    return redirect(_next_url(request, default))


@login_required
@require_POST
def signup_cancel(request, pk, signup_pk):
    user = request.user
    activity = selectors.activity_get(user, pk)
    row = get_object_or_404(selectors.signup_queryset(user, activity), pk=signup_pk)
    waiting = set(SignUp.objects.filter(activity=activity, status=SignUpStatus.WAITLISTED).values_list("pk", flat=True))
    try:
        services.signup_cancel(actor=user, signup=row)
    except ValidationError as exc:
        _message_errors(request, exc)
    else:
        messages.success(request, _("The sign-up of %(name)s has been cancelled.") % {"name": row.member.name})
        promoted = selectors.signup_queryset(user, activity).filter(pk__in=waiting, status=SignUpStatus.SIGNED_UP)
        names = [s.member.name for s in promoted]
        if names:
            messages.info(request, _("Moved up from the waiting list: %(names)s.") % {"names": "、".join(names)})
        elif waiting and not SignUp.objects.filter(pk__in=waiting, status=SignUpStatus.WAITLISTED).count() == len(waiting):
            messages.info(request, _("The freed place went to the first member on the waiting list."))
    return redirect(_next_url(request, reverse("activities:detail", args=[activity.pk])))


# --- plan, edit, cancel ------------------------------------------------------------------------------------


@login_required
def activity_create(request):
    _require_manage(request.user)
    committee = _committee_for(request.user)
    if committee is None:
        raise PermissionDenied(_("Your role cannot manage activities."))
    form = ActivityForm(request.POST or None, user=request.user, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(actor=request.user, committee=committee, **form.service_data())
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The activity “%(title)s” has been planned.") % {"title": activity.title})
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/activity_form.html",
                  {"form": form, "creating": True, "places": PLACE_SUGGESTIONS})


@login_required
def activity_edit(request, pk):
    _require_manage(request.user)
    activity = selectors.activity_get(request.user, pk, EDIT)
    form = ActivityForm(request.POST or None, user=request.user, committee=activity.committee, activity=activity)
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.activity_update(
                actor=request.user, activity=activity, data=form.service_data()), _("The changes have been saved.")):
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", {
        "form": form, "activity": activity, "places": PLACE_SUGGESTIONS,
        "organiser": organiser_label(activity), "audience": activity.audience_label,
    })


@login_required
def activity_cancel(request, pk):
    _require_manage(request.user)
    activity = selectors.activity_get(request.user, pk, EDIT)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.activity_cancel(
                actor=request.user, activity=activity, reason=form.cleaned_data["cancel_reason"]),
                _("The activity has been cancelled.")):
            return redirect("activities:detail", pk=activity.pk)
    return render(request, "activities/activity_cancel.html", {"form": form, "activity": activity})


# --- attendance tick list ----------------------------------------------------------------------------------


def _tick_activity(request, pk):
    _require_manage(request.user)
    return selectors.activity_get(request.user, pk)


def _tick_member(request, activity, member_pk):
    qs = restrict(Member.objects.filter(committee_id=activity.committee_id), request.user, EDIT)
    return get_object_or_404(qs.select_related("branch"), pk=member_pk)


def _tick_queryset(request, activity):
    """The tick list's members: the activity's 应到 whom this user may record, by branch and pinyin."""
    return (restrict(selectors.expected_attendees(activity), request.user, EDIT)
            .select_related("branch").order_by("branch__sort_order", "name_pinyin", "id"))


def _tick_counts(request, activity) -> dict:
    """应到 / 实到 / not yet marked over the tick list's members (all of them, not only the page or what a
    search shows): two SQL aggregates, whatever the size of the audience."""
    members = _tick_queryset(request, activity).order_by()
    expected = members.count()
    marked = Attendance.objects.filter(activity=activity, member_id__in=members.values("pk")).aggregate(
        marked=Count("pk"), present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)))
    return {"expected": expected, "present": marked["present"], "unmarked": expected - marked["marked"]}


def _checkin_open(activity) -> bool:
    return not activity.cancelled and timezone.now() >= services.checkin_window(activity)[0]


def _row(request, activity, member, *, error=None, form=None):
    context = {
        "activity": activity,
        "member": member,
        "att": Attendance.objects.filter(activity=activity, member=member).first(),
        "error": error,
        "form": form,
        "started": activity.starts_at <= timezone.now(),
        "elderly_age": settings.ELDERLY_AGE,
        # 实到 and the 全部到 button follow each tick (htmx out-of-band swap of #tick-counts)
        "oob_counts": _tick_counts(request, activity),
        "checkin_open": _checkin_open(activity),
    }
    return render(request, "activities/partials/attendance_row.html", context)


TICK_PAGE_SIZE = 50


@login_required
def attendance(request, pk):
    """The tick list, a page of 50 at a time; ``?q=`` narrows it with the ledger's search (name, pinyin or
    initials …). The counts are those of the whole list."""
    activity = _tick_activity(request, pk)
    q = request.GET.get("q", "").strip()
    if searches.is_sensitive(q) and not request.htmx:  # a full number must not stay in the address bar
        messages.info(request, _("Find members on the tick list by name, pinyin or initials."))
        return redirect("activities:attendance", pk=activity.pk)
    members = _tick_queryset(request, activity)
    if q:
        members = search_members(members, q)
    counts = _tick_counts(request, activity)
    page = page_of(request, members, TICK_PAGE_SIZE, count=None if q else counts["expected"])
    shown = list(page.object_list)
    records = {a.member_id: a for a in Attendance.objects.filter(activity=activity, member__in=[m.pk for m in shown])}
    # The pager's links must not carry a full number either.
    query = pager_query(request, "q") if searches.is_sensitive(q) else pager_query(request)
    context = {
        "activity": activity,
        "rows": [(m, records.get(m.pk)) for m in shown],
        "page": page,
        "query": query,
        "q": q,
        "counts": counts,
        "started": activity.starts_at <= timezone.now(),
        "checkin_open": _checkin_open(activity),
        "elderly_age": settings.ELDERLY_AGE,
    }
    if request.htmx and request.htmx.target == "tick-list":
        return render(request, "activities/partials/tick_list.html", context)
    return render(request, "activities/attendance.html", context)


@login_required
def attendance_all_present(request, pk):
    """全部到: GET shows who would be marked present (the rows not yet marked); POST records them."""
    activity = _tick_activity(request, pk)
    tick_list = reverse("activities:attendance", args=[activity.pk])
    unmarked = _tick_queryset(request, activity).exclude(
        pk__in=Attendance.objects.filter(activity=activity).values("member_id"))
    if request.method == "POST":
        if request.POST.get("all"):  # everyone on the list still unmarked now (the page showed the first of them)
            members = list(unmarked)
        else:
            ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()]
            members = list(_tick_queryset(request, activity).filter(pk__in=ids))
        try:
            rows = services.attendance_all_present(actor=request.user, activity=activity, members=members)
        except (ValidationError, PermissionDenied) as exc:
            for message in getattr(exc, "messages", None) or [str(exc)]:
                messages.error(request, message)
        else:
            messages.success(request, _("%(n)d members have been recorded as present.") % {"n": len(rows)})
        return redirect(tick_list)
    if activity.cancelled:
        messages.error(request, _("This activity has been cancelled."))
        return redirect(tick_list)
    if not _checkin_open(activity):
        opens = timezone.localtime(services.checkin_window(activity)[0])
        messages.error(request, _("Attendance can be recorded from %(time)s, when check-in opens.")
                       % {"time": opens.strftime("%Y-%m-%d %H:%M")})
        return redirect(tick_list)
    counts = _tick_counts(request, activity)
    if not counts["unmarked"]:
        messages.info(request, _("Everyone on the list already has an attendance record."))
        return redirect(tick_list)
    shown = list(unmarked[:TICK_PAGE_SIZE])  # the names on the page: the first ones, the count says how many
    return render(request, "activities/attendance_all_present.html", {
        "activity": activity, "members": shown, "n_unmarked": counts["unmarked"],
        "more": counts["unmarked"] - len(shown), "expected": counts["expected"]})


SHEET_ROWS = 500  # names per printed sign-in sheet; a bigger audience prints sheet after sheet


@login_required
def attendance_sheet(request, pk):
    """签到表: the printable sign-in sheet of the tick list's members, for a meeting held on paper."""
    activity = _tick_activity(request, pk)
    counts = _tick_counts(request, activity)
    page = page_of(request, _tick_queryset(request, activity), SHEET_ROWS, count=counts["expected"])
    audit_log(actor=request.user, action="activity.sign_in_sheet", obj=activity,
              new={"rows": len(page.object_list), "page": page.number})
    return render(request, "activities/sign_in_sheet.html", {
        "activity": activity, "members": page.object_list, "page": page, "expected": counts["expected"],
        "present": counts["present"], "organiser": organiser_label(activity), "today": timezone.localdate(),
    })


@login_required
@require_POST
def attendance_present(request, pk, member_pk):
    activity = _tick_activity(request, pk)
    member = _tick_member(request, activity, member_pk)
    error = None
    try:
        result = services.attendance_check_in(actor=request.user, activity=activity, member=member,
                                              method=CheckInMethod.STAFF)
    except ValidationError as exc:
        error = "；".join(exc.messages)
    if not request.htmx:
        if error:
            messages.error(request, f"{member.name}：{error}")
        else:
            messages.success(request, f"{member.name}：{result.message}")
        return redirect("activities:attendance", pk=activity.pk)
    return _row(request, activity, member, error=error)


@login_required
def attendance_mark(request, pk, member_pk):
    """GET: the row (with ``?status=leave|absent`` the inline reason form); POST: record it."""
    activity = _tick_activity(request, pk)
    member = _tick_member(request, activity, member_pk)
    form = None
    error = None
    if request.method == "POST":
        form = MarkForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.attendance_record(actor=request.user, activity=activity, member=member,
                                           status=data["status"], absence_reason=data["absence_reason"],
                                           note=data["note"])
            except ValidationError as exc:
                error = "；".join(exc.messages)
            else:
                form = None
                if not request.htmx:
                    messages.success(request, _("%(name)s: recorded.") % {"name": member.name})
                    return redirect("activities:attendance", pk=activity.pk)
    elif request.GET.get("status") in (AttendanceStatus.LEAVE, AttendanceStatus.ABSENT):
        form = MarkForm(initial={"status": request.GET["status"]})
    if not request.htmx:
        return render(request, "activities/attendance_mark.html", {
            "activity": activity, "member": member, "form": form or MarkForm(initial={"status": "absent"}),
            "error": error})
    return _row(request, activity, member, error=error, form=form)


@login_required
def attendance_correct(request, pk, attendance_pk):
    activity = _tick_activity(request, pk)
    record = get_object_or_404(selectors.attendance_queryset(request.user, activity, EDIT), pk=attendance_pk)
    form = CorrectForm(request.POST or None, initial={
        "status": record.status, "absence_reason": record.absence_reason, "note": record.note})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.attendance_correct(actor=request.user, attendance=record, status=data["status"],
                                        absence_reason=data["absence_reason"], note=data["note"],
                                        reason=data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The attendance of %(name)s has been corrected.") % {"name": record.member.name})
            return redirect(_next_url(request, reverse("activities:attendance", args=[activity.pk])))
    return render(request, "activities/attendance_correct.html",
                  {"form": form, "activity": activity, "record": record})


# --- QR check-in ----------------------------------------------------------------------------------------------


def _checkin_url(request, activity) -> str:
    return request.build_absolute_uri(reverse("activities:checkin", args=[activity.pk, checkin_token(activity)]))


def _qr_context(request, activity) -> dict:
    url = _checkin_url(request, activity)
    svg = segno.make(url, error="m").svg_inline(scale=10, border=2, omitsize=True)
    return {
        "activity": activity, "url": url, "svg": mark_safe(svg),
        "valid_until": timezone.now() + datetime.timedelta(seconds=token_lifetime_seconds()),
        "token_minutes": settings.CHECKIN_TOKEN_MINUTES, "refresh_seconds": refresh_seconds(),
    }


@never_cache
@login_required
def qr(request, pk):
    """The check-in screen: a QR code that changes every few minutes (the page fetches the next one itself)."""
    _require_manage(request.user)
    activity = selectors.activity_get(request.user, pk, EDIT)
    opens, closes = services.checkin_window(activity)
    return render(request, "activities/qr.html", _qr_context(request, activity) | {"opens": opens, "closes": closes})


@never_cache
def qr_code(request, pk):
    """The QR code alone, freshly signed (what the check-in screen polls). Signed out: 401 rather than a
    redirect, so htmx keeps the old code (with its expiry time) instead of swapping a login page in."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    _require_manage(request.user)
    activity = selectors.activity_get(request.user, pk, EDIT)
    return render(request, "activities/partials/qr_code.html", _qr_context(request, activity))


@login_required
def checkin(request, pk, token):
    try:
        verify_checkin_token(pk, token)
    except SignatureExpired:
        return render(request, "activities/checkin_invalid.html", {"expired": True,
                                                                   "minutes": settings.CHECKIN_TOKEN_MINUTES},
                      status=400)
    except BadSignature:
        return render(request, "activities/checkin_invalid.html", status=400)
    activity = get_object_or_404(Activity.objects.select_related("activity_type", "organiser_branch"), pk=pk)
    member = own_member(request.user, activity.committee_id)
    opens, closes = services.checkin_window(activity)
    context = {"activity": activity, "member": member, "opens": opens, "closes": closes}
    if member is not None:
        if request.method == "POST":
            try:
                result = services.attendance_check_in(actor=request.user, activity=activity, member=member,
                                                      method=CheckInMethod.QR)
            except ValidationError as exc:
                context["error"] = "；".join(exc.messages)
            except PermissionDenied as exc:
                context["error"] = str(exc)
            else:
                context["result"] = result
        else:
            existing = Attendance.objects.filter(activity=activity, member=member,
                                                 status=AttendanceStatus.PRESENT).first()
            if existing is not None:
                when = existing.checked_in_at or None
                context["already_at"] = when
                context["already"] = True
            context["invited"] = selectors.is_invited(activity, member)
    return render(request, "activities/checkin.html", context)
