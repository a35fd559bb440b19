"""Pages of the talks area (谈心谈话). Thin: scope (talks_selectors) → form → service → redirect or render.

The content of a talk is shown only on its own page (``talk_detail``), to whom ``may_read_content``
allows, and every showing is audited by ``talks_services.talk_read_content``; lists never carry it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from taizhang.accounts.models import User
from taizhang.core.audit import client_ip
from taizhang.core.errors import form_errors_from, service_message, service_on_form
from taizhang.core.paging import page_of, pager_query
from taizhang.core.permissions import (
    EDIT,
    branches_for,
    capability_holders,
    has_capability,
    home_committee,
    home_committee_for,
    restrict,
)
from taizhang.members.pickers import picker_response, ticked_members
from taizhang.members.selectors import roster_on
from taizhang.places import talks_selectors as selectors
from taizhang.places import talks_services as services
from taizhang.places.models.talks import DEFAULT_PLACE, TalkKind, TalkReader
from taizhang.places.talks_forms import ReaderForm, TalkForm, TargetForm

PAGE_SIZE = 50


def _committee(request, *, record=False):
    """The committee whose talks the user works with (``record``: where they hold talks.manage), or 403."""
    refusal = _("Your role does not give access to heart-to-heart talks.")
    if record:
        return home_committee_for(request.user, "talks.manage", refusal)
    committee = home_committee(request.user)
    if not selectors.may_use_talks(request.user, committee):  # a reader the committee names, without a role there
        committee = selectors.reader_committee(request.user)
        if not selectors.may_use_talks(request.user, committee):
            raise PermissionDenied(refusal)
    return committee



def _year(request) -> int:
    today = timezone.localdate()
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 2000 <= int(value) <= today.year else today.year


def _members(request, committee):
    """Whom a talk may be recorded with: the members on today's roster the user may edit."""
    return restrict(roster_on(None, committee=committee), request.user, EDIT)


# --- the list -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def talk_list(request):
    committee = _committee(request)
    year = _year(request)
    qs = selectors.visible_talks(request.user, committee=committee).filter(held_on__year=year)
    kind = request.GET.get("kind", "")
    if kind in TalkKind.values:
        qs = qs.filter(kind=kind)
    page = page_of(request, selectors.with_people(qs, request.user), PAGE_SIZE)
    readable = selectors.readable_ids(request.user, page.object_list)
    for talk in page:
        talk.readable = talk.pk in readable
    return render(request, "places/talks/list.html", {
        "page": page, "query": pager_query(request), "year": year, "kind": kind, "kinds": TalkKind.choices,
        "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "can_record": selectors.may_record(request.user, committee),
        "can_name": has_capability(request.user, "talks.read_all", committee.pk)})


# --- recording -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def talk_create(request):
    committee = _committee(request, record=True)
    members = _members(request, committee)
    talkers = capability_holders("talks.manage", committee).exclude(pk=request.user.pk).order_by("display_name", "id")
    initial = {"held_on": timezone.localdate(), "kind": TalkKind.HEART, "place": DEFAULT_PLACE}
    if request.GET.get("member", "").isdigit():
        initial["members"] = [int(request.GET["member"])]
    form = TalkForm(request.POST or None, members=members, talkers=talkers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            talk = services.talk_record(
                actor=request.user, committee=committee, held_on=data["held_on"], kind=data["kind"],
                place=data["place"], talkers=list(data["talkers"]), members=list(data["members"]),
                topics=data["topics"], content=data["content"], agreed=data["agreed"],
                follow_up_on=data["follow_up_on"], ip_address=client_ip(request))
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The talk of %(date)s is recorded.") % {"date": talk.held_on})
            return redirect("places:talk_detail", pk=talk.pk)
    return render(request, "places/talks/form.html", {
        "form": form, "chosen": ticked_members(form["members"], members), "places": [DEFAULT_PLACE]},
        status=400 if form.errors else 200)


@login_required
@require_GET
def talk_member_search(request):
    """htmx: at most SEARCH_LIMIT members on the roster the user may edit (the ledger's search: name,
    pinyin or initials), or with ``pick`` the ticked box of the one chosen."""
    committee = _committee(request, record=True)
    qs = _members(request, committee)
    return picker_response(request, qs, chip_template="places/talks/partials/member_chip.html",
                           results_template="places/talks/partials/member_results.html", context={"name": "members"})


# --- one talk ---------------------------------------------------------------------------------------------------


def _talk(request, pk):
    """A talk of the user's talks committee that the user sees took place, or 404."""
    committee = _committee(request)
    talk = selectors.talk_get(request.user, pk)
    if talk is None or talk.committee_id != committee.pk:
        raise Http404(_("No such talk."))
    return talk


@login_required
@require_GET
def talk_detail(request, pk):
    """The talk: what everyone who sees it may see and, for a reader, its content (each showing audited)."""
    talk = _talk(request, pk)
    content = None
    if selectors.may_read_content(request.user, talk):
        content = services.talk_read_content(actor=request.user, talk=talk, ip_address=client_ip(request))
    return render(request, "places/talks/detail.html", {"talk": talk, "content": content,
                                                        "today": timezone.localdate()})


@login_required
@require_POST
def talk_follow_up_done(request, pk):
    talk = _talk(request, pk)
    services.talk_follow_up_done(actor=request.user, talk=talk)
    messages.success(request, _("The follow-up is marked done."))
    return redirect("places:talk_detail", pk=talk.pk)


@login_required
@require_GET
def talk_follow_ups(request):
    committee = _committee(request)
    qs = selectors.with_people(selectors.follow_ups_due(request.user, committee=committee), request.user)
    page = page_of(request, qs, PAGE_SIZE)
    return render(request, "places/talks/follow_ups.html", {"page": page, "query": pager_query(request),
                                                            "today": timezone.localdate()})


# --- the yearly overview -----------------------------------------------------------------------------------------


@login_required
@require_GET
def talk_overview(request):
    committee = _committee(request, record=True)
    year = _year(request)
    branches = branches_for(request.user, EDIT).filter(committee=committee).order_by("sort_order", "id")
    branch = None
    if request.GET.get("branch", "").isdigit():
        branch = branches.filter(pk=int(request.GET["branch"])).first()
    summary = selectors.overview(request.user, committee, year)
    not_yet = selectors.not_yet_talked(request.user, committee, year, branch=branch,
                                       target=summary["target"]).select_related("branch")
    page = page_of(request, not_yet, PAGE_SIZE)
    can_set = has_capability(request.user, "talks.read_all", committee.pk)
    return render(request, "places/talks/overview.html", {
        "summary": summary, "page": page, "query": pager_query(request), "year": year, "branch": branch,
        "branches": branches, "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        "current_year": year == timezone.localdate().year,
        "target_form": TargetForm(initial={"target_per_year": summary["target"]}) if can_set else None})


@login_required
@require_POST
def talk_target(request):
    committee = _committee(request, record=True)
    form = TargetForm(request.POST)
    if form.is_valid():
        service_message(request, lambda: services.talk_settings_set(
            actor=request.user, committee=committee, target_per_year=form.cleaned_data["target_per_year"]),
            _("The target is saved."))
    else:
        messages.error(request, _("The target is a number from 1 to 12."))
    return redirect("places:talk_overview")


# --- the named readers --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def talk_readers(request):
    committee = _committee(request)
    if not has_capability(request.user, "talks.read_all", committee.pk):
        raise PermissionDenied(_("Only the committee secretary names the readers of talks."))
    form = ReaderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username=form.cleaned_data["username"].strip(), is_active=True).first()
        if service_on_form(request, form, lambda: services.talk_reader_add(actor=request.user, committee=committee,
                                                                           user=user),
                           lambda _reader: _("%(name)s may now read the content of the committee's talks.")
                           % {"name": user}):
            return redirect("places:talk_readers")
    page = page_of(request, TalkReader.objects.filter(committee=committee).select_related("user", "added_by")
                     .order_by("added_at", "id"), PAGE_SIZE)
    return render(request, "places/talks/readers.html", {"form": form, "page": page, "query": pager_query(request)},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def talk_reader_remove(request, pk):
    committee = _committee(request)
    reader = get_object_or_404(TalkReader.objects.select_related("user", "committee"), pk=pk, committee=committee)
    services.talk_reader_remove(actor=request.user, reader=reader)
    messages.success(request, _("%(name)s no longer reads the content of talks.") % {"name": reader.user})
    return redirect("places:talk_readers")

