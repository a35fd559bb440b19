"""Writes for organisational life: activity types, activities, sign-ups and attendance.

Each service owns its transaction and writes its audit entry (ARCHITECTURE.md rules 1 and 3).

Who may do what:
* activity types: the committee's managers (committee or system administrator); ``None`` is the
  operator running a command;
* activities: EDIT over the organising branch (``can_in_branch``), or over the whole committee for
  committee-organised ones;
* sign-ups: the member themself, or staff with EDIT over the member's branch (acting for, say, an
  elderly member without a phone);
* attendance: staff with EDIT over the member's branch; a member may check themself in by QR code
  and ask for leave for themself.

``now`` arguments exist for tests and for back-filling historical records (the demo); views never
pass them.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from taizhang.activities import hooks, selectors, tally_projection
from taizhang.activities.models import (
    STANDARD_ACTIVITY_TYPES,
    AbsenceReason,
    Activity,
    ActivityType,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    CheckInMethod,
    MadeBy,
    SignUp,
    SignUpStatus,
)
from taizhang.core import generations
from taizhang.core.audit import audit_entry, audit_log, audit_log_many
from taizhang.core.permissions import EDIT, can_in_branch, committee_wide, has_capability, restrict
from taizhang.members.audience import clean_audience
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.members.selectors import annotate_status
from taizhang.members.services import founding_date, member_contact_recompute, member_contact_touch
from taizhang.organisation.models import Branch, PartyGroup


def _is_user(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False))


def _local(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


# --- activity types ---------------------------------------------------------------------------------


def _check_manage_types(actor, committee) -> None:
    if actor is None:
        return
    if not has_capability(actor, "organisation.manage", committee):
        raise PermissionDenied(_("Your role cannot change the activity types of this committee."))


def _type_snapshot(t: ActivityType) -> dict:
    return {
        "committee": t.committee_id,
        "name": t.name,
        "counts_as_org_life": t.counts_as_org_life,
        "expected_per_year": t.expected_per_year,
        "sort_order": t.sort_order,
        "active": t.active,
    }


def _clean_type_data(committee, data: dict, exclude_pk=None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    if "name" in data:
        name = (data.get("name") or "").strip()
        cleaned["name"] = name
        max_length = ActivityType._meta.get_field("name").max_length
        if not name:
            errors["name"] = [_("Enter the name of the activity type.")]
        elif len(name) > max_length:
            errors["name"] = [_("The name is too long (at most %(n)d characters).") % {"n": max_length}]
        elif ActivityType.objects.filter(committee=committee, name=name).exclude(pk=exclude_pk).exists():
            errors["name"] = [_("This committee already has an activity type with this name.")]
    for name in ("expected_per_year", "sort_order"):
        if name in data:
            value = data[name]
            if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366:
                errors[name] = [_("Enter a whole number between 0 and 366.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def activity_types_seed(*, actor, committee) -> list[ActivityType]:
    """Create the standard activity types (``STANDARD_ACTIVITY_TYPES``) a committee lacks.

    Idempotent: types that already exist by name are left as the committee edited them.
    ``organisation.services.committee_create`` runs it (through ``seed_new_committee``) for every
    new committee.
    """
    _check_manage_types(actor, committee)
    return _seed_types(actor, committee)


def seed_new_committee(*, committee, actor) -> None:
    """Committee set-up step: a new committee starts with the standard types. The actor created the
    committee (system admin), which is enough; no committee role is needed yet."""
    _seed_types(actor, committee)


def _seed_types(actor, committee) -> list[ActivityType]:
    existing = set(ActivityType.objects.filter(committee=committee).values_list("name", flat=True))
    created = []
    for order, (name, org_life, per_year) in enumerate(STANDARD_ACTIVITY_TYPES, start=1):
        if name in existing:
            continue
        activity_type = ActivityType.objects.create(
            committee=committee, name=name, counts_as_org_life=org_life, expected_per_year=per_year,
            sort_order=order * 10,
        )
        audit_log(actor=actor, action="activity_type.create", obj=activity_type, new=_type_snapshot(activity_type))
        created.append(activity_type)
    return created


@transaction.atomic
def activity_type_create(*, actor, committee, name: str, counts_as_org_life: bool = False,
                         expected_per_year: int = 0, sort_order: int = 0) -> ActivityType:
    _check_manage_types(actor, committee)
    cleaned = _clean_type_data(committee, {"name": name, "expected_per_year": expected_per_year,
                                           "sort_order": sort_order})
    try:
        with transaction.atomic():
            activity_type = ActivityType.objects.create(
                committee=committee, name=cleaned["name"], counts_as_org_life=bool(counts_as_org_life),
                expected_per_year=cleaned["expected_per_year"], sort_order=cleaned["sort_order"],
            )
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This committee already has an activity type with this name.")]}) from exc
    audit_log(actor=actor, action="activity_type.create", obj=activity_type, new=_type_snapshot(activity_type))
    return activity_type


TYPE_FIELDS = ["name", "counts_as_org_life", "expected_per_year", "sort_order", "active"]


@transaction.atomic
def activity_type_update(*, actor, activity_type: ActivityType, data: dict) -> ActivityType:
    """Change a type's name, org-life flag, expected frequency, order or whether it is in use."""
    activity_type = (
        ActivityType.objects.select_for_update(of=("self",)).select_related("committee").get(pk=activity_type.pk)
    )
    _check_manage_types(actor, activity_type.committee)
    unknown = set(data) - set(TYPE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    cleaned = _clean_type_data(activity_type.committee, data, exclude_pk=activity_type.pk)
    old = _type_snapshot(activity_type)
    for name, value in cleaned.items():
        setattr(activity_type, name, bool(value) if name in ("counts_as_org_life", "active") else value)
    try:
        with transaction.atomic():
            activity_type.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This committee already has an activity type with this name.")]}) from exc
    new = _type_snapshot(activity_type)
    changed = {k for k in new if new[k] != old[k]}
    if changed:
        generations.changed(generations.ACTIVITIES, [activity_type.committee_id])  # names in the tallies by type
        audit_log(actor=actor, action="activity_type.update", obj=activity_type,
                  old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    return activity_type


# --- activities ---------------------------------------------------------------------------------------


def _may_organise(actor, committee, branch) -> bool:
    """Committee-organised activities need EDIT over the whole committee; branch ones over the branch."""
    if not _is_user(actor):
        return False
    if branch is None:
        return committee_wide(actor, committee, EDIT)
    return can_in_branch(actor, branch, EDIT)


def _check_organiser(actor, activity: Activity) -> None:
    if not _may_organise(actor, activity.committee, activity.organiser_branch):
        raise PermissionDenied(_("You may not change this activity."))


def _aware(value, name: str, errors: dict):
    if value is None:
        errors.setdefault(name, []).append(_("Enter the date and time."))
        return None
    if not isinstance(value, datetime.datetime):
        errors.setdefault(name, []).append(_("Enter a valid date and time."))
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # a naive time is local time (Asia/Shanghai)
    return value


def _clean_text(data: dict, cleaned: dict, name: str, errors: dict, *, required: bool = False) -> None:
    if name not in data:
        return
    value = (data.get(name) or "").strip()
    max_length = Activity._meta.get_field(name).max_length
    if required and not value:
        errors.setdefault(name, []).append(_("This field is required."))
    elif max_length and len(value) > max_length:
        errors.setdefault(name, []).append(_("The text is too long (at most %(n)d characters).") % {"n": max_length})
    cleaned[name] = value


def _clean_activity_data(committee, data: dict, *, current: Activity | None = None) -> dict:
    """Check the editable fields of an activity (those present in ``data``); return them cleaned."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    _clean_text(data, cleaned, "title", errors, required=True)
    _clean_text(data, cleaned, "place", errors)
    _clean_text(data, cleaned, "notes", errors)

    if "activity_type" in data:
        activity_type = data["activity_type"]
        if activity_type is None:
            errors["activity_type"] = [_("Choose the activity type.")]
        elif activity_type.committee_id != committee.pk:
            errors["activity_type"] = [_("The activity type belongs to another committee.")]
        elif not activity_type.active and (current is None or current.activity_type_id != activity_type.pk):
            errors["activity_type"] = [_("This activity type is no longer in use.")]
        cleaned["activity_type"] = activity_type

    if "starts_at" in data or "ends_at" in data:
        starts = _aware(data.get("starts_at", current.starts_at if current else None), "starts_at", errors)
        ends = _aware(data.get("ends_at", current.ends_at if current else None), "ends_at", errors)
        if starts is not None:
            founded = founding_date(committee)
            if timezone.localdate(starts) < founded:
                errors.setdefault("starts_at", []).append(
                    _("The activity cannot be before the committee was founded (%(d)s).") % {"d": founded.isoformat()}
                )
        if starts is not None and ends is not None and ends <= starts:
            errors.setdefault("ends_at", []).append(_("The activity must end after it starts."))
        cleaned["starts_at"], cleaned["ends_at"] = starts, ends

    if "capacity" in data:
        capacity = data["capacity"]
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1):
            errors["capacity"] = [_("The capacity must be a whole number of at least 1 (leave it empty for no limit).")]
        cleaned["capacity"] = capacity

    if errors:
        raise ValidationError(errors)
    return cleaned


def _activity_snapshot(activity: Activity, picked=None) -> dict:
    if picked is None:
        picked = sorted(activity.picked_members.values_list("pk", flat=True)) if activity.pk else []
    return {
        "committee": activity.committee_id,
        "organiser_branch": activity.organiser_branch_id,
        "activity_type": activity.activity_type.name,
        "title": activity.title,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "place": activity.place,
        "audience_kind": activity.audience_kind,
        "audience_branch": activity.audience_branch_id,
        "audience_group": activity.audience_group_id,
        "picked_members": picked,
        "capacity": activity.capacity,
        "notes": activity.notes,
        "cancelled": activity.cancelled,
    }


@transaction.atomic
def activity_create(*, actor, committee, activity_type, title: str, starts_at: datetime.datetime,
                    ends_at: datetime.datetime, place: str = "", organiser_branch: Branch | None = None,
                    audience_kind: str = AudienceKind.COMMITTEE, audience_branch: Branch | None = None,
                    audience_group: PartyGroup | None = None, picked_members=(), capacity: int | None = None,
                    notes: str = "") -> Activity:
    """Plan (or record after the fact) an activity of ``committee``, organised by ``organiser_branch``
    (None: the committee), for the whole committee, a branch, a party group or picked members."""
    if organiser_branch is not None and organiser_branch.committee_id != committee.pk:
        raise ValidationError({"organiser_branch": [_("The branch belongs to another committee.")]})
    if not _may_organise(actor, committee, organiser_branch):
        raise PermissionDenied(_("You may not organise activities for this branch or committee."))
    cleaned = _clean_activity_data(committee, {
        "activity_type": activity_type, "title": title, "starts_at": starts_at, "ends_at": ends_at,
        "place": place, "capacity": capacity, "notes": notes,
    })
    audience_branch, audience_group, picked = clean_audience(
        actor=actor, committee=committee, kind=audience_kind, branch=audience_branch, group=audience_group,
        picked=picked_members, kinds=Activity.AUDIENCE_KINDS, organiser_branch=organiser_branch,
    )
    activity = Activity.objects.create(
        committee=committee, organiser_branch=organiser_branch, audience_kind=audience_kind,
        audience_branch=audience_branch, audience_group=audience_group, created_by=actor, **cleaned,
    )
    if picked:
        activity.picked_members.set(picked)
    generations.changed(generations.ACTIVITIES, [committee.pk])
    audit_log(actor=actor, action="activity.create", obj=activity,
              new=_activity_snapshot(activity, picked=sorted(m.pk for m in picked)))
    tally_projection.activity_changed(activity)
    return activity


ACTIVITY_FIELDS = ["activity_type", "title", "starts_at", "ends_at", "place", "capacity", "notes"]


def _lock_activity(activity: Activity) -> Activity:
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("committee", "organiser_branch", "activity_type")
        .get(pk=activity.pk)
    )


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict) -> Activity:
    """Change an activity's type, title, times, place, capacity or notes (the audience is fixed).

    Times cannot change once attendance is recorded; the capacity cannot drop below the members
    already signed up; a higher capacity moves people up from the waiting list in order.
    """
    activity = _lock_activity(activity)
    _check_organiser(actor, activity)
    unknown = set(data) - set(ACTIVITY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    if activity.cancelled:
        raise ValidationError({"activity": [_("This activity has been cancelled.")]})
    cleaned = _clean_activity_data(activity.committee, data, current=activity)
    errors: dict[str, list[str]] = {}
    times_change = cleaned.get("starts_at", activity.starts_at) != activity.starts_at or cleaned.get(
        "ends_at", activity.ends_at) != activity.ends_at
    if times_change and activity.attendances.exists():
        errors["starts_at"] = [_("Attendance has been recorded, so the time can no longer be changed.")]
    if "capacity" in cleaned and cleaned["capacity"] is not None:
        taken = activity.signups.filter(status=SignUpStatus.SIGNED_UP).count()
        if cleaned["capacity"] < taken:
            errors["capacity"] = [_("%(n)d members are already signed up; the capacity cannot be lower.") % {"n": taken}]
    if errors:
        raise ValidationError(errors)
    old, old_day = _activity_snapshot(activity), activity.date
    for name, value in cleaned.items():
        setattr(activity, name, value)
    activity.save()
    if times_change:
        tally_projection.activity_changed(activity, old_day)
    new = _activity_snapshot(activity)
    changed = {k for k in new if new[k] != old[k]}
    if changed:
        generations.changed(generations.ACTIVITIES, [activity.committee_id])
        audit_log(actor=actor, action="activity.update", obj=activity,
                  old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    if "capacity" in changed:
        _promote_waitlisted(activity, actor, timezone.now())
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity, reason: str) -> Activity:
    """Call an activity off. It stays in the ledger, marked cancelled, out of counts and sign-up."""
    activity = _lock_activity(activity)
    _check_organiser(actor, activity)
    reason = (reason or "").strip()
    if activity.cancelled:
        raise ValidationError({"activity": [_("This activity has already been cancelled.")]})
    if not reason:
        raise ValidationError({"cancel_reason": [_("Say why the activity is cancelled.")]})
    if len(reason) > Activity._meta.get_field("cancel_reason").max_length:
        raise ValidationError({"cancel_reason": [_("The text is too long (at most %(n)d characters).")
                                                 % {"n": Activity._meta.get_field("cancel_reason").max_length}]})
    if activity.attendances.filter(status=AttendanceStatus.PRESENT).exists():
        raise ValidationError({"activity": [_("Members have attended this activity; it cannot be cancelled.")]})
    activity.cancelled = True
    activity.cancelled_at = timezone.now()
    activity.cancel_reason = reason
    activity.save(update_fields=["cancelled", "cancelled_at", "cancel_reason"])
    audit_log(actor=actor, action="activity.cancel", obj=activity, old={"cancelled": False},
              new={"cancelled": True, "reason": reason})
    tally_projection.activity_changed(activity)
    # recorded leave/absence of a called-off activity no longer counts (points reverse their entries)
    _attendance_changed(activity=activity, actor=actor,
                        member_ids=activity.attendances.values_list("member_id", flat=True))
    return activity


# --- sign-ups -------------------------------------------------------------------------------------------


def _acting_for(actor, member: Member) -> str:
    """SELF when the actor is the member; STAFF when the actor may edit the member; else refused."""
    if not _is_user(actor):
        raise PermissionDenied(_("Log in first."))
    if member.user_id is not None and member.user_id == actor.pk:
        return MadeBy.SELF
    if restrict(Member.objects.filter(pk=member.pk), actor, EDIT).exists():
        return MadeBy.STAFF
    raise PermissionDenied(_("You may sign up or cancel only for yourself or for members of your branch."))


@transaction.atomic
def signup_create(*, actor, activity: Activity, member: Member, now: datetime.datetime | None = None) -> SignUp:
    """Sign ``member`` up; when the activity is full they go on the waiting list.

    The activity row is locked so two people cannot take the last place at once.
    """
    now = now or timezone.now()
    made_by = _acting_for(actor, member)
    activity = _lock_activity(activity)
    if activity.cancelled:
        raise ValidationError({"activity": [_("This activity has been cancelled.")]})
    if now >= activity.starts_at:
        raise ValidationError({"activity": [_("The activity has started; sign-up is closed.")]})
    if member.committee_id != activity.committee_id or not selectors.is_invited(activity, member,
                                                                                 timezone.localdate(now)):
        raise ValidationError({"member": [_("%(name)s is not invited to this activity.") % {"name": member.name}]})
    live = SignUp.objects.filter(activity=activity, member=member).exclude(status=SignUpStatus.CANCELLED).first()
    if live is not None:
        raise ValidationError({"member": [
            _("%(name)s is already signed up.") % {"name": member.name} if live.status == SignUpStatus.SIGNED_UP
            else _("%(name)s is already on the waiting list.") % {"name": member.name}
        ]})
    taken = SignUp.objects.filter(activity=activity, status=SignUpStatus.SIGNED_UP).count()
    status = SignUpStatus.SIGNED_UP if activity.capacity is None or taken < activity.capacity else SignUpStatus.WAITLISTED
    try:
        with transaction.atomic():
            signup = SignUp.objects.create(activity=activity, member=member, status=status, made_by=made_by,
                                           recorded_by=actor, signed_up_at=now)
    except IntegrityError as exc:  # a concurrent sign-up of the same member
        raise ValidationError({"member": [_("%(name)s is already signed up.") % {"name": member.name}]}) from exc
    audit_log(actor=actor, action="signup.create", obj=signup,
              new={"activity": activity.pk, "member": member.pk, "status": status, "made_by": made_by})
    return signup


@transaction.atomic
def signup_cancel(*, actor, signup: SignUp, now: datetime.datetime | None = None) -> SignUp:
    """Cancel a sign-up (or leave the waiting list). A freed place goes to the first on the waiting list."""
    now = now or timezone.now()
    activity = _lock_activity(signup.activity)
    signup = SignUp.objects.select_for_update(of=("self",)).select_related("member").get(pk=signup.pk)
    _acting_for(actor, signup.member)
    if signup.status == SignUpStatus.CANCELLED:
        raise ValidationError({"signup": [_("This sign-up has already been cancelled.")]})
    if now >= activity.starts_at:
        raise ValidationError({"signup": [_("The activity has started, so the sign-up can no longer be cancelled; staff record the absence instead.")]})
    old_status = signup.status
    signup.status = SignUpStatus.CANCELLED
    signup.cancelled_at = now
    signup.cancelled_by = actor
    signup.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    audit_log(actor=actor, action="signup.cancel", obj=signup, old={"status": old_status},
              new={"status": SignUpStatus.CANCELLED})
    if old_status == SignUpStatus.SIGNED_UP and not activity.cancelled:
        _promote_waitlisted(activity, actor, now)
    return signup


def _promote_waitlisted(activity: Activity, actor, now: datetime.datetime) -> list[SignUp]:
    """Move people from the waiting list, first come first served, while there are places."""
    taken = SignUp.objects.filter(activity=activity, status=SignUpStatus.SIGNED_UP).count()
    waiting = SignUp.objects.filter(activity=activity, status=SignUpStatus.WAITLISTED).order_by("signed_up_at", "id")
    free = len(waiting) if activity.capacity is None else max(activity.capacity - taken, 0)
    promoted = []
    for signup in list(waiting[:free]):
        signup.status = SignUpStatus.SIGNED_UP
        signup.promoted_at = now
        signup.save(update_fields=["status", "promoted_at"])
        audit_log(actor=actor, action="signup.promote", obj=signup, old={"status": SignUpStatus.WAITLISTED},
                  new={"status": SignUpStatus.SIGNED_UP})
        promoted.append(signup)
    return promoted


# --- attendance -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceEntry:
    """One line of an attendance sheet."""

    member: Member
    status: str
    absence_reason: str = ""
    note: str = ""


@dataclass
class CheckInResult:
    attendance: Attendance
    already: bool  # the member had already checked in: nothing was written
    message: str


def _attendance_snapshot(attendance: Attendance) -> dict:
    return {
        "activity": attendance.activity_id,
        "member": attendance.member_id,
        "status": attendance.status,
        "absence_reason": attendance.absence_reason,
        "note": attendance.note,
        "checked_in_at": attendance.checked_in_at,
        "method": attendance.method,
        "walk_in": attendance.walk_in,
    }


def _check_open(activity: Activity) -> None:
    if activity.cancelled:
        raise ValidationError({"activity": [_("This activity has been cancelled.")]})


def _window(activity: Activity) -> tuple[datetime.datetime, datetime.datetime]:
    """Check-in opens CHECKIN_BEFORE_MINUTES before the start and (for QR) closes CHECKIN_AFTER_MINUTES after."""
    return (
        activity.starts_at - datetime.timedelta(minutes=settings.CHECKIN_BEFORE_MINUTES),
        activity.starts_at + datetime.timedelta(minutes=settings.CHECKIN_AFTER_MINUTES),
    )


def checkin_window(activity: Activity) -> tuple[datetime.datetime, datetime.datetime]:
    """When QR check-in opens and closes (for the pages that show it)."""
    return _window(activity)


def _check_on_roster(activity: Activity, members: list) -> None:
    """Only members on the committee's roster on the activity's date can have attendance."""
    ids = {m.pk for m in members}
    on_roster = set(
        annotate_status(Member.objects.filter(pk__in=ids, committee_id=activity.committee_id), activity.date)
        .filter(status__in=ROSTER_STATUSES)
        .values_list("pk", flat=True)
    )
    missing = [m.name for m in members if m.pk not in on_roster]
    if missing:
        raise ValidationError({"member": [
            _("Not on the committee's roster on %(day)s: %(names)s.") % {"day": activity.date.isoformat(),
                                                                         "names": "、".join(missing)}
        ]})


def _require_edit(actor, members: list) -> None:
    if not _is_user(actor):
        raise PermissionDenied(_("Log in first."))
    ids = {m.pk for m in members}
    allowed = set(restrict(Member.objects.filter(pk__in=ids), actor, EDIT).values_list("pk", flat=True))
    outside = [m.name for m in members if m.pk not in allowed]
    if outside:
        raise PermissionDenied(
            _("You may not record attendance for members outside your branch: %(names)s.") % {"names": "、".join(outside)}
        )


def _walk_ins(activity: Activity, members: list) -> set:
    """The pks of ``members`` who are not in the activity's audience on its date (非应到人员)."""
    ids = {m.pk for m in members}
    expected = set(selectors.audience_members(activity, activity.date).filter(pk__in=ids).values_list("pk", flat=True))
    return ids - expected


def _entry_errors(activity: Activity, entry: AttendanceEntry, now: datetime.datetime) -> dict:
    """Check one sheet line: status, reason, note and the timing rules."""
    errors: dict[str, list[str]] = {}
    name = entry.member.name
    opens, _closes = _window(activity)
    if entry.status not in AttendanceStatus.values:
        errors["status"] = [_("%(name)s: choose present, absent or on leave.") % {"name": name}]
        return errors
    if entry.absence_reason and entry.absence_reason not in AbsenceReason.values:
        errors["absence_reason"] = [_("%(name)s: choose a reason from the list.") % {"name": name}]
    if entry.status == AttendanceStatus.PRESENT:
        if entry.absence_reason:
            errors["absence_reason"] = [_("%(name)s: a member who is present has no reason for absence.") % {"name": name}]
        if now < opens:
            errors["status"] = [_("%(name)s: attendance can be recorded from %(time)s, when check-in opens.")
                                % {"name": name, "time": _local(opens)}]
    elif entry.status == AttendanceStatus.LEAVE:
        if now >= activity.starts_at:
            errors["status"] = [_("%(name)s: leave must be asked for before the activity starts (%(time)s); "
                                  "record the absence with its reason instead.")
                                % {"name": name, "time": _local(activity.starts_at)}]
        if not entry.absence_reason:
            errors["absence_reason"] = [_("%(name)s: give the reason for the leave.") % {"name": name}]
    elif entry.status == AttendanceStatus.ABSENT and now < activity.starts_at:
        errors["status"] = [_("%(name)s: an absence can be recorded only after the activity starts; "
                              "before it, record leave.") % {"name": name}]
    if entry.absence_reason == AbsenceReason.OTHER and not entry.note.strip():
        errors["note"] = [_("%(name)s: say what the other reason is.") % {"name": name}]
    if len(entry.note) > Attendance._meta.get_field("note").max_length:
        errors["note"] = [_("%(name)s: the remark is too long (at most %(n)d characters).") % {"name": name, "n": 200}]
    return errors


def _attendance_changed(*, activity, member_ids, actor) -> None:
    """After attendance of ``activity`` was written (or the activity called off), in the write's transaction: the
    committee's activities get a new generation (the cached counts) and ``hooks.attendance_changed`` tells the
    listeners (points, the stored tallies)."""
    generations.changed(generations.ACTIVITIES, [activity.committee_id])
    hooks.attendance_changed.send(activity=activity, member_ids=member_ids, actor=actor)


@transaction.atomic
def attendance_record_many(*, actor, activity: Activity, entries, now: datetime.datetime | None = None) -> list[Attendance]:
    """Record an attendance sheet: present, absent (with reason) or on leave for several members.

    Staff need EDIT over every member on the sheet; a member may record only their own leave.
    Idempotent: a line that repeats what is already recorded is accepted and changes nothing; a line
    that contradicts it is refused (use ``attendance_correct``). All lines are written or none.
    """
    now = now or timezone.now()
    entries = [AttendanceEntry(e.member, e.status, e.absence_reason or "", (e.note or "").strip()) for e in entries]
    if not entries:
        return []
    activity = Activity.objects.select_related("committee").get(pk=activity.pk)
    members = [e.member for e in entries]
    if len({m.pk for m in members}) != len(members):
        raise ValidationError({"member": [_("A member appears twice on the attendance sheet.")]})
    own_leave = (len(entries) == 1 and entries[0].status == AttendanceStatus.LEAVE and _is_user(actor)
                 and members[0].user_id == actor.pk)
    if not own_leave:
        _require_edit(actor, members)
    _check_open(activity)
    errors: dict[str, list[str]] = {}
    for entry in entries:
        for name, messages in _entry_errors(activity, entry, now).items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _check_on_roster(activity, members)

    existing = {a.member_id: a for a in Attendance.objects.select_for_update().filter(
        activity=activity, member_id__in=[m.pk for m in members])}
    walk_ins = _walk_ins(activity, [m for m in members if m.pk not in existing])
    new_rows = []
    for entry in entries:
        row = existing.get(entry.member.pk)
        if row is not None:
            if (row.status, row.absence_reason) != (entry.status, entry.absence_reason):
                errors.setdefault("status", []).append(
                    _("%(name)s's attendance is already recorded as “%(status)s”; correct it instead.")
                    % {"name": entry.member.name, "status": row.get_status_display()}
                )
            continue
        live = entry.status == AttendanceStatus.PRESENT and now <= activity.ends_at
        new_rows.append(Attendance(
            activity=activity, member=entry.member, status=entry.status, absence_reason=entry.absence_reason,
            note=entry.note, checked_in_at=now if live else None, method=CheckInMethod.STAFF, recorded_by=actor,
            walk_in=entry.member.pk in walk_ins,
        ))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            created = Attendance.objects.bulk_create(new_rows)
    except IntegrityError as exc:  # someone recorded the same member at the same moment
        raise ValidationError({"member": [_("Someone else has just recorded attendance for these members; "
                                            "reload and check.")]}) from exc
    # one chained bulk write for the whole sheet (a sheet of 100 names was 100 audit writes)
    audit_log_many(audit_entry(actor=actor, action="attendance.record", obj=row, new=_attendance_snapshot(row))
                   for row in created)
    present = [row.member_id for row in created if row.status == AttendanceStatus.PRESENT]
    if present:
        member_contact_touch(member_ids=present, day=activity.date)
    _attendance_changed(activity=activity, member_ids=[row.member_id for row in created], actor=actor)
    by_member = existing | {row.member_id: row for row in created}
    return [by_member[m.pk] for m in members]


def attendance_record(*, actor, activity: Activity, member: Member, status: str, absence_reason: str = "",
                      note: str = "", now: datetime.datetime | None = None) -> Attendance:
    """Record one member's attendance (see ``attendance_record_many``)."""
    entry = AttendanceEntry(member, status, absence_reason, note)
    return attendance_record_many(actor=actor, activity=activity, entries=[entry], now=now)[0]


@transaction.atomic
def attendance_check_in(*, actor, activity: Activity, member: Member, method: str = CheckInMethod.QR,
                        now: datetime.datetime | None = None) -> CheckInResult:
    """Check a member in as present. Idempotent: a second check-in writes nothing and says so.

    QR: the member themself, from CHECKIN_BEFORE_MINUTES before to CHECKIN_AFTER_MINUTES after the
    start. Staff: anyone with EDIT over the member, from the opening of check-in onwards.
    A recorded leave or absence becomes present (the old values go to the audit log).
    """
    now = now or timezone.now()
    if method == CheckInMethod.QR:
        if not (_is_user(actor) and member.user_id is not None and member.user_id == actor.pk):
            raise PermissionDenied(_("Scan the code with your own account to check yourself in."))
    elif method == CheckInMethod.STAFF:
        _require_edit(actor, [member])
    else:
        raise ValidationError({"method": [_("Unknown check-in method.")]})
    activity = Activity.objects.get(pk=activity.pk)
    _check_open(activity)
    opens, closes = _window(activity)
    if now < opens:
        raise ValidationError({"checked_in_at": [
            _("Check-in opens %(n)d minutes before the start, at %(time)s.")
            % {"n": settings.CHECKIN_BEFORE_MINUTES, "time": _local(opens)}
        ]})
    if method == CheckInMethod.QR and now > closes:
        raise ValidationError({"checked_in_at": [
            _("Check-in closed %(n)d minutes after the start, at %(time)s; ask your branch secretary to record "
              "your attendance.") % {"n": settings.CHECKIN_AFTER_MINUTES, "time": _local(closes)}
        ]})
    _check_on_roster(activity, [member])

    row = Attendance.objects.select_for_update().filter(activity=activity, member=member).first()
    if row is None:
        try:
            with transaction.atomic():
                row = Attendance.objects.create(
                    activity=activity, member=member, status=AttendanceStatus.PRESENT, checked_in_at=now,
                    method=method, recorded_by=actor, walk_in=bool(_walk_ins(activity, [member])),
                )
        except IntegrityError:  # a simultaneous second check-in of the same member
            row = Attendance.objects.get(activity=activity, member=member)
        else:
            audit_log(actor=actor, action="attendance.check_in", obj=row, new=_attendance_snapshot(row))
            member_contact_touch(member_ids=[member.pk], day=activity.date)
            _attendance_changed(activity=activity, member_ids=[member.pk], actor=actor)
            return CheckInResult(row, already=False, message=_("Checked in."))
    if row.status == AttendanceStatus.PRESENT:
        when = _local(row.checked_in_at) if row.checked_in_at else activity.date.isoformat()
        return CheckInResult(row, already=True, message=_("Already checked in (%(time)s).") % {"time": when})
    old = _attendance_snapshot(row)
    row.status, row.absence_reason, row.checked_in_at, row.method = AttendanceStatus.PRESENT, "", now, method
    row.recorded_by = actor
    row.save()
    audit_log(actor=actor, action="attendance.check_in", obj=row, old=old, new=_attendance_snapshot(row))
    member_contact_touch(member_ids=[member.pk], day=activity.date)
    _attendance_changed(activity=activity, member_ids=[member.pk], actor=actor)
    return CheckInResult(row, already=False, message=_("Checked in."))


@transaction.atomic
def attendance_correct(*, actor, attendance: Attendance, status: str, absence_reason: str = "", note: str = "",
                       reason: str) -> Attendance:
    """Correct recorded attendance after the fact (staff only); old and new values go to the audit log.

    The timing rules of recording (leave before the start …) do not apply: a correction says what
    really happened, and why the record was wrong (``reason``).
    """
    attendance = (
        Attendance.objects.select_for_update(of=("self",)).select_related("activity", "member").get(pk=attendance.pk)
    )
    _require_edit(actor, [attendance.member])
    reason = (reason or "").strip()
    absence_reason = absence_reason or ""
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the attendance record is being corrected.")]
    entry = AttendanceEntry(attendance.member, status, absence_reason, note)
    for name, messages in _entry_errors(attendance.activity, entry, now=attendance.activity.ends_at).items():
        if name != "status" or status not in AttendanceStatus.values:
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    old = _attendance_snapshot(attendance)
    was_present = attendance.status == AttendanceStatus.PRESENT
    attendance.status, attendance.absence_reason, attendance.note = status, absence_reason, note
    if status != AttendanceStatus.PRESENT:
        attendance.checked_in_at = None
    new = _attendance_snapshot(attendance)
    if new == old:
        return attendance
    attendance.save()
    changed = {k for k in new if new[k] != old[k]}
    audit_log(actor=actor, action="attendance.correct", obj=attendance, old={k: old[k] for k in changed},
              new={k: new[k] for k in changed} | {"reason": reason}, message=reason)
    if status == AttendanceStatus.PRESENT:
        member_contact_touch(member_ids=[attendance.member_id], day=attendance.activity.date)
    elif was_present:
        member_contact_recompute(member=attendance.member)
    _attendance_changed(activity=attendance.activity, member_ids=[attendance.member_id], actor=actor)
    return attendance


@transaction.atomic
def attendance_all_present(*, actor, activity: Activity, members, now: datetime.datetime | None = None) -> list[Attendance]:
    """全部到: record as present every one of ``members`` who has no attendance yet, in one transaction.

    ``members`` are the ones the staff member confirmed (the unmarked rows of their tick list); anyone
    recorded meanwhile (a QR check-in, a colleague's tick) is left as recorded, never overwritten. The
    rules are those of ``attendance_record_many`` (EDIT over every member, check-in open, on the roster);
    besides the one entry per row it writes one ``attendance.all_present`` entry for the batch.
    """
    members = list(members)
    if not members:
        raise ValidationError({"member": [_("Everyone on the list already has an attendance record.")]})
    Activity.objects.select_for_update().filter(pk=activity.pk).first()  # one batch at a time per activity
    marked = set(Attendance.objects.filter(activity=activity, member__in=[m.pk for m in members])
                 .values_list("member_id", flat=True))
    todo = [m for m in members if m.pk not in marked]
    if not todo:
        raise ValidationError({"member": [_("Everyone on the list already has an attendance record.")]})
    rows = attendance_record_many(actor=actor, activity=activity, now=now,
                                  entries=[AttendanceEntry(m, AttendanceStatus.PRESENT) for m in todo])
    audit_log(actor=actor, action="attendance.all_present", obj=activity,
              new={"members": [m.pk for m in todo], "count": len(todo), "skipped_already_recorded": len(marked)})
    return rows
