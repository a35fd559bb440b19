"""Writing, the commit: the file planned again against the ledger as it is then, and every valid row
written in one transaction. New members go through ``services.member_register_many`` (bulk: the same
rows, events, spells and audit entries as the form's ``member_register``); existing members through
``member_update``, ``flow_record_event`` and ``note_add``."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_entry, audit_log, audit_log_many
from taizhang.core.bulk import insert_rows
from taizhang.core.errors import ConcurrentEditError
from taizhang.core.imports import Source
from taizhang.core.models import AuditEntry
from taizhang.members import projection, services
from taizhang.members.imports.columns import CREATE, UPDATE, ImportFileError
from taizhang.members.imports.context import Context
from taizhang.members.imports.planning import Report, plan_file
from taizhang.members.models import (
    BehaviourNote,
    EventKind,
    FlowEvent,
    ImportStatus,
    LostContactCause,
    Member,
    Status,
    Tag,
)

LOST_ON_IMPORT_REASON = "导入时标记为失联"


class ImportConflict(Exception):
    """The ledger changed between planning and writing; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def commit(source: Source, *, user, sha256: str = "", run=None, progress=None) -> Report:
    """Plan the file again and write every valid row in one transaction (rows with errors are skipped).

    Raises ImportConflict (nothing written) when the ledger changed under the import.
    """
    if user is None:
        raise PermissionDenied(_("An import that writes needs a user to act as."))
    report = Report()
    try:
        ctx = Context(user)
        plans = plan_file(source, ctx, prepare=True, progress=progress)
        header, _total = next(plans)
        report.unknown_columns = header.unknown
        creates, updates = [], []
        for plan in plans:
            report.add(plan)
            if plan.action == CREATE:
                creates.append(plan)
            elif plan.action == UPDATE:
                updates.append(plan)
    except ImportFileError as exc:
        report.file_error = exc.message
        return report
    sha256 = sha256 or source.sha256()
    with transaction.atomic():
        if run is not None:
            from taizhang.members.imports.runs import _claimed_for_writing, _store

            _claimed_for_writing(run)
        _write_creates(creates, user, ctx)
        for plan in updates:
            _write_update(plan, user, ctx)
        audit_log(
            actor=user,
            action="import.commit",
            obj=run,
            object_type="" if run else "members.import",
            object_repr="" if run else source.file_name,
            new={"file_name": source.file_name, "sha256": sha256} | report.counts(),
        )
        if run is not None:  # committed in the same transaction as the rows: never one without the other
            _store(run, report, status=ImportStatus.COMMITTED, message="", committed_at=timezone.now())
    return report


def _write_creates(plans, actor, ctx, batch_size: int = 1000):
    """Register the new members through ``member_register_many``, a batch at a time, then their
    lost_contact events (``是否失联党员=是``) and notes (``备注``), in bulk."""
    tags = _tags_for(plans, actor, ctx)
    for start in range(0, len(plans), batch_size):
        batch = plans[start:start + batch_size]
        registrations = []
        for plan in batch:
            registration = plan.prepared or services.registration_from_cleaned(plan.data, registered_on=plan.registered_on)
            registration.tags = tuple(tags[(plan.committee_id, name)] for name in plan.tags or [])
            registrations.append(registration)
        try:
            members = services.member_register_many(actor=actor, rows=registrations, batch_size=batch_size)
        except (ValidationError, PermissionDenied) as exc:
            raise ImportConflict(_changed_meanwhile(exc)) from exc
        audits = _write_lost_contact([m for p, m in zip(batch, members, strict=True) if p.lost], actor, ctx.today)
        notes = [BehaviourNote(member=m, noted_on=ctx.today, text=p.note.strip(), author=actor)
                 for p, m in zip(batch, members, strict=True) if p.note]
        BehaviourNote.objects.bulk_create(notes)
        audits += [audit_entry(actor=actor, action="member.note_add", obj=note.member,
                               new={"noted_on": note.noted_on, "text": note.text}) for note in notes]
        audit_log_many(audits, insert=_insert_audit_entries)  # hash-chained


def _insert_audit_entries(entries) -> None:
    insert_rows(AuditEntry, entries)


def _changed_meanwhile(exc) -> str:
    if isinstance(exc, ValidationError) and "id_number" in exc.message_dict:
        return _("The ledger changed while the file was being imported (a member with one of these citizen ID "
                 "numbers was added meanwhile). Nothing was imported; check the file again.")
    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return _("The ledger changed while the file was being imported: %(message)s Nothing was imported; "
             "check the file again.") % {"message": "；".join(messages)}


def _write_lost_contact(members, actor, day) -> list:
    """New members marked lost in the file: a lost_contact event on the import day (cause 7 其他), their
    ``current_event`` and spells. Returns the events' unsaved audit entries."""
    if not members:
        return []
    events = [FlowEvent(member=m, kind=EventKind.LOST_CONTACT, effective_date=day, recorded_by=actor,
                        reason=LOST_ON_IMPORT_REASON, lost_contact_cause=LostContactCause.OTHER,
                        status_after=Status.LOST, branch_after_id=m.branch_id) for m in members]
    insert_rows(FlowEvent, events)
    pks = dict(FlowEvent.objects.filter(member_id__in=[m.pk for m in members], kind=EventKind.LOST_CONTACT)
               .values_list("member_id", "pk"))
    for event in events:
        event.pk = pks[event.member_id]
    services.set_current_events(pks)
    projection.project_members(pks)  # the spells the registration just wrote, with the new event
    return [services.event_audit_entry(actor, event, Status.ACTIVE) for event in events]


def _tags_for(plans, actor, ctx) -> dict:
    wanted = {(p.committee_id if p.action == CREATE else p.member.committee_id, name)
              for p in plans if p.tags for name in p.tags}
    missing = wanted - set(ctx.tags)
    if missing:
        for tag in Tag.objects.filter(committee_id__in={c for c, _n in missing}, name__in={n for _c, n in missing}):
            ctx.tags[(tag.committee_id, tag.name)] = tag
    for committee_id, name in sorted(wanted - set(ctx.tags)):
        committee = next(b.committee for b in ctx.branches if b.committee_id == committee_id)
        ctx.tags[(committee_id, name)] = services.tag_get_or_create(actor=actor, committee=committee, name=name)
    return ctx.tags


def _write_update(plan, actor, ctx):
    """Change one existing member through the services (they lock, re-check scope and audit)."""
    today = ctx.today
    member = Member.objects.select_related("branch", "district", "party_group", "household").get(pk=plan.member.pk)
    try:
        if plan.data or plan.tags is not None:
            data = {name: getattr(member, name) for name in services.PLAIN_FIELDS}
            data.update(plan.data)
            data["id_number"] = member.id_number
            data["phone"] = plan.data.get("phone") or member.phone
            if plan.tags is not None:
                data["tags"] = [_tags_for([plan], actor, ctx)[(member.committee_id, n)] for n in plan.tags]
            member = services.member_update(actor=actor, member=member, expected_version=plan.member.version, data=data)
        if plan.move_to is not None:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.MOVED_BRANCH, effective_date=today,
                                       to_branch=plan.move_to)
        if plan.lost is True:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.LOST_CONTACT, effective_date=today,
                                       lost_contact_cause=LostContactCause.OTHER, reason=LOST_ON_IMPORT_REASON)
        elif plan.lost is False:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.CONTACT_RESTORED, effective_date=today)
        if plan.note:
            services.note_add(actor=actor, member=member, noted_on=today, text=plan.note)
    except ConcurrentEditError as exc:
        raise ImportConflict(_(
            "Row %(row)d: someone changed this member while the file was being imported. Nothing was imported; "
            "check the file again."
        ) % {"row": plan.row}) from exc
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise ImportConflict(_("Row %(row)d: %(message)s Nothing was imported; check the file again.")
                             % {"row": plan.row, "message": "；".join(messages)}) from exc


