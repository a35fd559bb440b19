"""Writes of the points ledger. Every change is audited in the same transaction.

Entries are never edited or deleted: when what a source (an attendance row, a read study item, a study
record) should be worth differs from what its entries net to, the live entries are reversed by
correcting entries and the new value is appended (``_reconcile``). Running the computation again
writes nothing (idempotent).

Caps bound the sum a member gets from one rule (all its versions) per day and per calendar year. They
are applied in the order sources are computed; correcting an earlier source later does not re-open
room for other sources already computed (recompute with ``points_recompute`` to re-apply).
"""

import datetime
import decimal
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.models import Activity, ActivityType, Attendance, AttendanceStatus
from taizhang.core.audit import audit_log
from taizhang.core.permissions import EDIT, allows, has_capability
from taizhang.members.models import Category, Member
from taizhang.points.models import (
    EntrySource,
    PointEntry,
    PointRule,
    PointsSettings,
    RecordStatus,
    RuleAction,
    StudyKind,
    StudyRecord,
)

ATTENDANCE_ACTIONS = (RuleAction.ATTENDED, RuleAction.ABSENT)
RULE_FIELDS = ("name", "action", "activity_type", "points", "daily_cap", "yearly_cap", "categories", "min_age",
               "max_age", "needs_approval", "effective_from", "effective_to")


def _is_user(actor) -> bool:
    return getattr(actor, "is_authenticated", False)


def _check_manage(actor, committee) -> None:
    if actor is None:  # the operator (commands, demo)
        return
    if not has_capability(actor, "points.manage", committee):
        raise PermissionDenied(_("Your role cannot change the points rules of this committee."))


# --- settings and rules ---------------------------------------------------------------------------------


def points_settings(committee) -> PointsSettings:
    """The committee's settings (the defaults when none were saved yet; not written)."""
    found = PointsSettings.objects.filter(committee=committee).first()
    return found or PointsSettings(committee=committee)


@transaction.atomic
def points_settings_update(*, actor, committee, threshold: int, annual_baseline: int,
                           ranking_enabled: bool) -> PointsSettings:
    _check_manage(actor, committee)
    errors = {}
    if threshold is None or threshold < 0 or threshold > 10000:
        errors["threshold"] = [_("The threshold must be a whole number between 0 and 10000.")]
    if annual_baseline is None or annual_baseline < 0 or annual_baseline > 10000:
        errors["annual_baseline"] = [_("The annual baseline must be a whole number between 0 and 10000.")]
    if errors:
        raise ValidationError(errors)
    current, _created = PointsSettings.objects.select_for_update().get_or_create(committee=committee)
    old = {"threshold": current.threshold, "annual_baseline": current.annual_baseline,
           "ranking_enabled": current.ranking_enabled}
    current.threshold, current.annual_baseline, current.ranking_enabled = threshold, annual_baseline, ranking_enabled
    current.save()
    new = {"threshold": threshold, "annual_baseline": annual_baseline, "ranking_enabled": ranking_enabled}
    if old != new or _created:
        audit_log(actor=actor, action="points.settings_update", obj=current, old=old, new=new)
    return current


def _rule_snapshot(rule: PointRule) -> dict:
    return {name: getattr(rule, "activity_type_id" if name == "activity_type" else name) for name in RULE_FIELDS} | {
        "version": rule.version}


def _clean_rule(committee, data: dict) -> dict:
    """Check a rule's values; returns them cleaned or raises ValidationError naming the fields."""
    errors: dict[str, list] = {}
    cleaned = {name: data.get(name) for name in RULE_FIELDS}
    cleaned["name"] = (cleaned["name"] or "").strip()
    if not cleaned["name"]:
        errors["name"] = [_("Enter the rule's name.")]
    if cleaned["action"] not in RuleAction.values:
        errors["action"] = [_("Choose what the rule gives points for.")]
    elif cleaned["action"] == RuleAction.MANUAL:
        errors["action"] = [_("Manual adjustments are not a rule of their own: record them on the member's points "
                              "page.")]
    points = cleaned["points"]
    if points is None or not isinstance(points, int) or abs(points) > 1000:
        errors["points"] = [_("The points must be a whole number between -1000 and 1000.")]
    elif points == 0:
        errors["points"] = [_("A rule with 0 points would do nothing; enter the points.")]
    activity_type = cleaned["activity_type"]
    if activity_type is not None:
        if cleaned["action"] not in ATTENDANCE_ACTIONS:
            errors["activity_type"] = [_("Only rules about attending or missing activities can name an activity "
                                         "type.")]
        elif activity_type.committee_id != committee.pk:
            errors["activity_type"] = [_("This activity type belongs to another committee.")]
    for cap in ("daily_cap", "yearly_cap"):
        if cleaned[cap] is not None and cleaned[cap] <= 0:
            errors[cap] = [_("A cap must be a positive number; leave it empty for no cap.")]
    categories = list(cleaned["categories"] or [])
    if any(c not in Category.values for c in categories):
        errors["categories"] = [_("Unknown member category.")]
    cleaned["categories"] = sorted(set(categories))
    low, high = cleaned["min_age"], cleaned["max_age"]
    if low is not None and high is not None and high < low:
        errors["max_age"] = [_("The upper age must not be below the lower age.")]
    if cleaned["effective_from"] is None:
        errors["effective_from"] = [_("Enter the day the rule takes effect.")]
    elif cleaned["effective_to"] is not None and cleaned["effective_to"] < cleaned["effective_from"]:
        errors["effective_to"] = [_("The rule cannot end before it takes effect.")]
    cleaned["needs_approval"] = bool(cleaned["needs_approval"])
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def point_rule_create(*, actor, committee, data: dict) -> PointRule:
    """A new rule (version 1)."""
    _check_manage(actor, committee)
    cleaned = _clean_rule(committee, data)
    rule = PointRule.objects.create(committee=committee, created_by=actor if _is_user(actor) else None, **cleaned)
    audit_log(actor=actor, action="points.rule_create", obj=rule, new=_rule_snapshot(rule))
    return rule


@transaction.atomic
def point_rule_revise(*, actor, rule: PointRule, data: dict) -> PointRule:
    """Change a rule from ``data["effective_from"]`` on: the current version is closed the day before and
    version N+1 replaces it. Entries already made keep pointing at the version that produced them."""
    current = PointRule.objects.select_for_update().select_related("committee").get(pk=rule.pk)
    _check_manage(actor, current.committee)
    if current.is_manual:
        raise ValidationError({"action": [_("The manual adjustment rule cannot be revised.")]})
    if hasattr(current, "replaced_by") or PointRule.objects.filter(replaces=current).exists():
        raise ValidationError({"effective_from": [_("This version has already been replaced; revise the newest "
                                                    "version.")]})
    cleaned = _clean_rule(current.committee, data)
    if cleaned["action"] != current.action:
        raise ValidationError({"action": [_("A revision cannot change what the rule gives points for; create a "
                                            "new rule instead.")]})
    start = cleaned["effective_from"]
    if start <= current.effective_from:
        raise ValidationError({"effective_from": [
            _("The new version must take effect after %(day)s, when the current version took effect.")
            % {"day": current.effective_from.isoformat()}]})
    if current.effective_to is not None and start > current.effective_to + datetime.timedelta(days=1):
        raise ValidationError({"effective_from": [
            _("The current version ended on %(day)s; the new version must follow it without a gap.")
            % {"day": current.effective_to.isoformat()}]})
    old = _rule_snapshot(current)
    closed_on = start - datetime.timedelta(days=1)
    PointRule.objects.filter(pk=current.pk).update(effective_to=closed_on)
    new_rule = PointRule.objects.create(
        committee=current.committee, family=current.family, version=current.version + 1, replaces=current,
        created_by=actor if _is_user(actor) else None, **cleaned,
    )
    audit_log(actor=actor, action="points.rule_revise", obj=new_rule, old=old,
              new=_rule_snapshot(new_rule) | {"previous_closed_on": closed_on})
    return new_rule


@transaction.atomic
def point_rule_close(*, actor, rule: PointRule, effective_to: datetime.date) -> PointRule:
    """End a rule: it gives no points after ``effective_to``."""
    current = PointRule.objects.select_for_update().select_related("committee").get(pk=rule.pk)
    _check_manage(actor, current.committee)
    if current.is_manual:
        raise ValidationError({"effective_to": [_("The manual adjustment rule cannot be closed.")]})
    if PointRule.objects.filter(replaces=current).exists():
        raise ValidationError({"effective_to": [_("This version has already been replaced by a newer version; "
                                                  "close the newest version.")]})
    if current.effective_to is not None:
        raise ValidationError({"effective_to": [_("This rule already ended on %(day)s.")
                                                % {"day": current.effective_to.isoformat()}]})
    if effective_to is None:
        raise ValidationError({"effective_to": [_("Enter the last day the rule gives points.")]})
    if effective_to < current.effective_from:
        raise ValidationError({"effective_to": [
            _("The last day cannot be before %(day)s, when this version took effect.")
            % {"day": current.effective_from.isoformat()}]})
    old = {"effective_to": current.effective_to}
    PointRule.objects.filter(pk=current.pk).update(effective_to=effective_to)
    current.effective_to = effective_to
    audit_log(actor=actor, action="points.rule_close", obj=current, old=old, new={"effective_to": effective_to})
    return current


# Default rules (DOMAIN_RULES "Practice in the field"): (name, action, activity type name, points,
# daily cap, yearly cap, max age, needs approval). The negative rules exempt members aged 70 and over.
DEFAULT_RULES = [
    ("参加组织生活", RuleAction.ATTENDED, None, 1, None, None, None, False),
    ("无故缺席组织生活", RuleAction.ABSENT, None, -2, None, None, 69, False),
    ("无故缺席集体学习", RuleAction.ABSENT, "集体学习", -3, None, None, 69, False),
    ("阅读学习资料", RuleAction.STUDY_READ, None, 1, 2, None, None, False),
    ("学习记录审核通过", RuleAction.STUDY_RECORD, None, 2, None, 20, None, True),
    ("志愿服务时长", RuleAction.VOLUNTEER_HOURS, None, 1, None, 30, None, True),
]


@transaction.atomic
def point_rules_seed(*, actor, committee, effective_from: datetime.date | None = None,
                     check: bool = True) -> list[PointRule]:
    """The default rules and settings for a committee (skips rules of the same name already there)."""
    if check:
        _check_manage(actor, committee)
    start = effective_from or getattr(committee, "founded_on", None) or timezone.localdate()
    PointsSettings.objects.get_or_create(committee=committee)  # the defaults: settings POINTS_THRESHOLD / _BASELINE
    existing = set(PointRule.objects.filter(committee=committee).values_list("name", flat=True))
    types = {t.name: t for t in ActivityType.objects.filter(committee=committee)}
    created = []
    for name, action, type_name, points, daily, yearly, max_age, approval in DEFAULT_RULES:
        if name in existing or (type_name and type_name not in types):
            continue
        rule = PointRule.objects.create(
            committee=committee, name=name, action=action, activity_type=types.get(type_name) if type_name else None,
            points=points, daily_cap=daily, yearly_cap=yearly, max_age=max_age, needs_approval=approval,
            effective_from=start, created_by=actor if _is_user(actor) else None,
        )
        created.append(rule)
    if created:
        audit_log(actor=actor, action="points.rules_seed", obj=committee,
                  new={"rules": [_rule_snapshot(r) | {"id": r.pk} for r in created]})
    return created


def seed_new_committee(*, committee, actor) -> None:
    """Committee set-up step: default rules and settings. Runs inside ``committee_create``, which has
    already checked the actor (a system administrator holds no points role), so no second check."""
    point_rules_seed(actor=actor, committee=committee, check=False)


# --- computing entries --------------------------------------------------------------------------------


@dataclass
class _Desired:
    rule: PointRule
    points: int
    subject: str
    subject_type: str = ""


@dataclass
class _Tally:
    """Running sums per (rule family, member, day) and (family, member, year) for the caps."""

    by_day: dict = field(default_factory=lambda: defaultdict(int))
    by_year: dict = field(default_factory=lambda: defaultdict(int))
    loaded: set = field(default_factory=set)

    def load(self, families: set, member_ids, years: set) -> None:
        want = {(f, y) for f in families for y in years} - self.loaded
        if not want or not member_ids:
            return
        rows = (
            PointEntry.objects.filter(rule__family__in={f for f, _y in want}, member_id__in=list(member_ids),
                                      day__year__in={y for _f, y in want})
            .values_list("rule__family", "member_id", "day").annotate(total=Sum("points")).order_by()
        )
        for family, member_id, day, total in rows:
            if (family, day.year) in want:
                self.add(family, member_id, day, total)
        self.loaded |= want

    def add(self, family, member_id, day, points) -> None:
        self.by_day[(family, member_id, day)] += points
        self.by_year[(family, member_id, day.year)] += points

    def capped(self, rule: PointRule, member_id, day, points: int) -> int:
        sign = 1 if points >= 0 else -1
        amount = abs(points)
        if rule.daily_cap is not None:
            amount = min(amount, max(0, rule.daily_cap - abs(self.by_day[(rule.family, member_id, day)])))
        if rule.yearly_cap is not None:
            amount = min(amount, max(0, rule.yearly_cap - abs(self.by_year[(rule.family, member_id, day.year)])))
        return sign * amount


def _rules_of(committee_id, actions) -> list[PointRule]:
    return list(PointRule.objects.filter(committee_id=committee_id, action__in=list(actions)).order_by("id"))


def _rule_for(rules, action, day, activity_type=None) -> PointRule | None:
    """The rule version in force on ``day`` for ``action`` (a type-specific attendance rule wins)."""
    candidates = [r for r in rules if r.action == action and r.in_force_on(day)]
    if activity_type is not None:
        specific = [r for r in candidates if r.activity_type_id == activity_type.pk]
        if specific:
            return specific[0]
        if not activity_type.counts_as_org_life:
            return None
        candidates = [r for r in candidates if r.activity_type_id is None]
    return candidates[0] if candidates else None


class _Batch:
    """Compares what a set of sources should be worth with their live entries and appends corrections."""

    def __init__(self, *, committee_id, actor, tally: _Tally | None = None):
        self.committee_id = committee_id
        self.actor = actor if _is_user(actor) else None
        self.tally = tally or _Tally()
        self.new_entries: list[PointEntry] = []
        self.reversed = 0

    def live_entries(self, keys, **narrow) -> dict:
        """{source key: [entries not reversed and not corrections]}; ``narrow`` adds indexed filters."""
        live = defaultdict(list)
        rows = (PointEntry.objects.filter(source_key__in=list(keys), corrects__isnull=True,
                                          corrected_by__isnull=True, **narrow).select_related("rule").order_by("id"))
        for entry in rows:
            live[entry.source_key].append(entry)
        return live

    def reconcile(self, *, key, member_id, day, live: list, desired_fn, source, **refs) -> None:
        """``desired_fn()`` → _Desired | None, computed after this source's own entries leave the tally."""
        for entry in live:
            if entry.rule is not None:
                self.tally.add(entry.rule.family, member_id, entry.day, -entry.points)
        desired = desired_fn()
        if desired is not None:
            desired.points = self.tally.capped(desired.rule, member_id, day, desired.points)
            if desired.points == 0:
                desired = None
        unchanged = (
            (desired is None and not live)
            or (desired is not None and len(live) == 1 and live[0].rule_id == desired.rule.pk
                and live[0].points == desired.points and live[0].day == day)
        )
        if unchanged:
            for entry in live:
                if entry.rule is not None:
                    self.tally.add(entry.rule.family, member_id, entry.day, entry.points)
            return
        for entry in live:
            self.new_entries.append(PointEntry(
                committee_id=self.committee_id, member_id=member_id, rule=entry.rule, points=-entry.points,
                day=entry.day, source=entry.source, source_key=key, activity_id=entry.activity_id,
                study_record_id=entry.study_record_id, corrects=entry, created_by=self.actor,
                subject=entry.subject, subject_type=entry.subject_type,
            ))
            self.reversed += 1
        if desired is not None:
            self.tally.add(desired.rule.family, member_id, day, desired.points)
            self.new_entries.append(PointEntry(
                committee_id=self.committee_id, member_id=member_id, rule=desired.rule, points=desired.points,
                day=day, source=source, source_key=key, subject=desired.subject[:300],
                subject_type=desired.subject_type[:50], created_by=self.actor, **refs,
            ))

    def save(self) -> list[PointEntry]:
        if not self.new_entries:
            return []
        return PointEntry.objects.bulk_create(self.new_entries, batch_size=1000)


def attendance_key(activity_id, member_id) -> str:
    return f"attendance:{activity_id}:{member_id}"


def _compute_attendance(batch: _Batch, rules, activity: Activity, member_ids, *, members=None) -> None:
    day = activity.date
    rows = dict(Attendance.objects.filter(activity=activity, member_id__in=list(member_ids))
                .values_list("member_id", "status"))
    if members is None:
        members = {m.pk: m for m in Member.objects.filter(pk__in=list(member_ids))
                   .only("pk", "category", "birth_date")}
    keys = {m: attendance_key(activity.pk, m) for m in member_ids}
    live = batch.live_entries(keys.values(), activity_id=activity.pk)
    capped = {r.family for r in rules if r.daily_cap is not None or r.yearly_cap is not None}
    batch.tally.load(capped, member_ids, {day.year})
    for member_id in member_ids:
        status = rows.get(member_id)
        member = members.get(member_id)

        def desired(status=status, member=member):
            if member is None or activity.cancelled or status not in (AttendanceStatus.PRESENT,
                                                                      AttendanceStatus.ABSENT):
                return None
            action = RuleAction.ATTENDED if status == AttendanceStatus.PRESENT else RuleAction.ABSENT
            rule = _rule_for(rules, action, day, activity.activity_type)
            if rule is None or not rule.applies_to(member, day):
                return None
            return _Desired(rule, rule.points, activity.title, activity.activity_type.name)

        batch.reconcile(key=keys[member_id], member_id=member_id, day=day, live=live.get(keys[member_id], []),
                        desired_fn=desired, source=EntrySource.ATTENDANCE, activity=activity)


def _audit_batch(actor, obj, batch: _Batch, created, action: str) -> None:
    if created:
        audit_log(actor=actor, action=action, obj=obj, new={
            "entries": [{"id": e.pk, "member": e.member_id, "points": e.points, "rule": e.rule_id,
                         "corrects": e.corrects_id} for e in created][:500],
            "added": len(created) - batch.reversed, "reversed": batch.reversed,
        })


@transaction.atomic
def entries_for_attendance(*, activity, member_ids, actor) -> list[PointEntry]:
    """Attendance listener: bring the entries of these members at ``activity`` in line with attendance."""
    rules = _rules_of(activity.committee_id, ATTENDANCE_ACTIONS)
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return []
    if not rules and not PointEntry.objects.filter(
            source_key__in=[attendance_key(activity.pk, m) for m in member_ids]).exists():
        return []
    activity = Activity.objects.select_related("activity_type").get(pk=activity.pk)
    batch = _Batch(committee_id=activity.committee_id, actor=actor)
    _compute_attendance(batch, rules, activity, member_ids)
    created = batch.save()
    _audit_batch(actor, activity, batch, created, "points.entries_from_attendance")
    return created


def points_recompute(*, committee, date_from=None, date_to=None, actor=None) -> dict:
    """Recompute attendance entries of a committee's activities (optionally in [date_from, date_to]).

    Idempotent. One transaction per activity, oldest first, so the caps fill in date order.
    """
    activities = Activity.objects.filter(committee=committee).select_related("activity_type").order_by(
        "starts_at", "id")
    if date_from:
        activities = activities.filter(starts_at__date__gte=date_from)
    if date_to:
        activities = activities.filter(starts_at__date__lte=date_to)
    rules = _rules_of(committee.pk, ATTENDANCE_ACTIONS)
    members = {m.pk: m for m in Member.objects.filter(committee=committee).only("pk", "category", "birth_date")}
    attended = defaultdict(set)
    for activity_id, member_id in Attendance.objects.filter(activity__in=activities).values_list(
            "activity_id", "member_id"):
        attended[activity_id].add(member_id)
    for key in PointEntry.objects.filter(committee=committee, source=EntrySource.ATTENDANCE).values_list(
            "source_key", flat=True).distinct():
        _kind, activity_id, member_id = key.split(":")
        attended[int(activity_id)].add(int(member_id))
    tally = _Tally()
    added = reversed_ = 0
    for activity in activities:
        member_ids = sorted(attended.get(activity.pk, ()))
        if not member_ids:
            continue
        with transaction.atomic():
            batch = _Batch(committee_id=committee.pk, actor=actor, tally=tally)
            _compute_attendance(batch, rules, activity, member_ids, members=members)
            created = batch.save()
            _audit_batch(actor, activity, batch, created, "points.entries_recompute")
            added += len(created) - batch.reversed
            reversed_ += batch.reversed
    return {"added": added, "reversed": reversed_}


@transaction.atomic
def entries_for_study_read(*, item, member, actor) -> list[PointEntry]:
    """Study-read listener: points for reading a study item (once per item and member, within the caps)."""
    rules = _rules_of(item.committee_id, [RuleAction.STUDY_READ])
    if not rules:
        return []
    day = timezone.localdate()  # the day it was read: the daily cap is about reading
    key = f"study_read:{item.pk}:{member.pk}"
    batch = _Batch(committee_id=item.committee_id, actor=actor)
    live = batch.live_entries([key])
    if live.get(key):
        return []
    batch.tally.load({r.family for r in rules}, [member.pk], {day.year})

    def desired():
        rule = _rule_for(rules, RuleAction.STUDY_READ, day)
        if rule is None or not rule.applies_to(member, day):
            return None
        return _Desired(rule, rule.points, item.title)

    batch.reconcile(key=key, member_id=member.pk, day=day, live=[], desired_fn=desired, source=EntrySource.STUDY_READ)
    created = batch.save()
    _audit_batch(actor, member, batch, created, "points.entries_from_study_read")
    return created


# --- study records ------------------------------------------------------------------------------------


def may_submit_for(actor, member: Member) -> bool:
    return member.user_id == getattr(actor, "pk", None) or allows(
        actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id)


def approval_refusal(actor, record: StudyRecord) -> str | None:
    """Why ``actor`` may not decide on ``record`` (None when they may)."""
    member = record.member
    if record.requested_by_id == actor.pk or member.user_id == actor.pk:
        return _("You cannot approve or reject your own study record; another approver has to decide.")
    if not has_capability(actor, "points.approve", member.committee_id) or not allows(
            actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
        return _("Only the secretary of the member's branch or the committee can decide on this study record.")
    return None


@transaction.atomic
def validate_study_record(*, day, kind, title, hours, skip=()):
    """Check a study record's fields all at once; return (title, hours) normalised. ``skip``: fields the form
    already found unreadable (not checked again). Raises one ValidationError with every field's problem."""
    errors = {}
    title = (title or "").strip()
    if "title" in skip:
        pass
    elif not title:
        errors["title"] = [_("Enter what you studied or did.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is too long (at most 200 characters).")]
    if "day" in skip:
        pass
    elif day is None:
        errors["day"] = [_("Enter the date.")]
    elif day > timezone.localdate():
        errors["day"] = [_("The date cannot be in the future.")]
    if "kind" not in skip and kind not in StudyKind.values:
        errors["kind"] = [_("Choose the kind of record.")]
    if hours is not None and "hours" not in skip:
        try:
            hours = decimal.Decimal(str(hours)).quantize(decimal.Decimal("0.1"))
        except decimal.InvalidOperation:
            errors["hours"] = [_("Enter the hours as a number, for example 1.5.")]
            hours = None
        else:
            if not (decimal.Decimal("0") < hours <= decimal.Decimal("24")):
                errors["hours"] = [_("The hours must be more than 0 and at most 24 a day.")]
    if kind == StudyKind.VOLUNTEER and hours is None and "hours" not in errors and "hours" not in skip:
        errors["hours"] = [_("Enter how many hours of volunteer service.")]
    if errors:
        raise ValidationError(errors)
    return title, hours


def study_record_submit(*, actor, member: Member, day: datetime.date, kind: str, title: str, content: str = "",
                        hours=None) -> StudyRecord:
    """A member submits their own study or volunteer hours (staff may submit on a member's behalf)."""
    if not may_submit_for(actor, member):
        raise PermissionDenied(_("You can only submit study records for yourself or members you look after."))
    title, hours = validate_study_record(day=day, kind=kind, title=title, hours=hours)
    record = StudyRecord.objects.create(member=member, day=day, kind=kind, title=title,
                                        content=(content or "").strip(), hours=hours, requested_by=actor)
    audit_log(actor=actor, action="points.study_record_submit", obj=record,
              new={"member": member.pk, "day": day, "kind": kind, "title": title, "hours": hours})
    return record


def _record_points(record: StudyRecord, rule: PointRule) -> int:
    if rule.action == RuleAction.VOLUNTEER_HOURS:
        value = (decimal.Decimal(rule.points) * (record.hours or 0)).to_integral_value(decimal.ROUND_HALF_UP)
        return int(value)
    return rule.points


def _lock_pending(record: StudyRecord) -> StudyRecord:
    locked = StudyRecord.objects.select_for_update().select_related("member").get(pk=record.pk)
    if locked.status != RecordStatus.PENDING:
        raise ValidationError({"status": [_("This study record has already been decided (%(status)s).")
                                          % {"status": locked.get_status_display()}]})
    return locked


@transaction.atomic
def study_record_approve(*, actor, record: StudyRecord, note: str = "") -> StudyRecord:
    """Approve a pending record and add its points (rule in force on the record's date, within caps)."""
    record = _lock_pending(record)
    refusal = approval_refusal(actor, record)
    if refusal:
        raise PermissionDenied(refusal)
    now = timezone.now()
    StudyRecord.objects.filter(pk=record.pk).update(status=RecordStatus.APPROVED, decided_by=actor, decided_at=now,
                                                   decision_note=(note or "").strip()[:300])
    record.refresh_from_db()
    action = RuleAction.VOLUNTEER_HOURS if record.kind == StudyKind.VOLUNTEER else RuleAction.STUDY_RECORD
    rules = _rules_of(record.member.committee_id, [action])
    batch = _Batch(committee_id=record.member.committee_id, actor=actor)
    batch.tally.load({r.family for r in rules}, [record.member_id], {record.day.year})

    def desired():
        rule = _rule_for(rules, action, record.day)
        if rule is None or not rule.applies_to(record.member, record.day):
            return None
        return _Desired(rule, _record_points(record, rule), record.title)

    key = f"study_record:{record.pk}"
    batch.reconcile(key=key, member_id=record.member_id, day=record.day, live=[], desired_fn=desired,
                    source=EntrySource.STUDY_RECORD, study_record=record)
    created = batch.save()
    audit_log(actor=actor, action="points.study_record_approve", obj=record,
              old={"status": RecordStatus.PENDING},
              new={"status": RecordStatus.APPROVED, "entries": [(e.pk, e.points) for e in created]})
    return record


@transaction.atomic
def study_record_reject(*, actor, record: StudyRecord, note: str) -> StudyRecord:
    record = _lock_pending(record)
    refusal = approval_refusal(actor, record)
    if refusal:
        raise PermissionDenied(refusal)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say why the record is rejected; the member will read it.")]})
    StudyRecord.objects.filter(pk=record.pk).update(status=RecordStatus.REJECTED, decided_by=actor,
                                                   decided_at=timezone.now(), decision_note=note[:300])
    record.refresh_from_db()
    audit_log(actor=actor, action="points.study_record_reject", obj=record, old={"status": RecordStatus.PENDING},
              new={"status": RecordStatus.REJECTED, "note": note})
    return record


# --- manual adjustments ---------------------------------------------------------------------------------

MANUAL_RULE_NAME = "手工调整"  # data, like the names of the default rules
MANUAL_RULE_START = datetime.date(2000, 1, 1)
MAX_ADJUSTMENT = 1000


def may_adjust(actor, member: Member) -> bool:
    """May ``actor`` record or reverse manual adjustments for ``member``? A committee points manager, or an
    approver (branch secretary) who may edit the member; never for their own record."""
    if not _is_user(actor) or member.user_id == actor.pk:
        return False
    if not allows(actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
        return False
    return has_capability(actor, "points.manage", member.committee_id) or has_capability(
        actor, "points.approve", member.committee_id)


def _check_adjust(actor, member: Member) -> None:
    if _is_user(actor) and member.user_id == actor.pk:
        raise PermissionDenied(_("You cannot adjust your own points; another secretary has to do it."))
    if not may_adjust(actor, member):
        raise PermissionDenied(_("Your role cannot adjust the points of this member."))


def manual_rule(*, committee, actor) -> PointRule:
    """The committee's "manual adjustment" rule (created on first use, audited). Every manual entry points at
    it, so every entry still records a rule version; its entries carry their own points and reason."""
    rule = (PointRule.objects.filter(committee=committee, action=RuleAction.MANUAL)
            .order_by("-version", "id").first())
    if rule is None:
        rule = PointRule.objects.create(committee=committee, name=MANUAL_RULE_NAME, action=RuleAction.MANUAL,
                                        points=0, effective_from=MANUAL_RULE_START,
                                        created_by=actor if _is_user(actor) else None)
        audit_log(actor=actor, action="points.rule_create", obj=rule, new=_rule_snapshot(rule))
    return rule


@transaction.atomic
def point_adjustment_create(*, actor, member: Member, points, day: datetime.date, reason: str) -> PointEntry:
    """A one-off manual entry for a member (e.g. 表彰：优秀共产党员 +5, or an entry that was missed)."""
    _check_adjust(actor, member)
    errors = {}
    if points is None or not isinstance(points, int) or abs(points) > MAX_ADJUSTMENT:
        errors["points"] = [_("The points must be a whole number between -%(n)d and %(n)d.") % {"n": MAX_ADJUSTMENT}]
    elif points == 0:
        errors["points"] = [_("An adjustment of 0 points would change nothing; enter the points (negative to "
                              "deduct).")]
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = [_("Enter the reason for the adjustment; the member reads it.")]
    elif len(reason) > 300:
        errors["reason"] = [_("The reason is too long (at most 300 characters).")]
    if day is None:
        errors["day"] = [_("Enter the date.")]
    elif day > timezone.localdate():
        errors["day"] = [_("The date cannot be in the future.")]
    elif day < MANUAL_RULE_START:
        errors["day"] = [_("The date cannot be before %(day)s.") % {"day": MANUAL_RULE_START.isoformat()}]
    if errors:
        raise ValidationError(errors)
    rule = manual_rule(committee=member.committee, actor=actor)
    entry = PointEntry.objects.create(
        committee_id=member.committee_id, member=member, rule=rule, points=points, day=day,
        source=EntrySource.MANUAL, source_key=f"manual:{uuid.uuid4().hex}", subject=reason,
        created_by=actor if _is_user(actor) else None,
    )
    audit_log(actor=actor, action="points.adjustment_create", obj=entry,
              new={"member": member.pk, "points": points, "day": day, "reason": reason, "rule": rule.pk})
    return entry


@transaction.atomic
def point_adjustment_reverse(*, actor, entry: PointEntry) -> PointEntry:
    """Reverse a manual entry with a correcting entry (the original is never edited)."""
    entry = PointEntry.objects.select_related("member", "rule").get(pk=entry.pk)
    _check_adjust(actor, entry.member)
    if entry.source != EntrySource.MANUAL or entry.corrects_id is not None:
        raise ValidationError({"entry": [_("Only manual adjustments can be reversed here; other entries follow "
                                           "attendance, study and approvals.")]})
    # lock the member's manual entries so two clicks cannot both reverse the same entry
    list(PointEntry.objects.select_for_update().filter(member_id=entry.member_id, source=EntrySource.MANUAL)
         .values_list("pk", flat=True))
    if PointEntry.objects.filter(corrects=entry).exists():
        raise ValidationError({"entry": [_("This adjustment has already been reversed.")]})
    reversal = PointEntry.objects.create(
        committee_id=entry.committee_id, member_id=entry.member_id, rule=entry.rule, points=-entry.points,
        day=entry.day, source=EntrySource.MANUAL, source_key=entry.source_key, subject=entry.subject,
        corrects=entry, created_by=actor if _is_user(actor) else None,
    )
    audit_log(actor=actor, action="points.adjustment_reverse", obj=reversal,
              old={"entry": entry.pk, "points": entry.points}, new={"corrects": entry.pk, "points": reversal.points})
    return reversal
