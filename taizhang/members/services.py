"""Writes to the member ledger. Each service owns its transaction and writes its audit entry."""

import dataclasses
import datetime
import functools
import types
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.alerts import security_alert_raise
from taizhang.core.audit import audit_entry, audit_log, audit_log_many
from taizhang.core.bulk import insert_rows
from taizhang.core.chinese import normalise_phone, parse_citizen_id, pinyin_full, pinyin_initials
from taizhang.core.errors import ConcurrentEditError
from taizhang.core.models import AlertKind, AuditEntry, SecurityAlert
from taizhang.core.permissions import EDIT, REVEAL, can_in_branch, restrict
from taizhang.members import flow, generations, projection, selectors
from taizhang.members.contact import last_contact_day
from taizhang.members.models import (
    BehaviourNote,
    ChangeRequest,
    ChangeRequestStatus,
    EmploymentStatus,
    EventKind,
    FlowEvent,
    Household,
    Member,
    MembershipType,
    Status,
    Tag,
)
from taizhang.organisation.models import Branch

# Fields a form may set directly; personal numbers and tags are handled separately.
PLAIN_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "membership_type",
    "join_date",
    "full_membership_date",
    "party_age_correction",
    "is_mobile",
    "residence",
    "district",
    "household_registration",
    "category",
    "branch",
    "party_group",
    "household",
    "employer",
    "industry",
    "position",
    "employment_status",
    "interests",
]
REQUIRED_FIELDS = ["name", "membership_type", "join_date", "category"]


def founding_date(committee=None) -> datetime.date:
    """Nobody is on a committee's roster before it was founded."""
    if committee is not None and committee.founded_on:
        return committee.founded_on
    return datetime.date.fromisoformat(settings.COMMITTEE_FOUNDED)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def validate_member_data(data: dict) -> dict:
    """Check one member's data as a whole; return it normalised. Raises ValidationError by field.

    Used by the forms and by imports so the rules live in one place.
    """
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    for name in REQUIRED_FIELDS:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.setdefault(name, []).append(_("This field is required."))

    ident = None
    try:
        ident = parse_citizen_id(data.get("id_number", ""))
        cleaned["id_number"] = ident.number
    except ValidationError as exc:
        errors.setdefault("id_number", []).extend(exc.messages)

    if ident:
        if data.get("birth_date") and data["birth_date"] != ident.birth_date:
            errors.setdefault("birth_date", []).append(
                _("The birth date %(entered)s does not agree with the citizen ID number (%(derived)s).")
                % {"entered": data["birth_date"].isoformat(), "derived": ident.birth_date.isoformat()}
            )
        if data.get("gender") and data["gender"] != ident.gender:
            errors.setdefault("gender", []).append(
                _("The gender does not agree with the citizen ID number (its 17th digit says %(g)s).")
                % {"g": _("male") if ident.gender == "M" else _("female")}
            )
        cleaned["birth_date"] = ident.birth_date
        cleaned["gender"] = ident.gender

    try:
        cleaned["phone"] = normalise_phone(data.get("phone", "") or "")
    except ValidationError as exc:
        errors.setdefault("phone", []).extend(exc.messages)

    today = timezone.localdate()
    join = data.get("join_date")
    full = data.get("full_membership_date")
    mtype = data.get("membership_type")
    if join:
        if join > today:
            errors.setdefault("join_date", []).append(_("The join date cannot be in the future."))
        if ident and _age_on(ident.birth_date, join) < settings.MIN_JOIN_AGE:
            errors.setdefault("join_date", []).append(
                _("On the join date the member was %(age)d; members must be at least 18 when they join.")
                % {"age": _age_on(ident.birth_date, join)}
            )
    if full:
        if full > today:
            errors.setdefault("full_membership_date", []).append(
                _("The full membership date cannot be in the future.")
            )
        if join and full < join:
            errors.setdefault("full_membership_date", []).append(
                _("The full membership date cannot be before the join date.")
            )
        if join and full > _add_years(join, 2):
            errors.setdefault("full_membership_date", []).append(
                _("Probation lasts one year and can be extended once by at most one year; "
                  "the full membership date is more than two years after the join date.")
            )
    if mtype == MembershipType.FULL and not full:
        errors.setdefault("full_membership_date", []).append(
            _("A full member needs a full membership date.")
        )
    if mtype == MembershipType.PROBATIONARY and full:
        errors.setdefault("full_membership_date", []).append(
            _("A probationary member has no full membership date yet; record “probation completed” instead.")
        )

    district = data.get("district")
    branch = data.get("branch")
    if district and branch and district.committee_id != branch.committee_id:
        errors.setdefault("district", []).append(_("The district belongs to another committee."))
    group = data.get("party_group")
    if group and branch and group.branch_id != branch.pk:
        errors.setdefault("party_group", []).append(_("The party group belongs to another branch."))

    if errors:
        raise ValidationError(errors)
    return cleaned


def set_personal_numbers(member: Member, id_number: str, phone: str) -> None:
    member.id_number_encrypted = crypto.encrypt(id_number)
    member.id_number_hash = crypto.blind_index(id_number)
    member.id_number_prefix = id_number[:4]
    member.id_number_last4 = id_number[-4:]
    member.phone_encrypted = crypto.encrypt(phone)
    member.phone_hash = crypto.blind_index(phone)
    member.phone_prefix = phone[:3]
    member.phone_last4 = phone[-4:]


def member_snapshot(member: Member) -> dict:
    values = {}
    for name in PLAIN_FIELDS:
        field = Member._meta.get_field(name)
        values[name] = getattr(member, field.attname)
    # Personal numbers go to the audit log masked: the log must not become a plain copy of them.
    values["id_number"] = member.id_number_masked
    values["phone"] = member.phone_masked
    return values


def _check_household(actor, household, committee_id, current_id=None) -> None:
    """A household can only be chosen from those the actor may see (households are named after people).
    A household nobody lives in yet (just started from the form) names nobody else's record."""
    if household is None or household.pk == current_id or not household.members.exists():
        return
    from taizhang.members.selectors import household_queryset

    if not household_queryset(actor, EDIT).filter(pk=household.pk, committee_id=committee_id).exists():
        raise ValidationError({"household": [_("Choose one of the households offered in the list.")]})


def _check_duplicate(id_number: str, exclude_pk=None) -> None:
    qs = Member.objects.filter(id_number_hash=crypto.blind_index(id_number))
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"id_number": [_("A member with this citizen ID number is already in the ledger.")]})


# --- registering members: one service for the form, the import and the demo ----------------------


@dataclasses.dataclass(slots=True)
class Registration:
    """One member, checked and ready to write: the Member row's column values (``member_columns``
    order: personal numbers encrypted and blind-indexed, pinyin set) and how they are registered."""

    values: tuple
    branch: Branch
    registered_on: datetime.date
    reported: bool = True
    reason: str = ""
    household: Household | None = None
    tags: tuple = ()  # Tag objects

    @property
    def id_number_hash(self) -> str:
        return self.values[_column_index("id_number_hash")]


@functools.cache
def _columns() -> tuple:
    """(attname, default, whether the default is called per row) of Member's columns but the primary key."""
    return tuple(
        (f.attname, f.default, True) if f.has_default() and callable(f.default) else (f.attname, f.get_default(), False)
        for f in Member._meta.concrete_fields if not f.primary_key
    )


def member_columns() -> list[str]:
    return [name for name, _default, _call in _columns()]


@functools.cache
def _column_index(name: str) -> int:
    return member_columns().index(name)


@functools.cache
def _plain_attnames() -> tuple:
    return tuple((name, Member._meta.get_field(name).attname, Member._meta.get_field(name).is_relation)
                 for name in PLAIN_FIELDS)


def registration_from_cleaned(cleaned: dict, *, registered_on: datetime.date, reported: bool = True,
                              reason: str = "") -> Registration:
    """The Registration of data ``validate_member_data`` has already cleaned (no further checks, no queries)."""
    row = types.SimpleNamespace(**{name: default() if call else default for name, default, call in _columns()})
    row.committee_id = cleaned["branch"].committee_id
    for name, attname, is_relation in _plain_attnames():
        if name in cleaned:
            value = cleaned[name]
            setattr(row, attname, value.pk if is_relation and value is not None else value)
    row.name_pinyin = pinyin_full(row.name)
    row.name_initials = pinyin_initials(row.name)
    set_personal_numbers(row, cleaned["id_number"], cleaned["phone"])
    row.last_contact_date = registered_on  # registration is contact (flow.CONTACT_KINDS)
    return Registration(
        values=tuple(getattr(row, name) for name, _default, _call in _columns()),
        branch=cleaned["branch"], registered_on=registered_on, reported=reported, reason=reason,
        household=cleaned.get("household"), tags=tuple(cleaned.get("tags") or ()),
    )


def registration_prepare(*, data: dict, registered_on: datetime.date, reported: bool = True,
                         reason: str = "") -> Registration:
    """Check one member's data and registration date (errors by field, the form's messages) and build
    the Registration. Needs no query; the actor's scope, households and duplicates are checked by
    ``member_register_many``."""
    if data.get("branch") is None:
        raise ValidationError({"branch": [_("This field is required.")]})
    cleaned = validate_member_data(data)
    validate_event_date(registered_on, last=None, committee=cleaned["branch"].committee, field="registered_on",
                        label=_("registration date"))
    return registration_from_cleaned(cleaned, registered_on=registered_on, reported=reported, reason=reason)


def _require_branch(actor, branch, allowed: dict) -> None:
    if branch is None:
        return
    if branch.pk not in allowed:
        allowed[branch.pk] = can_in_branch(actor, branch, EDIT)
    if not allowed[branch.pk]:
        raise PermissionDenied(_("You may not add members to this branch."))


def _numbered(exc: ValidationError, number: int | None) -> ValidationError:
    """``exc`` with each message prefixed by the row number (when registering more than one row)."""
    if number is None:
        return exc
    return ValidationError({field: [_("Row %(row)d: %(message)s") % {"row": number, "message": m} for m in messages]
                            for field, messages in exc.message_dict.items()})


def _registrations(actor, rows) -> list[Registration]:
    """Each row checked: a ``Registration`` as it is, a mapping (``data``, ``registered_on``, ``reported``,
    ``reason``) through ``registration_prepare``; the branch must be one the actor may EDIT."""
    rows = list(rows)
    allowed, result = {}, []
    for number, row in enumerate(rows, start=1):
        label = number if len(rows) > 1 else None
        if isinstance(row, Registration):
            _require_branch(actor, row.branch, allowed)
            result.append(row)
            continue
        _require_branch(actor, row["data"].get("branch"), allowed)
        try:
            result.append(registration_prepare(data=row["data"], registered_on=row["registered_on"],
                                               reported=row.get("reported", True), reason=row.get("reason", "")))
        except ValidationError as exc:
            raise _numbered(exc, label) from exc
    return result


def _check_new_numbers(registrations: list[Registration]) -> None:
    """No citizen ID number twice among the rows or already in the ledger (one query per 1000 rows)."""
    rows_of = defaultdict(list)
    for number, registration in enumerate(registrations, start=1):
        rows_of[registration.id_number_hash].append(number)
    hashes = list(rows_of)
    taken = set()
    for start in range(0, len(hashes), 1000):
        taken.update(Member.objects.filter(id_number_hash__in=hashes[start:start + 1000])
                     .values_list("id_number_hash", flat=True))
    twice = [rows for rows in rows_of.values() if len(rows) > 1]
    if not taken and not twice:
        return
    message = _("A member with this citizen ID number is already in the ledger.")
    if len(registrations) == 1:
        raise ValidationError({"id_number": [message]})
    rows = sorted({rows_of[h][0] for h in taken} | {n for rows in twice for n in rows})
    raise ValidationError({"id_number": [
        _("Row %(row)d: %(message)s") % {"row": n, "message": message} for n in rows]})


@transaction.atomic
def member_register_many(*, actor, rows, batch_size: int = 1000) -> list[Member]:
    """Register members, in one transaction with bulk writes: the Member rows (personal numbers
    encrypted, pinyin), their tags, the REGISTERED flow event (active, or awaiting when not ``reported``),
    the ``current_event`` pointer, the roster spells (``projection.insert_spells``) and per member the
    audit entries ``member.create`` and ``flow.registered`` — a few queries per ``batch_size`` rows,
    none per row. ``rows``: ``Registration`` objects (``registration_prepare``/``registration_from_cleaned``)
    or mappings with ``data``, ``registered_on`` and optionally ``reported`` and ``reason``. Raises
    PermissionDenied (a branch the actor may not edit) or ValidationError (by field; with the row number
    when there is more than one row) before anything is written. Returns the members in row order."""
    registrations = _registrations(actor, rows)
    households = {(r.household.pk, r.branch.committee_id): r.household for r in registrations if r.household}
    for (_pk, committee_id), household in households.items():
        _check_household(actor, household, committee_id)
    _check_new_numbers(registrations)
    members = []
    for start in range(0, len(registrations), batch_size):
        members.extend(_register_batch(actor, registrations[start:start + batch_size]))
    return members


def _register_batch(actor, batch: list[Registration]) -> list[Member]:
    members = _insert_members(batch)
    through = Member.tags.through
    through.objects.bulk_create([through(member_id=m.pk, tag_id=t.pk) for r, m in zip(batch, members, strict=True)
                                 for t in r.tags])
    events = _registered_events(actor=actor, batch=batch, members=members)
    audits = []
    for r, member, event in zip(batch, members, events, strict=True):
        audits.append(audit_entry(actor=actor, action="member.create", obj=member,
                                  new=member_snapshot(member) | {"tags": sorted(t.name for t in r.tags)}))
        audits.append(event_audit_entry(actor, event, flow.NOT_REGISTERED))
    audit_log_many(audits, insert=functools.partial(insert_rows, AuditEntry))  # hash-chained
    return members


def _insert_members(batch: list[Registration]) -> list[Member]:
    """The new Member rows, with their primary keys set (one insert, one query)."""
    columns = member_columns()
    members = [Member(**dict(zip(columns, r.values, strict=True))) for r in batch]
    hashes = [m.id_number_hash for m in members]
    try:
        with transaction.atomic():
            insert_rows(Member, members)
    except IntegrityError as exc:  # added meanwhile by someone else
        if Member.objects.filter(id_number_hash__in=hashes).exists():
            raise ValidationError({"id_number": [
                _("A member with this citizen ID number is already in the ledger.")]}) from exc
        raise
    pks = dict(Member.objects.filter(id_number_hash__in=hashes).values_list("id_number_hash", "pk"))
    for member in members:
        member.pk = pks[member.id_number_hash]
        member._state.adding = False
    return members


def _registered_events(*, actor, batch: list[Registration], members: list[Member]) -> list[FlowEvent]:
    """The new members' REGISTERED events, their ``current_event`` pointers and roster spells."""
    events = [FlowEvent(
        member=m, kind=EventKind.REGISTERED, effective_date=r.registered_on, recorded_by=actor, reason=r.reason,
        details={"reported": r.reported}, status_after=_registered_status(r.reported), branch_after_id=m.branch_id,
    ) for r, m in zip(batch, members, strict=True)]
    insert_rows(FlowEvent, events)
    event_pks = dict(FlowEvent.objects.filter(member_id__in=[m.pk for m in members]).values_list("member_id", "pk"))
    for event, member in zip(events, members, strict=True):
        event.pk = event_pks[member.pk]
        member.current_event_id = event.pk
    set_current_events({e.member_id: e.pk for e in events})
    # The roster spells from the same events, in the same transaction (rule 13).
    projection.insert_spells(projection.spells_from_events(
        [projection.EventRow(e.member_id, e.pk, e.kind, e.effective_date, e.status_after, e.branch_after_id, None)
         for e in events],
        {m.pk: m.committee_id for m in members},
    ))
    return events


def _registered_status(reported: bool) -> str:
    return flow.status_after(flow.NOT_REGISTERED, EventKind.REGISTERED) if reported else Status.AWAITING


def event_audit_entry(actor, event: FlowEvent, status_before: str):
    """The unsaved ``flow.<kind>`` audit entry of an event, exactly as ``_record`` writes it (for bulk writes)."""
    return audit_entry(
        actor=actor, action=f"flow.{event.kind}", obj=event,
        object_repr=f"{event.member} {_kind_label(event.kind)} {event.effective_date}",
        old={"status": status_before},
        new=_event_values(event),
    )


@functools.cache
def _kind_label_cached(kind: str, language: str) -> str:
    return str(EventKind(kind).label)


def _kind_label(kind: str) -> str:
    # as FlowEvent.__str__ gives it, looked up once per kind and language (get_kind_display is slow)
    return _kind_label_cached(kind, get_language() or "")


def _event_values(event: FlowEvent) -> dict:
    return {
        "status": event.status_after,
        "effective_date": event.effective_date,
        "reason": event.reason,
        "details": event.details,
        "lost_contact_cause": event.lost_contact_cause,
        "branch": event.branch_after_id,
        "corrects": event.corrects_id,
    }


def set_current_events(latest: dict) -> None:
    """Point members' ``current_event`` at the given events ({member id: event id}) in one statement
    (PostgreSQL) or one executemany (SQLite)."""
    if not latest:
        return
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::bigint)"] * len(latest))
            cursor.execute(
                f"UPDATE {table} AS m SET current_event_id = v.event_id FROM (VALUES {values}) AS v(member_id, event_id) "
                "WHERE m.id = v.member_id",
                [value for pair in latest.items() for value in pair],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET current_event_id = %s WHERE id = %s",
                               [(event_id, member_id) for member_id, event_id in latest.items()])


def member_register(*, actor, data: dict, registered_on: datetime.date, reported: bool = True, reason: str = "") -> Member:
    """Create a member and their first flow event (registered: inflow to Beijing): ``member_register_many``
    for one row (errors by field, as the form shows them)."""
    rows = [{"data": data, "registered_on": registered_on, "reported": reported, "reason": reason}]
    return member_register_many(actor=actor, rows=rows)[0]


@transaction.atomic
def member_update(*, actor, member: Member, expected_version: int, data: dict) -> Member:
    """Save changes to a member unless someone else saved first (optimistic concurrency)."""
    member = _lock_for_edit(actor, member)
    if member.version != expected_version:
        raise ConcurrentEditError(current=member)
    if data.get("branch") and data["branch"].pk != member.branch_id:
        raise ValidationError({"branch": [_("Use “move branch” to change the branch, so the move is in the flow history.")]})
    data = {**data, "branch": member.branch}
    cleaned = validate_member_data(data)
    _check_household(actor, cleaned.get("household"), member.committee_id, current_id=member.household_id)
    _check_duplicate(cleaned["id_number"], exclude_pk=member.pk)
    old = member_snapshot(member) | {"tags": sorted(t.name for t in member.tags.all())}
    for name in PLAIN_FIELDS:
        if name in cleaned:
            setattr(member, name, cleaned[name])
    member.name_pinyin = pinyin_full(member.name)
    member.name_initials = pinyin_initials(member.name)
    if cleaned["id_number"] != member.id_number or cleaned["phone"] != member.phone:
        set_personal_numbers(member, cleaned["id_number"], cleaned["phone"])
    member.version = F("version") + 1
    member.save()
    generations.roster_changed([member.committee_id])  # category, birth date … are counted on the home page
    member.refresh_from_db()
    if "tags" in cleaned:
        member.tags.set(cleaned["tags"])
    new = member_snapshot(member) | {"tags": sorted(t.name for t in member.tags.all())}
    changed_old = {k: v for k, v in old.items() if new.get(k) != v}
    changed_new = {k: new[k] for k in changed_old}
    if changed_new:
        audit_log(actor=actor, action="member.update", obj=member, old=changed_old, new=changed_new)
    return member


def _lock_for_edit(actor, member: Member) -> Member:
    locked = restrict(Member.objects.select_for_update(), actor, EDIT).filter(pk=member.pk).first()
    if locked is None:
        raise PermissionDenied(_("You may not change this member."))
    return locked


# --- flow events ------------------------------------------------------------------------------


def _latest_event(member: Member, before: FlowEvent | None = None) -> FlowEvent | None:
    """The newest event of the member's effective history (optionally: the one before ``before``)."""
    events = FlowEvent.objects.effective().filter(member=member)
    if before is not None:
        events = events.filter(effective_date__lte=before.effective_date).exclude(pk=before.pk).exclude(
            effective_date=before.effective_date, id__gt=before.pk
        )
    return events.order_by("-effective_date", "-id").first()


def validate_event_date(day: datetime.date, last: FlowEvent | None, committee=None, *, field: str = "effective_date",
                        label=None) -> None:
    """Check an event's date; errors go on ``field`` and name it with ``label`` (default: effective date)."""
    label = label or _("effective date")
    if day is None:
        raise ValidationError({field: [_("Enter the %(field)s.") % {"field": label}]})
    if day > timezone.localdate():
        raise ValidationError({field: [_("The %(field)s cannot be in the future.") % {"field": label}]})
    founded = founding_date(committee)
    if day < founded:
        raise ValidationError(
            {field: [_("The %(field)s cannot be before the committee was founded (%(d)s).")
                     % {"field": label, "d": founded.isoformat()}]}
        )
    if last is not None and day < last.effective_date:
        raise ValidationError(
            {field: [_("The %(field)s cannot be before the member's latest flow event (%(d)s); correct that event first if it is wrong.") % {"field": label, "d": last.effective_date.isoformat()}]}
        )


def _record(*, actor, member, kind, effective_date, reason="", details=None, status_before=None,
            lost_contact_cause=None, to_branch=None, corrects=None, status_after=None, branch_after=None):
    details = details or {}
    new_status = status_after if status_after is not None else flow.status_after(status_before, kind)
    if kind == EventKind.REGISTERED and not details.get("reported", True):
        new_status = Status.AWAITING
    event = FlowEvent.objects.create(
        member=member,
        kind=kind,
        effective_date=effective_date,
        recorded_by=actor,
        reason=reason,
        details=details,
        lost_contact_cause=lost_contact_cause,
        from_branch=member.branch if to_branch else None,
        corrects=corrects,
        status_after=new_status,
        branch_after=branch_after or to_branch or member.branch,
    )
    if kind != EventKind.CORRECTION:
        Member.objects.filter(pk=member.pk).update(current_event=event)
    # The roster projection follows every event and correction in this same transaction (rule 13).
    projection.project_members([member.pk])
    audit_log(actor=actor, action=f"flow.{kind}", obj=event, old={"status": status_before}, new=_event_values(event))
    return event


@transaction.atomic
def flow_record_event(*, actor, member: Member, kind: str, effective_date: datetime.date, reason: str = "",
                      lost_contact_cause: int | None = None, to_branch=None, details: dict | None = None) -> FlowEvent:
    """Record one flow event after checking it may follow the member's current status."""
    member = _lock_for_edit(actor, member)
    if kind in (EventKind.CORRECTION, EventKind.REGISTERED) and not member.events.exists():
        raise ValidationError({"kind": [_("Register the member first.")]})
    if kind == EventKind.CORRECTION:
        raise ValidationError({"kind": [_("To correct a mistake, use “Correct this event” on the member's latest event.")]})
    last = _latest_event(member)
    status = last.status_after if last else flow.NOT_REGISTERED
    why = flow.refusal(status, kind)
    if why:
        raise ValidationError({"kind": [why]})
    validate_event_date(effective_date, last, member.committee)
    details = dict(details or {})
    if kind == EventKind.LOST_CONTACT and not lost_contact_cause:
        raise ValidationError({"lost_contact_cause": [_("Choose the lost-contact cause.")]})
    if kind != EventKind.LOST_CONTACT:
        lost_contact_cause = None
    if kind == EventKind.MOVED_BRANCH:
        if to_branch is None:
            raise ValidationError({"to_branch": [_("Choose the branch the member moves to.")]})
        if to_branch.pk == member.branch_id:
            raise ValidationError({"to_branch": [_("The member is already in this branch.")]})
        if to_branch.committee_id != member.committee_id:
            raise ValidationError({"to_branch": [_("The branch belongs to another committee.")]})
    else:
        to_branch = None
    if kind in (EventKind.TRANSFERRED_OUT, EventKind.SUSPENDED, EventKind.DECEASED) and not reason.strip():
        raise ValidationError({"reason": [_("Enter the reason for this event.")]})
    if kind == EventKind.PROBATION_COMPLETED:
        if member.membership_type != MembershipType.PROBATIONARY:
            raise ValidationError({"kind": [_("This member is already a full member.")]})
        if effective_date < member.join_date:
            raise ValidationError({"effective_date": [_("Probation cannot end before the join date.")]})
        if effective_date > _add_years(member.join_date, 2):
            raise ValidationError({"effective_date": [_(
                "Probation lasts one year and can be extended once by at most one year; "
                "the full membership date is more than two years after the join date."
            )]})
    if kind == EventKind.REGISTERED:
        details.setdefault("reported", True)

    event = _record(actor=actor, member=member, kind=kind, effective_date=effective_date, reason=reason,
                    details=details, status_before=status, lost_contact_cause=lost_contact_cause, to_branch=to_branch)
    _apply_side_effects(member, event)
    return event


def _apply_side_effects(member: Member, event: FlowEvent) -> None:
    updates = {}
    if event.branch_after_id != member.branch_id:
        member.branch_id = event.branch_after_id
        member.party_group = None
        updates.update(branch_id=event.branch_after_id, party_group=None)
    if event.kind == EventKind.PROBATION_COMPLETED:
        updates.update(membership_type=MembershipType.FULL, full_membership_date=event.effective_date)
    if event.kind in flow.CONTACT_KINDS and (not member.last_contact_date or event.effective_date > member.last_contact_date):
        updates["last_contact_date"] = event.effective_date
    if updates:
        Member.objects.filter(pk=member.pk).update(version=F("version") + 1, **updates)


@transaction.atomic
def flow_correct_latest(*, actor, member: Member, event: FlowEvent, reason: str) -> FlowEvent:
    """Void the member's latest event with a correcting event; the state reverts to before it.

    The voided event and its correction stay in the timeline but leave the effective history, so
    the right event can then be recorded with its right date (also an earlier one), and as-of
    counts on every date ignore the mistake.
    """
    member = _lock_for_edit(actor, member)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say what was wrong with the event you are correcting.")]})
    if event.kind == EventKind.CORRECTION:
        raise ValidationError({"kind": [_("A correction cannot itself be corrected; record the right event instead.")]})
    latest = _latest_event(member)
    if latest is None or latest.pk != event.pk:
        raise ValidationError({"kind": [_("Only the latest event can be corrected; correct later events first.")]})
    previous = _latest_event(member, before=event)
    status = previous.status_after if previous else flow.NOT_REGISTERED
    branch_id = previous.branch_after_id if previous else (event.from_branch_id or event.branch_after_id)
    correction = _record(
        actor=actor,
        member=member,
        kind=EventKind.CORRECTION,
        effective_date=event.effective_date,
        reason=reason,
        details={"corrected_kind": event.kind, "corrected_date": event.effective_date.isoformat()},
        status_before=event.status_after,
        corrects=event,
        status_after=status,
        branch_after=Branch.objects.get(pk=branch_id),
    )
    updates = {"current_event": previous, "last_contact_date": last_contact_day(member)}
    if branch_id != member.branch_id:
        updates.update(branch_id=branch_id, party_group=None)
    if event.kind == EventKind.PROBATION_COMPLETED:
        updates.update(membership_type=MembershipType.PROBATIONARY, full_membership_date=None)
    Member.objects.filter(pk=member.pk).update(version=F("version") + 1, **updates)
    return correction


# --- notes and personal data -----------------------------------------------------------------


def member_contact_touch(*, member_ids, day: datetime.date) -> int:
    """Another app saw these members on ``day`` (attendance, a care visit …): move the last-contact date
    forward, never back. Returns how many records moved. Runs inside the caller's transaction."""
    members = Member.objects.filter(pk__in=list(member_ids))
    # Of the cached roster counts only the no-contact warning (``selectors.home_counts``) reads the date, and a
    # date moved forward changes it only for a member counted now (no contact since the limit) whom ``day``
    # takes past the limit: only their committees get a new generation. Each QR check-in thus neither empties
    # the committee's cached home counts nor queues on its generation row (one query whatever the number).
    limit = selectors.contact_overdue_limit()
    if day > limit:
        generations.roster_changed(members.filter(Q(last_contact_date__lte=limit) | Q(last_contact_date__isnull=True))
                                   .order_by().values_list("committee_id", flat=True).distinct())
    return members.filter(Q(last_contact_date__lt=day) | Q(last_contact_date__isnull=True)).update(
        last_contact_date=day)


def member_contact_recompute(*, member: Member) -> None:
    """After a contact was taken away (attendance removed, a visit voided): the latest contact of any kind."""
    Member.objects.filter(pk=member.pk).update(last_contact_date=last_contact_day(member))
    generations.roster_changed([member.committee_id])


def member_link_user(*, actor, member: Member, user) -> None:
    """Give a ledger record its login (the member's own account). The caller holds the row lock."""
    Member.objects.filter(pk=member.pk).update(user=user)
    audit_log(actor=actor, action="member.link_user", obj=member, new={"user": user.username})


def member_link_login(*, actor, user, record: Member, committee) -> None:
    """Link the login ``user`` to ``record`` of ``committee`` when the security admin gives the role
    "party member" (listens to ``accounts.hooks.link_record``, inside ``role_assign``'s transaction)."""
    member = Member.objects.select_for_update().get(pk=record.pk)
    if member.committee_id != committee.pk or member.user_id:
        raise ValidationError({"member": [_("This ledger record is in another committee or already has a login.")]})
    member_link_user(actor=actor, member=member, user=user)


@transaction.atomic
def note_add(*, actor, member: Member, noted_on: datetime.date, text: str, shared: bool = False) -> BehaviourNote:
    """A behaviour note; internal (staff only) unless ``shared`` with the member."""
    member = _lock_for_edit(actor, member)
    if not text.strip():
        raise ValidationError({"text": [_("Write the note.")]})
    if noted_on > timezone.localdate():
        raise ValidationError({"noted_on": [_("The date cannot be in the future.")]})
    note = BehaviourNote.objects.create(member=member, noted_on=noted_on, text=text.strip(), author=actor, shared=shared)
    audit_log(actor=actor, action="member.note_add", obj=member,
              new={"noted_on": noted_on, "text": note.text, "shared": note.shared})
    return note


@transaction.atomic
def household_create(*, actor, committee, name: str, address: str = "") -> Household:
    """A household groups members who live together (one newspaper per household, visits)."""
    name = name.strip()
    if not name:
        raise ValidationError({"new_household": [_("Enter a name for the household.")]})
    household = Household.objects.create(committee=committee, name=name, address=address.strip())
    audit_log(actor=actor, action="household.create", obj=household, new={"name": name, "address": household.address})
    return household


@transaction.atomic
def tag_get_or_create(*, actor, committee, name: str) -> Tag:
    name = name.strip()
    tag, created = Tag.objects.get_or_create(committee=committee, name=name)
    if created:
        audit_log(actor=actor, action="tag.create", obj=tag, new={"name": name})
    return tag


class RevealThrottled(PermissionDenied):
    """More full numbers asked for within the window than the policy allows (``REVEAL_LIMIT``)."""


def member_reveal(*, actor, member_id: int, field: str, ip_address=None, now: datetime.datetime | None = None) -> str:
    """Return a member's full ID number or phone and log that it was shown (or refused).

    A refusal stays in the audit log (it is committed before the exception is raised). Bulk reveal:
    once ``actor`` has been shown ``REVEAL_LIMIT`` full numbers within the last ``REVEAL_WINDOW_MINUTES``,
    further reveals are refused (audited as failures) and a security alert is raised for the security
    and audit administrators (one per burst). Counting and deciding happen under a lock on the actor's
    row (one transaction at a time on SQLite), so parallel reveals cannot slip past the limit.
    """
    member = restrict(Member.objects.all(), actor, REVEAL).filter(pk=member_id).first()
    if member is None or field not in ("id_number", "phone"):
        audit_log(actor=actor, action="member.reveal", object_type="members.member", object_id=str(member_id),
                  success=False, message=f"denied: {field}", ip_address=ip_address)
        raise PermissionDenied(_("You may not see this member's full personal data."))
    limit, minutes = settings.REVEAL_LIMIT, settings.REVEAL_WINDOW_MINUTES
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()  # one reveal per user at a time
        now = now or timezone.now()
        since = now - datetime.timedelta(minutes=minutes)
        reveals = AuditEntry.objects.filter(action="member.reveal", actor_username=actor.get_username(),
                                            actor=actor, timestamp__gte=since)
        shown = reveals.filter(success=True).count()
        throttled = shown >= limit
        if not throttled:
            audit_log(actor=actor, action="member.reveal", obj=member, new={"field": field}, ip_address=ip_address)
        else:
            audit_log(actor=actor, action="member.reveal", obj=member, new={"field": field}, success=False,
                      message=f"throttled: {shown} shown in {minutes} min (limit {limit})", ip_address=ip_address)
            raised = SecurityAlert.objects.filter(kind=AlertKind.REVEAL_BURST, actor=actor, created_at__gte=since)
            if not raised.exists():
                security_alert_raise(
                    actor=actor, kind=AlertKind.REVEAL_BURST, committee_id=member.committee_id, ip_address=ip_address,
                    message=_("%(user)s asked for more than %(limit)d full numbers within %(minutes)d minutes; "
                              "further reveals are refused until the window has passed.")
                    % {"user": actor.get_username(), "limit": limit, "minutes": minutes},
                    details={"shown": shown, "limit": limit, "window_minutes": minutes},
                )
    if throttled:
        raise RevealThrottled(
            _("You have been shown %(limit)d full numbers within %(minutes)d minutes, the most the security policy "
              "allows. Try again later; the security administrator has been told.") % {"limit": limit, "minutes": minutes}
        )
    return getattr(member, field)


# --- members' own correction requests (phone, address, work situation) ---------------------------

# Fields a member may ask to correct on their own record; the branch secretary approves.
CORRECTABLE_FIELDS = ["phone", "residence", "employment_status", "employer", "industry", "position"]


def member_current_data(member: Member) -> dict:
    """The member's current values as ``member_update`` data (personal numbers in full, tags as objects)."""
    data = {name: getattr(member, name) for name in PLAIN_FIELDS}
    data.update(id_number=member.id_number, phone=member.phone, tags=list(member.tags.all()))
    return data


def _clean_correction(member: Member, data: dict) -> tuple[dict, str]:
    """The plain changes and the new phone ("" when unchanged); raises ValidationError by field."""
    errors: dict[str, list[str]] = {}
    changes = {}
    phone = ""
    raw_phone = (data.get("phone") or "").strip()
    if raw_phone:
        try:
            phone = normalise_phone(raw_phone)
        except ValidationError as exc:
            errors["phone"] = [_("Mobile phone: %(problem)s") % {"problem": " ".join(exc.messages)}]
        else:
            if phone == member.phone:
                phone = ""
    for name in CORRECTABLE_FIELDS[1:]:
        if name not in data:
            continue
        value = (data.get(name) or "").strip()
        field = Member._meta.get_field(name)
        if name == "employment_status" and value and value not in EmploymentStatus.values:
            errors[name] = [_("Choose the employment status from the list.")]
            continue
        if len(value) > field.max_length:
            errors[name] = [_("%(field)s can be at most %(limit)d characters (now %(n)d).")
                            % {"field": field.verbose_name, "limit": field.max_length, "n": len(value)}]
            continue
        if value != (getattr(member, name) or ""):
            changes[name] = value
    if errors:
        raise ValidationError(errors)
    if not changes and not phone:
        raise ValidationError(_("Nothing differs from your record: change at least one field before sending."))
    return changes, phone


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if phone else ""


@transaction.atomic
def change_request_submit(*, actor, member: Member, data: dict, note: str = "") -> ChangeRequest:
    """A member asks to correct their own phone, address or work situation (one pending request at a time)."""
    member = Member.objects.select_for_update().filter(pk=member.pk, user=actor).first() if actor.pk else None
    if member is None:
        raise PermissionDenied(_("You can only ask to correct your own record."))
    if member.change_requests.filter(status=ChangeRequestStatus.PENDING).exists():
        raise ValidationError(_("You already have a correction request waiting for the branch secretary; "
                                "wait for the decision before sending another."))
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": [_("The explanation can be at most 500 characters.")]})
    changes, phone = _clean_correction(member, data)
    request = ChangeRequest.objects.create(
        member=member, requested_by=actor, changes=changes, phone_encrypted=crypto.encrypt(phone) if phone else "",
        note=note,
    )
    audit_log(actor=actor, action="member.change_request", obj=request,
              new=changes | ({"phone": _masked(phone)} if phone else {}) | {"member": member.pk})
    return request


def _lock_request(actor, change_request: ChangeRequest) -> ChangeRequest:
    locked = (
        restrict(ChangeRequest.objects.select_for_update(), actor, EDIT, committee="member__committee",
                 branch="member__branch", member="member")
        .filter(pk=change_request.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("You may not decide on this member's requests."))
    if locked.requested_by_id == actor.pk or locked.member.user_id == actor.pk:
        raise PermissionDenied(_("You cannot decide on your own correction request."))
    if locked.status != ChangeRequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided (%(status)s).")
                              % {"status": locked.get_status_display()})
    return locked


@transaction.atomic
def change_request_approve(*, actor, change_request: ChangeRequest) -> ChangeRequest:
    """Approve: the change goes through ``member_update`` (validation, version, audit) in the same transaction."""
    request = _lock_request(actor, change_request)
    member = _lock_for_edit(actor, request.member)
    data = member_current_data(member) | request.changes
    if request.phone_encrypted:
        data["phone"] = request.new_phone
    member_update(actor=actor, member=member, expected_version=member.version, data=data)
    request.status = ChangeRequestStatus.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(actor=actor, action="member.change_request_approve", obj=request,
              old={"status": ChangeRequestStatus.PENDING}, new={"status": request.status, "member": member.pk})
    return request


@transaction.atomic
def change_request_reject(*, actor, change_request: ChangeRequest, reason: str) -> ChangeRequest:
    """Reject with a reason the member reads on their page; the record is not changed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the request is rejected; the member will read it.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("The reason can be at most 500 characters.")]})
    request = _lock_request(actor, change_request)
    request.status = ChangeRequestStatus.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_log(actor=actor, action="member.change_request_reject", obj=request,
              old={"status": ChangeRequestStatus.PENDING}, new={"status": request.status, "reason": reason})
    return request
