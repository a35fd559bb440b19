"""Pages of the groups area of 党员之家: interest groups and contests.
Thin: scope (groups_selectors / core.permissions) → form → service → redirect or render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts.models import User
from taizhang.core.attachments import file_response
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import error_text, form_errors_from, service_message, service_on_form
from taizhang.core.paging import page_of, pager_query
from taizhang.core.permissions import EDIT, home_committee, home_committee_for, own_member, restrict
from taizhang.members.models import Member
from taizhang.members.selectors import search_members
from taizhang.places import groups_selectors as selectors
from taizhang.places import groups_services as services
from taizhang.places.groups_forms import (
    ACTIVITIES_OFFERED,
    PICKER_SIZE,
    ActivityLinkForm,
    AwardsForm,
    ContestForm,
    EntryForm,
    GroupForm,
    JudgeForm,
    MembershipAddForm,
    MembershipEndForm,
)
from taizhang.places.models import ContestEntry, ContestMode, EntryFile, GroupMembership

PAGE_SIZE = 50



def _form_refused(request, form) -> None:
    """A POST action's form did not validate: its errors as one message at the top of the page."""
    messages.error(request, error_text(ValidationError(form.errors)))


def _group_or_404(request, pk):
    group = selectors.group_get(request.user, pk)
    if group is None:
        raise Http404
    return group


def _contest_or_404(request, pk):
    contest = selectors.contest_get(request.user, pk)
    if contest is None:
        raise Http404
    return contest


def _committee_members(user, committee_id):
    return (restrict(Member.objects.filter(committee_id=committee_id), user, EDIT).select_related("branch")
            .order_by("name_pinyin", "id"))


def _shown(request, members, keep=None) -> list:
    """What a member select offers: the first PICKER_SIZE, or those the ledger's search finds for ``?q=``
    (name, pinyin or initials); ``keep`` (the current choice) is always offered."""
    q = request.GET.get("q", "").strip()[:50]
    found = search_members(members, q, numbers=False) if q else members
    shown = list(found[:PICKER_SIZE])
    if keep is not None and keep not in shown:
        shown.insert(0, keep)
    return shown


# --- groups -------------------------------------------------------------------------------------------------


def _list_page(request, items, template: str, may_create):
    """The group list and the contest list: 403 for a user who sees no committee's groups, else a page of
    ``items`` and whether the user may create one in their home committee (``may_create(user, committee_id)``)."""
    if not selectors.visible_committee_ids(request.user):
        raise PermissionDenied(_("Your role does not give access to the interest groups."))
    committee = home_committee(request.user)
    return render(request, template, {
        "page": page_of(request, items, PAGE_SIZE), "query": pager_query(request),
        "may_create": committee is not None and may_create(request.user, committee.pk)})


@login_required
def group_list(request):
    return _list_page(request, selectors.groups_for(request.user).order_by("name", "id"),
                      "places/groups/group_list.html", selectors.may_manage_groups)


@login_required
def group_create(request):
    committee = home_committee(request.user)
    if committee is None or not selectors.may_manage_groups(request.user, committee.pk):
        raise PermissionDenied(_("Only the committee's staff may manage interest groups."))
    members = _committee_members(request.user, committee.pk)
    form = GroupForm(request.POST or None, members=members, shown=_shown(request, members))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(actor=request.user, committee=committee, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The group %(name)s is created.") % {"name": group.name})
            return redirect("places:group_detail", group.pk)
    return render(request, "places/groups/group_form.html", {"form": form, "group": None, "picker_size": PICKER_SIZE},
                  status=400 if form.errors else 200)


@login_required
def group_edit(request, pk):
    group = _group_or_404(request, pk)
    if not selectors.may_manage_groups(request.user, group.committee_id):
        raise PermissionDenied(_("Only the committee's staff may manage interest groups."))
    members = _committee_members(request.user, group.committee_id)
    form = GroupForm(request.POST or None, members=members, shown=_shown(request, members, group.leader),
                     initial={"name": group.name, "description": group.description, "leader": group.leader})
    if request.method == "POST" and form.is_valid() and service_on_form(
            request, form, lambda: services.group_update(actor=request.user, group=group, **form.cleaned_data),
            lambda saved: _("The group %(name)s is saved.") % {"name": saved.name}):
        return redirect("places:group_detail", group.pk)
    return render(request, "places/groups/group_form.html", {"form": form, "group": group, "picker_size": PICKER_SIZE},
                  status=400 if form.errors else 200)


@login_required
def group_detail(request, pk):
    group = _group_or_404(request, pk)
    user = request.user
    page = page_of(request, selectors.current_members(group, user), PAGE_SIZE)
    manage = selectors.may_manage(user, group.committee_id)
    manage_groups = selectors.may_manage_groups(user, group.committee_id)
    context = {
        "group": group, "page": page, "query": pager_query(request), "manage": manage, "manage_groups": manage_groups,
        "own": selectors.own_membership(group, user),
        "is_member_login": own_member(user, group.committee_id) is not None,
        "activities": list(selectors.group_activities(group, user)[:20]),
        "history": list(selectors.membership_history(group, user).filter(left_on__isnull=False)[:20]),
    }
    if manage:
        members = _committee_members(user, group.committee_id).exclude(
            pk__in=GroupMembership.objects.filter(group=group, left_on__isnull=True).values("member_id"))
        context["add_form"] = MembershipAddForm(members=members, shown=_shown(request, members))
        context["picker_size"] = PICKER_SIZE
    if manage_groups:
        linkable = selectors.linkable_activities(group, user)
        context["link_form"] = ActivityLinkForm(activities=linkable, shown=list(linkable[:ACTIVITIES_OFFERED]))
    return render(request, "places/groups/group_detail.html", context)


@login_required
@require_POST
def group_member_add(request, pk):
    group = _group_or_404(request, pk)
    if not selectors.may_manage(request.user, group.committee_id):
        raise PermissionDenied(_("Only the committee's staff may manage interest groups."))
    form = MembershipAddForm(request.POST, members=_committee_members(request.user, group.committee_id))
    if form.is_valid():
        service_message(request, lambda: services.membership_add(actor=request.user, group=group, **form.cleaned_data),
                        _("%(name)s joined %(group)s.") % {"name": form.cleaned_data["member"].name, "group": group.name})
    else:
        _form_refused(request, form)
    return redirect("places:group_detail", group.pk)


@login_required
@require_POST
def group_member_end(request, pk):
    membership = get_object_or_404(GroupMembership.objects.select_related("member", "group"), pk=pk,
                                   left_on__isnull=True)
    group = _group_or_404(request, membership.group_id)
    form = MembershipEndForm(request.POST)
    if form.is_valid():
        service_message(request, lambda: services.membership_end(actor=request.user, group=group, member=membership.member,
                                                                 left_on=form.cleaned_data["left_on"]),
                        _("%(name)s left %(group)s.") % {"name": membership.member.name, "group": group.name})
    else:
        _form_refused(request, form)
    return redirect("places:group_detail", group.pk)


def _self_membership(request, pk, service, done: str):
    """A member joins or leaves a group themselves: the service, then its message, back to the group."""
    group = _group_or_404(request, pk)
    service_message(request, lambda: service(actor=request.user, group=group), done % {"group": group.name})
    return redirect("places:group_detail", group.pk)


@login_required
@require_POST
def group_join(request, pk):
    return _self_membership(request, pk, services.group_join_self, _("You joined %(group)s."))


@login_required
@require_POST
def group_leave(request, pk):
    return _self_membership(request, pk, services.group_leave_self, _("You left %(group)s."))


@login_required
@require_POST
def group_activity_link(request, pk):
    group = _group_or_404(request, pk)
    if not selectors.may_manage_groups(request.user, group.committee_id):
        raise PermissionDenied(_("Only the committee's staff may manage interest groups."))
    form = ActivityLinkForm(request.POST, activities=selectors.linkable_activities(group, request.user))
    if form.is_valid():
        activity = form.cleaned_data["activity"]
        service_message(request, lambda: services.group_activity_link(actor=request.user, group=group, activity=activity),
                        _("“%(title)s” is now an activity of %(group)s.") % {"title": activity.title, "group": group.name})
    else:
        _form_refused(request, form)
    return redirect("places:group_detail", group.pk)


# --- contests -----------------------------------------------------------------------------------------------


@login_required
def contest_list(request):
    return _list_page(request, selectors.contests_for(request.user), "places/groups/contest_list.html",
                      selectors.may_manage)


@login_required
def contest_create(request):
    committee = home_committee_for(request.user, "places.manage", _("You may not manage this contest."))
    candidates = selectors.contest_candidates(request.user, committee.pk)
    form = ContestForm(request.POST or None, activities=candidates, shown=list(candidates[:ACTIVITIES_OFFERED]))
    if request.method == "POST" and form.is_valid():
        try:
            contest = services.contest_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The contest is created; set its awards and add the entries."))
            return redirect("places:contest_detail", contest.pk)
    return render(request, "places/groups/contest_form.html", {"form": form}, status=400 if form.errors else 200)


def _contest_context(request, contest, **forms):
    user = request.user
    manage = selectors.may_manage_contest(user, contest)
    rows = selectors.contest_results(contest)
    page = page_of(request, rows, PAGE_SIZE)
    context = {"contest": contest, "activity": contest.activity, "page": page, "query": pager_query(request),
               "manage": manage, "judge": selectors.is_judge(user, contest), "levels": list(contest.levels.all()),
               "judges": list(contest.judges.select_related("user")), "scoring": contest.mode == ContestMode.SCORES}
    if manage:
        context["awards_form"] = forms.get("awards_form") or AwardsForm(
            initial={"awards": "\n".join(f"{lv.name} {lv.count}" for lv in context["levels"])})
        context["judge_form"] = forms.get("judge_form") or JudgeForm(users=_judge_candidates(contest))
    return context


def _judge_candidates(contest):
    return (User.objects.filter(is_active=True, role_assignments__committee_id=contest.committee_id)
            .exclude(pk__in=contest.judges.values("user_id")).distinct().order_by("username"))


@login_required
def contest_detail(request, pk):
    contest = _contest_or_404(request, pk)
    return render(request, "places/groups/contest_detail.html", _contest_context(request, contest))


def _require_manage(request, contest):
    if not selectors.may_manage_contest(request.user, contest):
        raise PermissionDenied(_("You may not manage this contest."))


@login_required
@require_POST
def contest_awards(request, pk):
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    form = AwardsForm(request.POST)
    if form.is_valid() and service_on_form(request, form, lambda: services.contest_awards_set(
            actor=request.user, contest=contest, awards=services.parse_awards(form.cleaned_data["awards"])),
            _("The awards are saved.")):
        return redirect("places:contest_detail", contest.pk)
    return render(request, "places/groups/contest_detail.html", _contest_context(request, contest, awards_form=form),
                  status=400)


@login_required
@require_POST
def contest_judge_add(request, pk):
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    form = JudgeForm(request.POST, users=_judge_candidates(contest))
    if form.is_valid() and service_on_form(
            request, form, lambda: services.contest_judge_add(actor=request.user, contest=contest,
                                                              user=form.cleaned_data["user"]),
            _("The judge is added.")):
        return redirect("places:contest_detail", contest.pk)
    return render(request, "places/groups/contest_detail.html", _contest_context(request, contest, judge_form=form),
                  status=400)


@login_required
def contest_entry_add(request, pk):
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    members = _committee_members(request.user, contest.committee_id)
    form = EntryForm(request.POST or None, request.FILES or None, members=members, shown=_shown(request, members),
                     categories=contest.category_list)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.contest_entry_add(actor=request.user, contest=contest, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The entry “%(title)s” of %(name)s is added.")
                             % {"title": entry.title, "name": entry.member.name})
            return redirect("places:contest_detail", contest.pk)
    return render(request, "places/groups/entry_form.html", {"form": form, "contest": contest, "picker_size": PICKER_SIZE},
                  status=400 if form.errors else 200)


@login_required
def contest_score(request, pk):
    """A judge's score sheet: one number per entry (0–100), saved together; a bad number names its entry."""
    contest = _contest_or_404(request, pk)
    if not selectors.is_judge(request.user, contest):
        raise PermissionDenied(_("Only the contest's judges may score its entries."))
    # through the contest's manager: each entry's ``contest`` is this one, not a query per entry in entry_score
    entries = list(contest.entries.select_related("member").order_by("id"))
    mine = selectors.judge_scores(contest, request.user)
    errors = []
    if request.method == "POST":
        try:
            with transaction.atomic():
                for entry in entries:
                    value = request.POST.get(f"score_{entry.pk}", "").strip()
                    if value == "" and entry.pk not in mine:
                        continue
                    try:
                        services.entry_score(actor=request.user, entry=entry, score=value)
                    except ValidationError as exc:
                        errors.extend(exc.messages)
                if errors:
                    raise ValidationError(errors)
        except ValidationError:
            pass
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("places:contest_detail", contest.pk)
    rows = [(e, request.POST.get(f"score_{e.pk}", mine.get(e.pk, "")) if request.method == "POST"
             else mine.get(e.pk, "")) for e in entries]
    return render(request, "places/groups/score_form.html", {"contest": contest, "rows": rows, "errors": errors},
                  status=400 if errors else 200)


@login_required
@require_POST
def contest_rank(request, pk):
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    places, bad = {}, []
    for entry in ContestEntry.objects.filter(contest=contest).only("pk", "title"):
        value = request.POST.get(f"place_{entry.pk}", "").strip()
        if value and not value.isdigit():
            bad.append(_("“%(title)s”: the place must be a whole number.") % {"title": entry.title})
        places[entry.pk] = int(value) if value.isdigit() else None
    if bad:
        messages.error(request, error_text(ValidationError(bad)))
    else:
        service_message(request, lambda: services.contest_rank(actor=request.user, contest=contest, places=places),
                        _("The places are saved."))
    return redirect("places:contest_detail", contest.pk)


@login_required
@require_POST
def contest_awards_give(request, pk):
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    service_message(request, lambda: services.contest_awards_give(actor=request.user, contest=contest),
                    lambda given: _("Awards given: %(list)s.") % {
                        "list": "、".join(f"{name} {n}" for name, n in given.items())})
    return redirect("places:contest_detail", contest.pk)


@login_required
def contest_certificates(request, pk):
    """The printable certificate list (A4): every award winner with the award, for the certificates."""
    contest = _contest_or_404(request, pk)
    _require_manage(request, contest)
    return render(request, "places/groups/certificates_print.html", {
        "contest": contest, "activity": contest.activity, "rows": list(selectors.certificates(contest))})


@login_required
def entry_file(request, pk):
    f = get_object_or_404(EntryFile.objects.select_related("entry__member"), pk=pk)
    contest = _contest_or_404(request, f.entry.contest_id)
    if not (selectors.may_manage_contest(request.user, contest) or selectors.is_judge(request.user, contest)
            or f.entry.member.user_id == request.user.pk):
        raise PermissionDenied(_("You may not see the files of this entry."))
    audit_log(actor=request.user, action="contest.file_download", obj=f.entry, ip_address=client_ip(request),
              new={"file": f.original_name})
    return file_response(f.file, f.original_name, f.content_type, inline=f.content_type.startswith("image/"))
