"""Writes for reflections and discussion notes (心得体会, 讨论记录) and study items (学习内容).

Each service owns its transaction and writes its audit entry (ARCHITECTURE.md rules 1 and 3).

* A member writes a reflection on an activity they checked in to or attended (even before its official
  start), or, once it has started, one they were invited to; staff who may manage the activity write its discussion notes. The author may edit a
  note; the author or the activity's staff may withdraw it (kept, hidden). Nothing is deleted.
* Attachments: checked by ``core.attachments.clean_files`` (count, size, type, content matching the name),
  stored through Django's storage API; downloads go through a checked view.
* Study items are published by users with ``study.publish`` in the committee (学习委员, committee
  administrators); a member marks an item read once, which tells the points app
  (``hooks.study_item_read``) in the same transaction.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities import content_selectors, hooks, study_tallies
from taizhang.activities.models import (
    Activity,
    ActivityNote,
    AudienceKind,
    NoteAttachment,
    NoteKind,
    StudyItem,
    StudyKind,
    StudyRead,
)
from taizhang.core.attachments import CleanFile, StoredFiles, clean_files
from taizhang.core.audit import audit_log
from taizhang.core.permissions import own_member
from taizhang.members.audience import clean_audience
from taizhang.members.models import Member
from taizhang.organisation.models import Branch, PartyGroup

# --- notes ------------------------------------------------------------------------------------------------


def _clean_note_text(text) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the text of the note.")]})
    if len(text) > 20000:
        raise ValidationError({"text": [_("The text is too long (at most %(n)d characters).") % {"n": 20000}]})
    return text


def _attach(note: ActivityNote, files: list[CleanFile], actor, stored: StoredFiles) -> list[NoteAttachment]:
    return [stored.attach(NoteAttachment(note=note), f, uploaded_by=actor) for f in files]


def _files_snapshot(attachments) -> list:
    return [{"name": a.original_name, "size": a.size, "sha256": a.sha256} for a in attachments]


def _clean_note_input(text, files, *, already: int = 0):
    """The note's text and files checked together, so one message lists every problem."""
    errors = {}
    try:
        text = _clean_note_text(text)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned = clean_files(files, already=already)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return text, cleaned


@transaction.atomic
def activity_note_create(*, actor, activity: Activity, kind: str, text: str, files=()) -> ActivityNote:
    """Write a reflection (the member themself) or discussion notes (the activity's staff)."""
    activity = Activity.objects.select_related("committee").get(pk=activity.pk)
    member = None
    if kind == NoteKind.REFLECTION:
        member = content_selectors.may_write_reflection(actor, activity)
        if member is None:
            raise PermissionDenied(_("Only members who attended or were invited to this activity can write a "
                                     "reflection on it, once it has started."))
    elif kind == NoteKind.DISCUSSION:
        if not content_selectors.may_write_discussion(actor, activity):
            raise PermissionDenied(_("Only the staff of the organising committee or branch can keep the "
                                     "discussion notes of this activity."))
    else:
        raise ValidationError({"kind": [_("Choose a reflection or discussion notes.")]})
    text, cleaned = _clean_note_input(text, files)
    with StoredFiles() as stored:
        note = ActivityNote.objects.create(activity=activity, member=member, kind=kind, text=text, written_by=actor)
        attachments = _attach(note, cleaned, actor, stored)
        audit_log(actor=actor, action="activity_note.create", obj=note, new={
            "activity": activity.pk, "member": getattr(member, "pk", None), "kind": kind, "text": text,
            "files": _files_snapshot(attachments),
        })
    return note


def _lock_note(note: ActivityNote) -> ActivityNote:
    return ActivityNote.objects.select_for_update(of=("self",)).select_related("activity").get(pk=note.pk)


@transaction.atomic
def activity_note_update(*, actor, note: ActivityNote, text: str, add_files=(), remove_attachments=()) -> ActivityNote:
    """The author changes the text, adds files or removes some (removed files are kept, hidden)."""
    note = _lock_note(note)
    if note.written_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the author can change this note."))
    if note.withdrawn:
        raise ValidationError({"text": [_("This note has been withdrawn.")]})
    current = list(note.attachments.filter(removed=False))
    remove_ids = {int(getattr(a, "pk", a)) for a in remove_attachments}
    unknown = remove_ids - {a.pk for a in current}
    if unknown:
        raise ValidationError({"remove": [_("An attachment to remove does not belong to this note.")]})
    text, cleaned = _clean_note_input(text, add_files, already=len(current) - len(remove_ids))
    old = {"text": note.text, "files": _files_snapshot(current)}
    with StoredFiles() as stored:
        removed = [a for a in current if a.pk in remove_ids]
        NoteAttachment.objects.filter(pk__in=remove_ids).update(removed=True)
        added = _attach(note, cleaned, actor, stored)
        if text == note.text and not removed and not added:
            return note
        note.text = text
        note.edited_at = timezone.now()
        note.save(update_fields=["text", "edited_at"])
        kept = [a for a in current if a.pk not in remove_ids] + added
        audit_log(actor=actor, action="activity_note.update", obj=note, old=old,
                  new={"text": text, "files": _files_snapshot(kept)})
    return note


def may_withdraw(user, note: ActivityNote) -> bool:
    return note.written_by_id == getattr(user, "pk", None) or content_selectors.may_write_discussion(
        user, note.activity)


@transaction.atomic
def activity_note_withdraw(*, actor, note: ActivityNote) -> ActivityNote:
    """Hide a note (the author, or the activity's staff). Kept in the database and the audit log."""
    note = _lock_note(note)
    if not may_withdraw(actor, note):
        raise PermissionDenied(_("You may not withdraw this note."))
    if note.withdrawn:
        raise ValidationError({"note": [_("This note has already been withdrawn.")]})
    note.withdrawn = True
    note.withdrawn_at = timezone.now()
    note.save(update_fields=["withdrawn", "withdrawn_at"])
    audit_log(actor=actor, action="activity_note.withdraw", obj=note, old={"withdrawn": False},
              new={"withdrawn": True})
    return note


# --- study items ------------------------------------------------------------------------------------------

STUDY_FIELDS = ["kind", "title", "body", "link", "month", "audience_kind", "audience_branch", "audience_group"]


def _check_publish(actor, committee) -> None:
    if not content_selectors.may_publish(actor, committee):
        raise PermissionDenied(_("Only the study committee member or a committee administrator can publish "
                                 "study items."))


def _clean_study(committee, data: dict, *, has_file: bool) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    kind = data.get("kind")
    if kind not in StudyKind.values:
        errors["kind"] = [_("Choose the kind of study item.")]
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = [_("Enter the title.")]
    elif len(title) > 200:
        errors["title"] = [_("The text is too long (at most %(n)d characters).") % {"n": 200}]
    cleaned["title"] = title
    cleaned["body"] = (data.get("body") or "").strip()
    link = (data.get("link") or "").strip()
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            errors["link"] = [_("Enter a web address beginning with http:// or https://.")]
        if len(link) > 500:
            errors["link"] = [_("The text is too long (at most %(n)d characters).") % {"n": 500}]
    cleaned["link"] = link
    if not (cleaned["body"] or link or has_file):
        errors["body"] = [_("Give the study text, a link or a file (at least one).")]
    month = data.get("month")
    if month is not None and not isinstance(month, datetime.date):
        errors["month"] = [_("Enter a month such as 2026-06.")]
        month = None
    if kind == StudyKind.MONTHLY and month is None:
        errors["month"] = [_("Choose the month of this monthly study topic.")]
    cleaned["month"] = month.replace(day=1) if month else None

    try:
        cleaned["audience_branch"], cleaned["audience_group"], _picked = clean_audience(
            actor=None, committee=committee, kind=data.get("audience_kind"), branch=data.get("audience_branch"),
            group=data.get("audience_group"), kinds=StudyItem.AUDIENCE_KINDS)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_study_file(file) -> CleanFile | None:
    if not file:
        return None
    cleaned = clean_files([file])
    return cleaned[0] if cleaned else None


def _store_study_file(item: StudyItem, f: CleanFile, stored: StoredFiles) -> None:
    item.file.save(f.name, f.upload, save=False)
    stored.names.append(item.file.name)
    item.file_name, item.file_size = f.name, f.size
    item.file_content_type, item.file_sha256 = f.content_type, f.sha256


def _study_snapshot(item: StudyItem) -> dict:
    return {
        "committee": item.committee_id,
        "kind": item.kind,
        "title": item.title,
        "body": item.body,
        "link": item.link,
        "month": item.month,
        "audience_kind": item.audience_kind,
        "audience_branch": item.audience_branch_id,
        "audience_group": item.audience_group_id,
        "file": item.file_name,
        "file_sha256": item.file_sha256,
        "withdrawn": item.withdrawn,
    }


def _errors(*calls) -> None:
    errors = {}
    for call in calls:
        try:
            call()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def study_item_create(*, actor, committee, kind: str, title: str, body: str = "", link: str = "",
                      month: datetime.date | None = None, audience_kind: str = AudienceKind.COMMITTEE,
                      audience_branch: Branch | None = None, audience_group: PartyGroup | None = None,
                      file=None) -> StudyItem:
    """Publish a study item to the whole committee, a branch or a party group."""
    _check_publish(actor, committee)
    result = {}

    def data():
        result["data"] = _clean_study(committee, {
            "kind": kind, "title": title, "body": body, "link": link, "month": month,
            "audience_kind": audience_kind, "audience_branch": audience_branch, "audience_group": audience_group,
        }, has_file=bool(file))

    def upload():
        result["file"] = _clean_study_file(file)

    _errors(data, upload)
    with StoredFiles() as stored:
        item = StudyItem(committee=committee, published_by=actor, **result["data"])
        if result["file"]:
            _store_study_file(item, result["file"], stored)
        item.save()
        audit_log(actor=actor, action="study_item.create", obj=item, new=_study_snapshot(item))
    return item


@transaction.atomic
def study_item_update(*, actor, item: StudyItem, data: dict, file=None, remove_file: bool = False) -> StudyItem:
    """Change a published item (fields in ``STUDY_FIELDS``), replace or remove its file."""
    item = StudyItem.objects.select_for_update(of=("self",)).select_related("committee").get(pk=item.pk)
    _check_publish(actor, item.committee)
    unknown = set(data) - set(STUDY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if item.withdrawn:
        raise ValidationError({"title": [_("This study item has been withdrawn.")]})
    merged = {name: getattr(item, name) for name in STUDY_FIELDS} | data
    keeps_file = bool(item.file_name) and not remove_file
    result = {}

    def fields():
        result["data"] = _clean_study(item.committee, merged, has_file=keeps_file or bool(file))

    def upload():
        result["file"] = _clean_study_file(file)

    _errors(fields, upload)
    old = _study_snapshot(item)
    with StoredFiles() as stored:
        for name, value in result["data"].items():
            setattr(item, name, value)
        if result["file"]:
            _store_study_file(item, result["file"], stored)
        elif remove_file:
            item.file, item.file_name, item.file_size = "", "", None
            item.file_content_type, item.file_sha256 = "", ""
        item.save()
        new = _study_snapshot(item)
        changed = {k for k in new if new[k] != old[k]}
        if changed:
            audit_log(actor=actor, action="study_item.update", obj=item,
                      old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    return item


@transaction.atomic
def study_item_withdraw(*, actor, item: StudyItem) -> StudyItem:
    """Take an item back: members no longer see it; reads already made stay."""
    item = StudyItem.objects.select_for_update(of=("self",)).select_related("committee").get(pk=item.pk)
    _check_publish(actor, item.committee)
    if item.withdrawn:
        raise ValidationError({"title": [_("This study item has already been withdrawn.")]})
    item.withdrawn = True
    item.withdrawn_at = timezone.now()
    item.save(update_fields=["withdrawn", "withdrawn_at", "updated_at"])
    audit_log(actor=actor, action="study_item.withdraw", obj=item, old={"withdrawn": False}, new={"withdrawn": True})
    return item


@transaction.atomic
def study_item_mark_read(*, actor, item: StudyItem, member: Member | None = None) -> tuple[StudyRead, bool]:
    """The member (the actor's own record) has read ``item``. Returns (read, created); only the first
    time writes, is audited and tells the points app."""
    if member is None:
        member = own_member(actor, item.committee_id)
    if member is None or member.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the member themself can mark a study item read."))
    item = StudyItem.objects.select_related("audience_group").get(pk=item.pk)
    if item.withdrawn:
        raise ValidationError({"item": [_("This study item has been withdrawn.")]})
    if not content_selectors.in_study_audience(item, member):
        raise ValidationError({"item": [_("This study item is not for %(name)s.") % {"name": member.name}]})
    existing = StudyRead.objects.filter(item=item, member=member).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            read = StudyRead.objects.create(item=item, member=member)
    except IntegrityError:  # marked read at the same moment in another tab
        return StudyRead.objects.get(item=item, member=member), False
    study_tallies.read_added(read)  # the not-read list's totals, in this transaction
    audit_log(actor=actor, action="study_item.read", obj=item, new={"member": member.pk, "read_at": read.read_at})
    hooks.study_item_read.send(item=item, member=member, actor=actor)
    return read, True
