"""Member ledger pages. Thin: fetch with permission → form → service → redirect or render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts.selectors import role_labels
from taizhang.core.audit import client_ip
from taizhang.core.errors import ConcurrentEditError, form_errors_from
from taizhang.core.paging import page_of
from taizhang.core.permissions import EDIT, REVEAL, allows, has_capability, is_member_login
from taizhang.members import flow, searches, selectors, services, visibility
from taizhang.members.change_views import describe_changes
from taizhang.members.filters import MemberFilter
from taizhang.members.forms import CorrectionForm, FlowEventForm, MemberForm, NoteForm, RegisterForm, editable_branches
from taizhang.members.models import ChangeRequestStatus, EventKind, Status
from taizhang.members.panels import home_panels, member_panels
from taizhang.members.tables import MEMBER_COLUMNS

PAGE_SIZES = (20, 50, 100)

# Flow actions offered on the member page, with their button style and icon.
FLOW_ACTIONS = {
    EventKind.REPORTED: ("success", "person-check"),
    EventKind.LEFT_BEIJING: ("primary", "box-arrow-right"),
    EventKind.RETURNED: ("success", "box-arrow-in-left"),
    EventKind.CONTACTED: ("secondary", "telephone"),
    EventKind.LOST_CONTACT: ("danger", "question-circle"),
    EventKind.CONTACT_RESTORED: ("success", "telephone-inbound"),
    EventKind.MOVED_BRANCH: ("secondary", "arrow-left-right"),
    EventKind.PROBATION_COMPLETED: ("primary", "award"),
    EventKind.SUSPENDED: ("danger", "pause-circle"),
    EventKind.RESTORED: ("success", "play-circle"),
    EventKind.TRANSFERRED_OUT: ("dark", "send"),
    EventKind.REGISTERED: ("primary", "box-arrow-in-right"),
    EventKind.DECEASED: ("dark", "flower1"),
}


@login_required
def member_list(request):
    """The ledger list. The filter form is posted (a full ID or phone number must not appear in a URL,
    ``members.searches``); the answer links to the list with the filters in the URL and such a search
    replaced by a session key: a redirect for a plain form, ``HX-Push-Url`` for htmx."""
    visibility.require_ledger(request.user)
    if not has_capability(request.user, "ledger.use"):
        own = selectors.member_queryset(request.user).first()
        if own is None:
            raise PermissionDenied(_("Your login is not linked to a member record."))
        return redirect("members:detail", pk=own.pk)
    if request.method == "POST":
        link = searches.link_query(request, request.POST)
        link.pop("page", None)
        url = reverse("members:list") + (f"?{link.urlencode()}" if link else "")
        if not request.htmx:
            return redirect(url)
        data, query = request.POST.copy(), link
        data.pop("csrfmiddlewaretoken", None)
    else:
        if searches.is_sensitive(request.GET.get("q", "")):  # typed into the address bar: out of the history
            return redirect(reverse("members:list") + "?" + searches.link_query(request, request.GET).urlencode())
        data, expired = searches.filter_data(request)
        if expired:
            messages.warning(request, _("That search is no longer remembered (it is kept only while you stay signed "
                                        "in); type the number again."))
        query = request.GET.copy()
        url = None
    filterset = MemberFilter.for_request(request, data)
    if not filterset.is_valid() or (request.method == "GET" and expired):
        queryset = filterset.queryset.none()
        as_of = None
        total = 0
    else:
        queryset = filterset.qs
        as_of = filterset.as_of_day
        total = filterset.count()
    try:
        per_page = int(data.get("per_page", 20))
    except ValueError:
        per_page = 20
    per_page = per_page if per_page in PAGE_SIZES else 20
    page = page_of(request, queryset, per_page, count=total, number=data.get("page"))  # MemberFilter.count: cheaper
    columns = visibility.list_columns(request.user, MEMBER_COLUMNS)
    query.pop("page", None)
    today_query = query.copy()
    today_query.pop("as_of", None)
    context = {
        "filter": filterset,
        "as_of": as_of,
        "today_query": today_query.urlencode(),
        "page": page,
        "columns": columns,
        "rows": [(m, visibility.row_cells(request.user, m, columns)) for m in page.object_list],
        "query": query.urlencode(),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
    }
    if not request.htmx and has_capability(request.user, "member.corrections"):
        context["pending_requests"] = selectors.change_requests_to_decide(request.user).count()
    template = "members/partials/member_table.html" if request.htmx else "members/member_list.html"
    response = render(request, template, context)
    if url is not None:
        response["HX-Push-Url"] = url
    return response


@login_required
def member_detail(request, pk):
    visibility.require_ledger(request.user)
    member = selectors.member_get(request.user, pk, request=request)
    ids = {"committee_id": member.committee_id, "branch_id": member.branch_id, "member_user_id": member.user_id}
    can_edit = allows(request.user, EDIT, **ids)
    can_reveal = allows(request.user, REVEAL, **ids)
    actions = []
    if can_edit:
        for kind in flow.allowed_kinds(member.status, member.membership_type):
            style, icon = FLOW_ACTIONS[kind]
            actions.append({"kind": kind, "label": EventKind(kind).label, "style": style, "icon": icon})
    show = visibility.member_sections(request.user, member)
    timeline = selectors.member_timeline(member)
    standing = selectors.party_standing(timeline)
    latest = next((e for e in timeline), None)
    household_label, housemates = selectors.member_household(request.user, member)
    context = {
        "member": member,
        "show": show,
        "status_label": Status(member.status).label if member.status else _("Not registered"),
        "standing": standing,
        "can_edit": can_edit,
        "can_reveal": can_reveal,
        "actions": actions,
        "timeline": timeline if show.flow else [],
        "correctable": latest if (can_edit and latest and latest.kind != EventKind.CORRECTION) else None,
        "notes": selectors.visible_notes(request.user, member) if show.behaviour else [],
        "tags": member.tags.all() if show.behaviour else [],
        "note_form": NoteForm() if can_edit else None,
        "household_label": household_label if show.household else "",
        "household_members": housemates if show.household else [],
        "panels": member_panels(member=member, user=request.user),
        "own_record": member.user_id is not None and member.user_id == request.user.pk,
    }
    if context["own_record"]:
        context["my_requests"] = [(r, describe_changes(r, member)) for r in member.change_requests.select_related("decided_by")[:3]]
        context["has_pending_request"] = any(r.status == ChangeRequestStatus.PENDING for r, _rows in context["my_requests"])
    elif can_edit:
        context["pending_request"] = member.change_requests.filter(status=ChangeRequestStatus.PENDING).first()
    return render(request, "members/member_detail.html", context)


@login_required
def member_create(request):
    if not has_capability(request.user, "member.create"):
        raise PermissionDenied(_("Your role cannot add members."))
    branches = editable_branches(request.user)
    committee = branches.first().committee if branches.exists() else None
    if committee is None:
        raise PermissionDenied(_("Your role cannot add members."))
    form = RegisterForm(request.POST or None, user=request.user, committee=committee)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            member = services.member_register(
                actor=request.user,
                data=data,
                registered_on=data.pop("registered_on"),
                reported=data.pop("reported"),
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("%(name)s has been added to the ledger.") % {"name": member.name})
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "creating": True})


@login_required
def member_edit(request, pk):
    visibility.require_ledger(request.user)
    member = selectors.member_get(request.user, pk, EDIT, request=request)
    form = MemberForm(request.POST or None, instance=member, user=request.user, committee=member.committee)
    conflict = None
    if request.method == "POST":
        try:
            expected = int(request.POST.get("version", ""))
        except ValueError:
            expected = -1
        if form.is_valid():
            try:
                services.member_update(actor=request.user, member=member, expected_version=expected, data=form.service_data())
            except ConcurrentEditError as exc:
                conflict = exc.current
                form.add_error(
                    None,
                    _("Someone else saved this member while you were editing. Their version is shown below; "
                      "your changes were not saved. Check them and save again."),
                )
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("The changes to %(name)s have been saved.") % {"name": member.name})
                return redirect("members:detail", pk=member.pk)
    context = {"form": form, "member": member, "version": conflict.version if conflict else member.version, "conflict": conflict}
    if conflict:
        context["conflict_fields"] = _changed_fields(form, conflict)
    return render(request, "members/member_form.html", context)


def _changed_fields(form, current):
    """The fields where the saved record differs from what this user submitted."""
    rows = []
    for name, field in form.fields.items():
        if name in ("new_tags", "new_household"):
            continue
        if name == "tags":
            saved = ", ".join(sorted(t.name for t in current.tags.all()))
            mine = ", ".join(sorted(t.name for t in (form.cleaned_data.get("tags") or [])))
        elif name in ("id_number", "phone"):
            continue
        else:
            saved = getattr(current, name, "")
            mine = form.cleaned_data.get(name, "")
            if hasattr(current, f"get_{name}_display"):
                saved = getattr(current, f"get_{name}_display")()
                mine = dict(field.choices).get(mine, mine) if hasattr(field, "choices") and not hasattr(mine, "pk") else mine
        if str(saved or "") != str(mine or ""):
            rows.append({"label": field.label, "saved": saved, "mine": mine})
    return rows


@login_required
def flow_action(request, pk, kind):
    visibility.require_ledger(request.user)
    if kind not in EventKind.values or kind == EventKind.CORRECTION:
        raise PermissionDenied(_("Unknown flow event."))
    member = selectors.member_get(request.user, pk, EDIT, request=request)
    refusal = flow.refusal(member.status, kind, member.membership_type)
    form = FlowEventForm(request.POST or None, kind=kind, member=member)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            services.flow_record_event(
                actor=request.user,
                member=member,
                kind=kind,
                effective_date=form.cleaned_data["effective_date"],
                reason=form.cleaned_data.get("reason", ""),
                lost_contact_cause=form.cleaned_data.get("lost_contact_cause"),
                to_branch=form.cleaned_data.get("to_branch"),
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("“%(event)s” has been recorded for %(name)s.") % {"event": EventKind(kind).label, "name": member.name})
            return redirect("members:detail", pk=member.pk)
    before = Status(member.status).label if member.status else _("Not registered")
    result = flow.status_after(member.status, kind) if not refusal else member.status
    after = Status(result).label if result else before
    return render(
        request,
        "members/flow_form.html",
        {"form": form, "member": member, "kind": kind, "kind_label": EventKind(kind).label, "refusal": refusal,
         "before": before, "after": after},
    )


@login_required
def flow_correct(request, pk, event_pk):
    visibility.require_ledger(request.user)
    member = selectors.member_get(request.user, pk, EDIT, request=request)
    event = get_object_or_404(member.events, pk=event_pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flow_correct_latest(actor=request.user, member=member, event=event, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The event has been voided by a correction."))
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/correct_form.html", {"form": form, "member": member, "event": event})


@login_required
@require_POST
def note_add(request, pk):
    visibility.require_ledger(request.user)
    member = selectors.member_get(request.user, pk, EDIT, request=request)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(actor=request.user, member=member, noted_on=form.cleaned_data["noted_on"],
                              text=form.cleaned_data["text"], shared=form.cleaned_data["shared"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The note has been added."))
            return redirect("members:detail", pk=member.pk)
    for field, errs in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}：{'；'.join(errs)}" if label else "；".join(errs))
    return redirect("members:detail", pk=member.pk)


@login_required
@require_POST
def reveal(request, pk, field):
    try:
        value = services.member_reveal(actor=request.user, member_id=pk, field=field, ip_address=client_ip(request))
    except services.RevealThrottled as exc:
        # Swapped in where the number would appear (htmx does not swap error statuses), so the refusal is seen.
        return HttpResponse(format_html('<span class="text-danger small reveal-refused" role="alert">{}</span>', exc),
                            status=200 if request.htmx else 429)
    return HttpResponse(format_html('<span class="font-monospace revealed">{}</span>', value))


@login_required
def home(request):
    """The user's scope at a glance; with ``?as_of=YYYY-MM-DD`` the counts as they stood that day."""
    context = {}
    if has_capability(request.user, "ledger.use"):
        day = _as_of_day(request)
        context["as_of"] = day
        # one grouped query: the counts, and today the 60+ and the no-contact warnings of the same roster
        context["counts"] = counts = selectors.home_counts(request.user, day)
        # flow events (with reasons) and contact dates are record details: not for the study role (visibility.py)
        context["show_details"] = visibility.has_details_anywhere(request.user)
        context["recent_events"] = selectors.recent_events(request.user, limit=8, day=day) if context["show_details"] else []
        context["elderly"] = counts["elderly"]  # None for a past day (the page shows them for today only)
        context["scope_label"] = _scope_label(request.user)
        context["contact_overdue"] = counts["contact_overdue"]
        context["overdue_months"] = selectors.contact_warning_months()
        context["outflow"] = context["counts"]["status_codes"].get("outflow", 0)
        context["lost"] = context["counts"]["status_codes"].get("lost", 0)
    elif is_member_login(request.user):
        context["own"] = selectors.member_queryset(request.user).first()
    context["panels"] = home_panels(user=request.user)
    return render(request, "members/home.html", context)


def _as_of_day(request):
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        messages.error(request, _("“%(value)s” is not a date; write it as YYYY-MM-DD.") % {"value": raw})
        return None
    if day > timezone.localdate():
        messages.error(request, _("Counts can only be shown for today or a past date."))
        return None
    return day


def _scope_label(user):
    return role_labels(user) or _("No role")
