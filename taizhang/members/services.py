"""Writes to the member ledger. Each service owns its transaction and writes its audit entry."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.alerts import security_alert_raise
from taizhang.core.audit import audit_log
from taizhang.core.chinese import normalise_phone, parse_citizen_id, pinyin_full, pinyin_initials
from taizhang.core.errors import ConcurrentEditError
from taizhang.core.models import AlertKind, AuditEntry, SecurityAlert
from taizhang.core.permissions import EDIT, REVEAL, can_in_branch, restrict
from taizhang.members import flow, projection
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


@transaction.atomic
def member_register(*, actor, data: dict, registered_on: datetime.date, reported: bool = True, reason: str = "") -> Member:
    """Create a member and their first flow event (registered: inflow to Beijing)."""
    branch = data["branch"]
    if not can_in_branch(actor, branch, EDIT):
        raise PermissionDenied(_("You may not add members to this branch."))
    cleaned = validate_member_data(data)
    _check_household(actor, cleaned.get("household"), branch.committee_id)
    validate_event_date(registered_on, last=None, committee=branch.committee, field="registered_on",
                        label=_("registration date"))
    _check_duplicate(cleaned["id_number"])
    member = Member(committee_id=branch.committee_id)
    for name in PLAIN_FIELDS:
        if name in cleaned:
            setattr(member, name, cleaned[name])
    member.name_pinyin = pinyin_full(member.name)
    member.name_initials = pinyin_initials(member.name)
    set_personal_numbers(member, cleaned["id_number"], cleaned["phone"])
    member.last_contact_date = registered_on  # registration is contact (flow.CONTACT_KINDS)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        if Member.objects.filter(id_number_hash=member.id_number_hash).exists():
            raise ValidationError({"id_number": [_("A member with this citizen ID number is already in the ledger.")]}) from exc
        raise
    if "tags" in cleaned:
        member.tags.set(cleaned["tags"])
    audit_log(actor=actor, action="member.create", obj=member, new=member_snapshot(member) | {"tags": [t.name for t in member.tags.all()]})
    _record(
        actor=actor,
        member=member,
        kind=EventKind.REGISTERED,
        effective_date=registered_on,
        reason=reason,
        details={"reported": reported},
        status_before=flow.NOT_REGISTERED,
    )
    return member


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
    audit_log(
        actor=actor,
        action=f"flow.{kind}",
        obj=event,
        old={"status": status_before},
        new={
            "status": new_status,
            "effective_date": effective_date,
            "reason": reason,
            "details": details,
            "lost_contact_cause": lost_contact_cause,
            "branch": event.branch_after_id,
            "corrects": corrects.pk if corrects else None,
        },
    )
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
    return Member.objects.filter(pk__in=list(member_ids)).filter(
        Q(last_contact_date__lt=day) | Q(last_contact_date__isnull=True)
    ).update(last_contact_date=day)


def member_contact_recompute(*, member: Member) -> None:
    """After a contact was taken away (attendance removed, a visit voided): the latest contact of any kind."""
    Member.objects.filter(pk=member.pk).update(last_contact_date=last_contact_day(member))


def member_link_user(*, actor, member: Member, user) -> None:
    """Give a ledger record its login (the member's own account). The caller holds the row lock."""
    Member.objects.filter(pk=member.pk).update(user=user)
    audit_log(actor=actor, action="member.link_user", obj=member, new={"user": user.username})


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
