"""Pages of reflections and discussion notes, study content and recurring plans.

Thin: fetch with permission (content_selectors) → form → service → redirect or render. One URL
returns the full page or, for htmx, the fragment.
"""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.activities import content_selectors as cs
from taizhang.activities import content_services, plans, selectors
from taizhang.activities.content_forms import NoteForm, PlanForm, StudyItemForm
from taizhang.activities.export_jobs import STUDY_READERS, readers_export, readers_filter
from taizhang.activities.models import NoteKind
from taizhang.core.attachments import file_response
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import form_errors_from, service_message
from taizhang.core.export_jobs import send_export
from taizhang.core.paging import page_of, pager_query
from taizhang.core.permissions import EDIT, committees_for, has_capability, is_member_login, own_member
from taizhang.organisation.models import Committee

PAGE_SIZE = 20


# --- notes ------------------------------------------------------------------------------------------------


NOTES_PAGE_SIZE = 20  # reflections per page: a committee-wide activity may have one from every member


def _notes_context(request, activity):
    """The discussion notes (a few, kept by staff) and one page of the reflections, newest first."""
    user = request.user
    notes = cs.note_queryset(user).filter(activity=activity).order_by("-created_at", "-id")
    discussions = cs.with_attachments(notes.filter(kind=NoteKind.DISCUSSION))
    page = page_of(request, notes.filter(kind=NoteKind.REFLECTION), NOTES_PAGE_SIZE)
    reflections = cs.with_attachments(page.object_list)
    may_discuss = cs.may_write_discussion(user, activity)
    for note in discussions + reflections:
        note.may_edit = note.written_by_id == user.pk
        note.may_withdraw = note.may_edit or may_discuss
    return {
        "activity": activity,
        "notes": discussions + reflections,
        "reflections": reflections,
        "reflections_page": page,
        "discussions": discussions,
        "may_reflect": cs.may_write_reflection(user, activity) is not None,
        "may_discuss": may_discuss,
    }


@login_required
def activity_notes(request, pk):
    """The notes panel of an activity (the activity page loads it with htmx) or a page of its own."""
    activity = selectors.activity_get(request.user, pk)
    context = _notes_context(request, activity)
    template = "activities/content/notes_panel.html" if request.htmx else "activities/content/notes_page.html"
    return render(request, template, context)


def _activity_url(activity) -> str:
    return reverse("activities:detail", args=[activity.pk]) + "#notes"


@login_required
def note_create(request, pk, kind):
    activity = selectors.activity_get(request.user, pk)
    if kind not in NoteKind.values:
        raise Http404
    allowed = (cs.may_write_reflection(request.user, activity) is not None if kind == NoteKind.REFLECTION
               else cs.may_write_discussion(request.user, activity))
    if not allowed:
        raise PermissionDenied(_("You may not write this kind of note for this activity."))
    form = NoteForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            content_services.activity_note_create(actor=request.user, activity=activity, kind=kind,
                                                  text=form.cleaned_data["text"], files=form.cleaned_data["files"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("Your reflection has been saved.") if kind == NoteKind.REFLECTION
                             else _("The discussion notes have been saved."))
            return redirect(_activity_url(activity))
    return render(request, "activities/content/note_form.html",
                  {"form": form, "activity": activity, "kind": kind, "kind_label": NoteKind(kind).label})


@login_required
def note_edit(request, pk):
    note = cs.note_get(request.user, pk)
    if note.written_by_id != request.user.pk:
        raise PermissionDenied(_("Only the author can change this note."))
    attachments = list(note.attachments.filter(removed=False))
    form = NoteForm(request.POST or None, request.FILES or None, attachments=attachments,
                    initial={"text": note.text})
    if request.method == "POST" and form.is_valid():
        try:
            content_services.activity_note_update(
                actor=request.user, note=note, text=form.cleaned_data["text"], add_files=form.cleaned_data["files"],
                remove_attachments=[int(x) for x in form.cleaned_data.get("remove") or []],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The note has been saved."))
            return redirect(_activity_url(note.activity))
    return render(request, "activities/content/note_form.html", {
        "form": form, "activity": note.activity, "note": note, "kind": note.kind,
        "kind_label": note.get_kind_display(),
    })


@login_required
@require_POST
def note_withdraw(request, pk):
    note = cs.note_get(request.user, pk)
    service_message(request, lambda: content_services.activity_note_withdraw(actor=request.user, note=note),
                    _("The note has been withdrawn."))
    return redirect(_activity_url(note.activity))


@login_required
def attachment(request, pk):
    """Download a note's file (only for those who may read the note); images may show inline."""
    item = cs.attachment_get(request.user, pk)
    inline = request.GET.get("inline") == "1" and item.is_image
    if not inline:  # a photo shown in the note itself is not a download
        audit_log(actor=request.user, action="activity_note.attachment_download", obj=item.note,
                  new={"file": item.original_name, "sha256": item.sha256}, ip_address=client_ip(request))
    return file_response(item.file, item.original_name, item.content_type, inline=inline)


@login_required
def my_notes(request):
    notes = cs.my_notes(request.user).order_by("-created_at", "-id")
    page = page_of(request, notes, PAGE_SIZE)
    notes = cs.with_attachments(page.object_list)
    for note in notes:
        note.may_edit = note.may_withdraw = note.written_by_id == request.user.pk
    return render(request, "activities/content/my_notes.html", {"page": page, "notes": notes})


# --- study ------------------------------------------------------------------------------------------------


def _require_study(user):
    if not (has_capability(user, "study.readers") or has_capability(user, "study.publish")
            or is_member_login(user)):
        raise PermissionDenied(_("Your role does not give access to study content."))


@login_required
def study_list(request):
    user = request.user
    _require_study(user)
    staff = has_capability(user, "study.readers") or has_capability(user, "study.publish")
    context = {"staff": staff, "can_publish": bool(cs.publish_committees(user))}
    if staff:
        page = page_of(request, cs.study_queryset(user).order_by("-published_at", "-id"), PAGE_SIZE)
        items = list(page.object_list)
        counts = cs.study_read_counts(items, user)
        context.update(page=page, rows=[{"item": i, "read": counts[i.pk][0], "expected": counts[i.pk][1]}
                                        for i in items])
    else:
        member = own_member(user)
        if member is None:
            raise PermissionDenied(_("Your login is not linked to a member record."))
        page = page_of(request, cs.member_study_items(user, member), PAGE_SIZE)
        context.update(page=page, items=list(page.object_list), member=member)
    return render(request, "activities/content/study_list.html", context)


@login_required
def study_detail(request, pk):
    user = request.user
    item = cs.study_get(user, pk)
    member = own_member(user, item.committee_id)
    in_audience = member is not None and not item.withdrawn and cs.in_study_audience(item, member)
    read = item.reads.filter(member=member).first() if in_audience else None
    context = {
        "item": item,
        "member": member if in_audience else None,
        "read": read,
        "can_publish": cs.may_publish(user, item),
        "can_see_readers": has_capability(user, "study.readers", item.committee_id),
    }
    return render(request, "activities/content/study_detail.html", context)


@login_required
@require_POST
def study_mark_read(request, pk):
    item = cs.study_get(request.user, pk)
    try:
        read, created = content_services.study_item_mark_read(actor=request.user, item=item)
    except ValidationError as exc:
        if request.htmx:
            return render(request, "activities/content/read_button.html",
                          {"item": item, "error": " ".join(exc.messages)})
        messages.error(request, " ".join(exc.messages))
        return redirect("content:study_detail", pk=item.pk)
    if request.htmx:
        return render(request, "activities/content/read_button.html", {"item": item, "read": read, "just": created})
    if created:
        messages.success(request, _("Marked as read. Thank you for studying!"))
    return redirect("content:study_detail", pk=item.pk)


@login_required
def study_file(request, pk):
    item = cs.study_get(request.user, pk)
    if not item.file_name:
        raise Http404
    inline = request.GET.get("inline") == "1" and item.file_content_type.startswith("image/")
    if not inline:
        audit_log(actor=request.user, action="study.file_download", obj=item, new={"file": item.file_name},
                  ip_address=client_ip(request))
    return file_response(item.file, item.file_name, item.file_content_type, inline=inline)


def _publish_committee(user) -> Committee:
    committees = cs.publish_committees(user)
    if not committees:
        raise PermissionDenied(_("Only the study committee member or a committee administrator can publish "
                                 "study items."))
    return committees[0]


STUDY_ALIASES = {"files": "file"}


@login_required
def study_create(request):
    committee = _publish_committee(request.user)
    form = StudyItemForm(request.POST or None, request.FILES or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            item = content_services.study_item_create(actor=request.user, committee=committee,
                                                      file=form.cleaned_data.get("file"), **form.service_data())
        except ValidationError as exc:
            form_errors_from(exc, form, STUDY_ALIASES)
        else:
            messages.success(request, _("“%(title)s” has been published.") % {"title": item.title})
            return redirect("content:study_detail", pk=item.pk)
    return render(request, "activities/content/study_form.html", {"form": form, "creating": True})


@login_required
def study_edit(request, pk):
    item = cs.study_get(request.user, pk)
    if not cs.may_publish(request.user, item):
        raise PermissionDenied(_("Only the study committee member or a committee administrator can publish "
                                 "study items."))
    form = StudyItemForm(request.POST or None, request.FILES or None, committee=item.committee, editing=item)
    if request.method == "POST" and form.is_valid():
        try:
            content_services.study_item_update(actor=request.user, item=item, data=form.service_data(),
                                               file=form.cleaned_data.get("file"),
                                               remove_file=bool(form.cleaned_data.get("remove_file")))
        except ValidationError as exc:
            form_errors_from(exc, form, STUDY_ALIASES)
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect("content:study_detail", pk=item.pk)
    return render(request, "activities/content/study_form.html", {"form": form, "item": item})


@login_required
@require_POST
def study_withdraw(request, pk):
    item = cs.study_get(request.user, pk)
    service_message(request, lambda: content_services.study_item_withdraw(actor=request.user, item=item),
                    _("“%(title)s” has been withdrawn.") % {"title": item.title})
    return redirect("content:study_detail", pk=item.pk)


READERS_PAGE_SIZE = 50


@login_required
def study_readers(request, pk):
    """Who has read the item and who has not, of the members the user may see: the totals per branch (SQL
    aggregates), then one page of the members (filtered by read / branch / name); .xlsx with ?format=xlsx
    (the whole filtered list, streamed to the exporter)."""
    item = cs.study_get(request.user, pk)
    if not has_capability(request.user, "study.readers", item.committee_id):
        raise PermissionDenied(_("Your role cannot see who has read study items."))
    total, branches = cs.study_reader_totals(item, request.user)
    filterset = readers_filter(request.user, item, request.GET, branches)
    if request.GET.get("format") == "xlsx" and filterset.is_valid():  # invalid filters: the page says why
        export = readers_export(request.user, item, request.GET, totals=(total, branches))
        filters = export.details["filters"]  # the page's filters, for the worker to build the same rows
        return send_export(request, export, name=STUDY_READERS,
                           params={"item": item.pk, **({"filters": filters} if filters else {})})
    valid = filterset.is_valid()
    members = filterset.qs if valid else filterset.queryset.none()
    # the totals have counted the rows already (unless a name is searched): no second count of the audience,
    # and the page is read branch by branch in the order of the members' index
    known = filterset.known_count(total, branches) if valid else 0
    if valid and known is not None:
        members = filterset.by_branch(branches)
    page = page_of(request, members, READERS_PAGE_SIZE, count=known)
    context = {
        "item": item, "filter": filterset, "page": page, "rows": list(page.object_list), "query": pager_query(request),
        "total": total, "branches": branches, "n_read": total.read, "n_expected": total.audience,
    }
    if request.htmx and request.htmx.target == "readers-list":
        return render(request, "activities/content/partials/readers_list.html", context)
    return render(request, "activities/content/study_readers.html", context)


# --- recurring plans --------------------------------------------------------------------------------------


def _plan_committee(user) -> Committee:
    if not has_capability(user, "activities.manage"):
        raise PermissionDenied(_("Your role cannot plan activities."))
    committee = committees_for(user, EDIT).first()
    if committee is None or not has_capability(user, "activities.manage", committee):
        raise PermissionDenied(_("Your role cannot plan activities."))
    return committee


PLAN_ALIASES = {"audience_kind": "audience", "organiser_branch": "organiser"}
PLAN_MADE_SESSION_KEY = "plans_made"  # the ids of the activities the user's last generation created


@login_required
def plan_page(request):
    """Generate a year's recurring activities: preview first, then create them all at once."""
    committee = _plan_committee(request.user)
    form = PlanForm(request.POST or None, user=request.user, committee=committee)
    preview = None
    if request.method == "POST" and form.is_valid():
        spec = form.spec()
        try:
            if request.POST.get("action") == "generate":
                result = plans.plan_generate(actor=request.user, committee=committee, spec=spec)
                messages.success(request, _("%(created)d activities were created; %(skipped)d already existed "
                                            "and were skipped.") % {"created": len(result.created),
                                                                    "skipped": len(result.skipped)})
                if result.holiday_notice:
                    messages.warning(request, result.holiday_notice)
                request.session[PLAN_MADE_SESSION_KEY] = [a.pk for a in result.created]
                return redirect(reverse("content:plans") + "?made=1")
            preview = plans.plan_preview(actor=request.user, committee=committee, spec=spec)
        except ValidationError as exc:
            form_errors_from(exc, form, PLAN_ALIASES)
    made = None
    if request.method == "GET" and request.GET.get("made"):  # what the last generation made, with links
        ids = request.session.get(PLAN_MADE_SESSION_KEY, [])
        made = list(selectors.activity_queryset(request.user).filter(pk__in=ids).order_by("starts_at", "id"))
    template = "activities/content/plan_preview.html" if request.htmx else "activities/content/plans.html"
    return render(request, template, {"form": form, "preview": preview, "committee": committee, "made": made})
