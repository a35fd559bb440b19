"""Writes of the groups area of 党员之家: interest groups, memberships, group activities, contests.

Each service checks the actor's right (``core.permissions``), validates with Chinese messages keyed by
field, writes in one transaction and leaves an audit entry.

Who may do what:
* a group (create, edit, link an activity): ``places.manage`` over the whole committee (the committee admin);
* a membership (add, end): ``places.manage`` and EDIT over the member (a branch secretary: their branch);
  a member joins or leaves a group of their own committee themselves (direct, audited);
* a contest (create, awards, judges, entries, ranking): ``places.manage`` and managing the contest's
  activity (``activities.selectors.activity_queryset(user, EDIT)``); an entry's member must also be in
  the actor's EDIT scope and in the activity's audience (应到, ``expected_attendees``);
* a score: only a judge of the contest, for their own score.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.models import Activity
from taizhang.activities.selectors import activity_queryset, expected_attendees
from taizhang.core.attachments import StoredFiles, clean_files
from taizhang.core.audit import audit_log
from taizhang.core.permissions import EDIT, allows, own_member, role_committee_ids
from taizhang.members.models import Member
from taizhang.places import groups_selectors as selectors
from taizhang.places.models import (
    AwardLevel,
    Contest,
    ContestEntry,
    ContestJudge,
    ContestMode,
    EntryFile,
    EntryScore,
    GroupActivity,
    GroupMembership,
    InterestGroup,
)

MAX_SCORE = 100


# --- rights -------------------------------------------------------------------------------------------------


def _require_committee(actor, committee_id) -> None:
    if not selectors.may_manage_groups(actor, committee_id):
        raise PermissionDenied(_("Only the committee's staff may manage interest groups."))


def _require_member(actor, member: Member) -> None:
    if not (selectors.may_manage(actor, member.committee_id)
            and allows(actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id)):
        raise PermissionDenied(_("%(name)s is outside your scope.") % {"name": member.name})


def _require_contest(actor, contest: Contest) -> None:
    if not selectors.may_manage_contest(actor, contest):
        raise PermissionDenied(_("You may not manage this contest."))


def _text(value, name: str, label: str, errors: dict, *, required: bool = False, max_length: int = 200) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = [_("%(field)s is required.") % {"field": label}]
    elif len(value) > max_length:
        errors[name] = [_("%(field)s is longer than %(n)d characters.") % {"field": label, "n": max_length}]
    return value


# --- groups -------------------------------------------------------------------------------------------------


def _check_leader(committee_id, leader, errors: dict) -> None:
    if leader is not None and leader.committee_id != committee_id:
        errors["leader"] = [_("The leader must be a member of this committee.")]


@transaction.atomic
def group_create(*, actor, committee, name: str, description: str = "", leader: Member | None = None) -> InterestGroup:
    """A new interest group of ``committee`` (书画, 读书 …)."""
    _require_committee(actor, committee.pk)
    errors = {}
    name = _text(name, "name", _("Group name"), errors, required=True, max_length=50)
    description = _text(description, "description", _("Description"), errors, max_length=2000)
    _check_leader(committee.pk, leader, errors)
    if name and InterestGroup.objects.filter(committee=committee, name=name).exists():
        errors["name"] = [_("There is already a group named “%(name)s”.") % {"name": name}]
    if errors:
        raise ValidationError(errors)
    group = InterestGroup.objects.create(committee=committee, name=name, description=description, leader=leader,
                                         created_by=actor)
    audit_log(actor=actor, action="group.create", obj=group,
              new={"name": name, "description": description, "leader": leader})
    return group


@transaction.atomic
def group_update(*, actor, group: InterestGroup, name: str, description: str = "",
                 leader: Member | None = None) -> InterestGroup:
    _require_committee(actor, group.committee_id)
    group = InterestGroup.objects.select_for_update().get(pk=group.pk)
    errors = {}
    name = _text(name, "name", _("Group name"), errors, required=True, max_length=50)
    description = _text(description, "description", _("Description"), errors, max_length=2000)
    _check_leader(group.committee_id, leader, errors)
    if name and InterestGroup.objects.filter(committee_id=group.committee_id, name=name).exclude(pk=group.pk).exists():
        errors["name"] = [_("There is already a group named “%(name)s”.") % {"name": name}]
    if errors:
        raise ValidationError(errors)
    old = {"name": group.name, "description": group.description, "leader": group.leader_id}
    group.name, group.description, group.leader = name, description, leader
    group.save(update_fields=["name", "description", "leader"])
    audit_log(actor=actor, action="group.update", obj=group, old=old,
              new={"name": name, "description": description, "leader": getattr(leader, "pk", None)})
    return group


def _join(actor, group: InterestGroup, member: Member, joined_on, note: str) -> GroupMembership:
    errors = {}
    if member.committee_id != group.committee_id:
        errors["member"] = [_("%(name)s is not a member of this committee.") % {"name": member.name}]
    if not isinstance(joined_on, datetime.date):
        errors["joined_on"] = [_("Enter the day of joining.")]
    elif joined_on > timezone.localdate():
        errors["joined_on"] = [_("The day of joining cannot be in the future.")]
    note = _text(note, "note", _("remark"), errors)
    if not errors:
        last = GroupMembership.objects.filter(group=group, member=member).order_by("-joined_on", "-id").first()
        if last is not None and last.left_on is None:
            errors["member"] = [_("%(name)s is already a member of %(group)s.")
                                % {"name": member.name, "group": group.name}]
        elif last is not None and joined_on < last.left_on:
            errors["joined_on"] = [_("%(name)s left the group on %(day)s; the new joining cannot be earlier.")
                                   % {"name": member.name, "day": last.left_on}]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            membership = GroupMembership.objects.create(group=group, member=member, joined_on=joined_on, note=note,
                                                        joined_by=actor)
    except IntegrityError:  # a parallel request joined first
        raise ValidationError({"member": [_("%(name)s is already a member of %(group)s.")
                                          % {"name": member.name, "group": group.name}]}) from None
    audit_log(actor=actor, action="group.join", obj=membership,
              new={"group": group.name, "member": member.pk, "joined_on": joined_on, "note": note})
    return membership


def _leave(actor, group: InterestGroup, member: Member, left_on) -> GroupMembership:
    membership = (GroupMembership.objects.select_for_update()
                  .filter(group=group, member=member, left_on__isnull=True).first())
    if membership is None:
        raise ValidationError({"member": [_("%(name)s is not a member of %(group)s.")
                                          % {"name": member.name, "group": group.name}]})
    if not isinstance(left_on, datetime.date):
        raise ValidationError({"left_on": [_("Enter the day of leaving.")]})
    if left_on > timezone.localdate():
        raise ValidationError({"left_on": [_("The day of leaving cannot be in the future.")]})
    if left_on < membership.joined_on:
        raise ValidationError({"left_on": [_("The day of leaving cannot be before the day of joining (%(day)s).")
                                           % {"day": membership.joined_on}]})
    membership.left_on, membership.left_by = left_on, actor
    membership.save(update_fields=["left_on", "left_by"])
    audit_log(actor=actor, action="group.leave", obj=membership,
              old={"left_on": None}, new={"group": group.name, "member": member.pk, "left_on": left_on})
    return membership


@transaction.atomic
def membership_add(*, actor, group: InterestGroup, member: Member, joined_on: datetime.date | None = None,
                   note: str = "") -> GroupMembership:
    """Staff add ``member`` to ``group`` (a new spell; an earlier spell stays as history)."""
    _require_member(actor, member)
    return _join(actor, group, member, joined_on or timezone.localdate(), note)


@transaction.atomic
def membership_end(*, actor, group: InterestGroup, member: Member,
                   left_on: datetime.date | None = None) -> GroupMembership:
    """Staff record that ``member`` left ``group`` (the row stays, with its day of leaving)."""
    _require_member(actor, member)
    return _leave(actor, group, member, left_on or timezone.localdate())


@transaction.atomic
def group_join_self(*, actor, group: InterestGroup) -> GroupMembership:
    """A member joins a group of their committee themselves, today."""
    member = own_member(actor, group.committee_id)
    if member is None:
        raise PermissionDenied(_("Only members of this committee can join its groups."))
    return _join(actor, group, member, timezone.localdate(), "")


@transaction.atomic
def group_leave_self(*, actor, group: InterestGroup) -> GroupMembership:
    member = own_member(actor, group.committee_id)
    if member is None:
        raise PermissionDenied(_("Only members of this committee can join its groups."))
    return _leave(actor, group, member, timezone.localdate())


@transaction.atomic
def group_activity_link(*, actor, group: InterestGroup, activity: Activity) -> GroupActivity:
    """Record that ``activity`` is held by ``group`` (an activity belongs to at most one group)."""
    _require_committee(actor, group.committee_id)
    if activity.committee_id != group.committee_id:
        raise ValidationError({"activity": [_("The activity belongs to another committee.")]})
    existing = GroupActivity.objects.filter(activity=activity).select_related("group").first()
    if existing is not None:
        raise ValidationError({"activity": [_("“%(title)s” is already an activity of %(group)s.")
                                            % {"title": activity.title, "group": existing.group.name}]})
    try:
        with transaction.atomic():
            link = GroupActivity.objects.create(group=group, activity=activity, linked_by=actor)
    except IntegrityError:
        raise ValidationError({"activity": [_("“%(title)s” is already an activity of another group.")
                                            % {"title": activity.title}]}) from None
    audit_log(actor=actor, action="group.activity_link", obj=link, new={"group": group.name, "activity": activity.pk})
    return link


# --- contests -----------------------------------------------------------------------------------------------


@transaction.atomic
def contest_create(*, actor, activity: Activity, mode: str = ContestMode.SCORES, categories: str = "") -> Contest:
    """Make ``activity`` a contest (书法比赛 …): entries, scores or a ranking, awards."""
    if not (selectors.may_manage(actor, activity.committee_id)
            and activity_queryset(actor, EDIT).filter(pk=activity.pk).exists()):
        raise PermissionDenied(_("You may not manage this contest."))
    errors = {}
    if mode not in ContestMode.values:
        errors["mode"] = [_("Choose how the results are decided.")]
    categories = _text(categories, "categories", _("Categories"), errors)
    if activity.cancelled:
        errors["activity"] = [_("The activity is cancelled.")]
    elif Contest.objects.filter(activity=activity).exists():
        errors["activity"] = [_("“%(title)s” is already a contest.") % {"title": activity.title}]
    if errors:
        raise ValidationError(errors)
    contest = Contest.objects.create(activity=activity, committee_id=activity.committee_id, mode=mode,
                                     categories=categories, created_by=actor)
    audit_log(actor=actor, action="contest.create", obj=contest,
              new={"activity": activity.pk, "mode": mode, "categories": categories})
    return contest


def parse_awards(text: str) -> list[tuple[str, int]]:
    """``一等奖 1`` per line (name and count, best first) → [(name, count)]; errors name the line."""
    rows, errors, seen = [], [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.replace("：", " ").replace(":", " ").replace("，", " ").replace(",", " ").strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1 or len(parts[0]) > 30:
            errors.append(_("Line %(n)d: write the award and how many, e.g. “一等奖 1”.") % {"n": number})
            continue
        if parts[0] in seen:
            errors.append(_("Line %(n)d: “%(name)s” is listed twice.") % {"n": number, "name": parts[0]})
            continue
        seen.add(parts[0])
        rows.append((parts[0], int(parts[1])))
    if not rows and not errors:
        errors.append(_("List at least one award."))
    if errors:
        raise ValidationError({"awards": errors})
    return rows


@transaction.atomic
def contest_awards_set(*, actor, contest: Contest, awards: list[tuple[str, int]]) -> list[AwardLevel]:
    """Set the contest's awards, best first (replacing the list while no award has been given)."""
    _require_contest(actor, contest)
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    if ContestEntry.objects.filter(contest=contest, award__isnull=False).exists():
        raise ValidationError({"awards": [_("Awards have already been given; the list can no longer change.")]})
    if not awards:
        raise ValidationError({"awards": [_("List at least one award.")]})
    old = list(contest.levels.values_list("name", "count"))
    contest.levels.all().delete()
    levels = AwardLevel.objects.bulk_create(
        AwardLevel(contest=contest, name=name, count=count, rank=i) for i, (name, count) in enumerate(awards, 1))
    audit_log(actor=actor, action="contest.awards_set", obj=contest, old={"awards": old},
              new={"awards": [[n, c] for n, c in awards]})
    return levels


@transaction.atomic
def contest_judge_add(*, actor, contest: Contest, user) -> ContestJudge:
    _require_contest(actor, contest)
    if not user.is_active or contest.committee_id not in role_committee_ids(user):
        raise ValidationError({"user": [_("%(name)s has no account in this committee.") % {"name": str(user)}]})
    judge, created = ContestJudge.objects.get_or_create(contest=contest, user=user)
    if not created:
        raise ValidationError({"user": [_("%(name)s is already a judge.") % {"name": str(user)}]})
    audit_log(actor=actor, action="contest.judge_add", obj=judge, new={"contest": contest.pk, "user": user.pk})
    return judge


@transaction.atomic
def contest_entry_add(*, actor, contest: Contest, member: Member, title: str, category: str = "",
                      files=()) -> ContestEntry:
    """Enter ``member``'s work; the member must be in the activity's audience (应到 on its day)."""
    _require_contest(actor, contest)
    _require_member(actor, member)
    errors = {}
    title = _text(title, "title", _("Title of the work"), errors, required=True, max_length=100)
    category = _text(category, "category", _("Category"), errors, max_length=30)
    if contest.category_list and category and category not in contest.category_list:
        errors["category"] = [_("Choose one of the categories: %(list)s.") % {"list": "、".join(contest.category_list)}]
    activity = contest.activity
    if not expected_attendees(activity).filter(pk=member.pk).exists():
        errors["member"] = [_("%(name)s is not in the audience of “%(title)s” and cannot enter.")
                            % {"name": member.name, "title": activity.title}]
    if title and ContestEntry.objects.filter(contest=contest, member=member, title=title).exists():
        errors["title"] = [_("%(name)s has already entered “%(title)s”.") % {"name": member.name, "title": title}]
    checked = []
    try:
        checked = clean_files(files)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    entry = ContestEntry.objects.create(contest=contest, member=member, title=title, category=category,
                                        entered_by=actor)
    with StoredFiles() as stored:
        for f in checked:
            stored.attach(EntryFile(entry=entry), f, uploaded_by=actor)
        audit_log(actor=actor, action="contest.entry_add", obj=entry,
                  new={"contest": contest.pk, "member": member.pk, "title": title, "category": category,
                       "files": [f.name for f in checked]})
    return entry


@transaction.atomic
def entry_score(*, actor, entry: ContestEntry, score) -> EntryScore:
    """A judge scores an entry 0–100 (scoring again replaces their score)."""
    contest = entry.contest
    judge = ContestJudge.objects.filter(contest=contest, user=actor).first()
    if judge is None:
        raise PermissionDenied(_("Only the contest's judges may score its entries."))
    if contest.mode != ContestMode.SCORES:
        raise ValidationError({"score": [_("This contest is ranked by the organisers, not scored.")]})
    if isinstance(score, str):
        score = score.strip()
        score = int(score) if score.isdigit() else None
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= MAX_SCORE:
        raise ValidationError({"score": [_("“%(title)s”: a score is a whole number from 0 to 100.")
                                         % {"title": entry.title}]})
    row = EntryScore.objects.select_for_update().filter(entry=entry, judge=judge).first()
    old = row.score if row else None
    if row is None:
        row = EntryScore.objects.create(entry=entry, judge=judge, score=score)
    else:
        row.score = score
        row.save(update_fields=["score", "scored_at"])
    audit_log(actor=actor, action="contest.score", obj=entry, old={"score": old}, new={"score": score})
    return row


@transaction.atomic
def contest_rank(*, actor, contest: Contest, places: dict) -> None:
    """The organisers' ranking: ``places`` maps entry id → place (1 is best; equal places are a tie; None:
    unplaced)."""
    _require_contest(actor, contest)
    if contest.mode != ContestMode.RANKING:
        raise ValidationError({"rank": [_("This contest is decided by the judges' scores.")]})
    entries = {e.pk: e for e in ContestEntry.objects.select_for_update().filter(contest=contest)}
    errors = []
    for pk, place in places.items():
        entry = entries.get(pk)
        if entry is None:
            errors.append(_("An entry is not part of this contest."))
        elif place is not None and (not isinstance(place, int) or place < 1 or place > len(entries)):
            errors.append(_("“%(title)s”: the place must be a whole number from 1 to %(n)d.")
                          % {"title": entry.title, "n": len(entries)})
    if errors:
        raise ValidationError({"rank": errors})
    old, new = {}, {}
    for pk, place in places.items():
        entry = entries[pk]
        if entry.rank != place:
            old[pk], new[pk] = entry.rank, place
            entry.rank = place
    ContestEntry.objects.bulk_update([entries[pk] for pk in new], ["rank"])
    audit_log(actor=actor, action="contest.rank", obj=contest, old={"places": old}, new={"places": new})


@transaction.atomic
def contest_awards_give(*, actor, contest: Contest) -> dict:
    """Give the awards by the results: the award levels (best first, each with its count) cover places
    1…n in turn; an entry gets the level covering its place. Tied entries share a place, so a tie at a
    level's last place gives every tied entry that level. Returns {award name: entries given it}."""
    _require_contest(actor, contest)
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    levels = list(contest.levels.order_by("rank"))
    if not levels:
        raise ValidationError({"awards": [_("Set the awards first.")]})
    rows = selectors.contest_results(contest)
    if not any(r.place for r in rows):
        raise ValidationError({"awards": [_("There are no results yet: the entries have no scores or places.")]})
    bounds, total = [], 0
    for level in levels:
        total += level.count
        bounds.append((total, level))
    given, changed = {level.name: 0 for level in levels}, []
    for row in rows:
        level = next((lv for bound, lv in bounds if row.place and row.place <= bound), None)
        if level is not None:
            given[level.name] += 1
        if row.entry.award_id != getattr(level, "pk", None):
            row.entry.award = level
            changed.append(row.entry)
    ContestEntry.objects.bulk_update(changed, ["award"])
    audit_log(actor=actor, action="contest.awards_give", obj=contest, new={"given": given})
    return given
