"""Reads of the groups area of 党员之家. People go through ``core.permissions``: a group's member list shows
the members the viewer may see (a plain member: themselves); lists are paged and their query counts fixed."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, Q, Sum
from django.utils import timezone

from taizhang.activities.selectors import activity_queryset
from taizhang.core.permissions import (
    EDIT,
    VIEW,
    allows,
    committee_ids_for,
    committee_wide,
    has_capability,
    own_member,
    restrict,
)
from taizhang.places.models import (
    Contest,
    ContestEntry,
    ContestJudge,
    ContestMode,
    EntryScore,
    GroupActivity,
    GroupMembership,
    InterestGroup,
)

PANEL_ROWS = 10


# --- rights -------------------------------------------------------------------------------------------------


def may_manage(user, committee_id) -> bool:
    """May manage memberships and contests in (part of) the committee."""
    return has_capability(user, "places.manage", committee_id)


def may_manage_groups(user, committee_id) -> bool:
    """May create and edit the committee's groups and link their activities (committee-wide staff)."""
    return may_manage(user, committee_id) and committee_wide(user, committee_id, EDIT)


def visible_committee_ids(user) -> set:
    """The committees whose groups and contests the user sees: staff's and their own member record's."""
    return committee_ids_for(user, VIEW, include_self=True)


# --- groups -------------------------------------------------------------------------------------------------


def _with_current(groups):
    """``groups`` with ``current``: how many members each has today."""
    today = timezone.localdate()
    return groups.annotate(current=Count("memberships", filter=Q(memberships__left_on__isnull=True)
                                         & Q(memberships__joined_on__lte=today)))


def groups_for(user):
    """The interest groups the user sees, with their current member counts."""
    return _with_current(InterestGroup.objects.filter(committee_id__in=visible_committee_ids(user))
                         .select_related("leader"))


def group_get(user, pk) -> InterestGroup | None:
    return groups_for(user).filter(pk=pk).first()


def current_members(group: InterestGroup, user):
    """The group's current members that ``user`` may see (memberships, with member and branch)."""
    qs = GroupMembership.objects.filter(group=group, left_on__isnull=True)
    return (restrict(qs, user, VIEW, committee="member__committee", branch="member__branch", member="member")
            .select_related("member", "member__branch").order_by("member__name_pinyin", "member_id"))


def membership_history(group: InterestGroup, user):
    """Every spell (current and past) of the members ``user`` may see, latest first."""
    qs = GroupMembership.objects.filter(group=group)
    return (restrict(qs, user, VIEW, committee="member__committee", branch="member__branch", member="member")
            .select_related("member").order_by("-joined_on", "-id"))


def own_membership(group: InterestGroup, user) -> GroupMembership | None:
    member = own_member(user, group.committee_id)
    if member is None:
        return None
    return GroupMembership.objects.filter(group=group, member=member, left_on__isnull=True).first()


def group_activities(group: InterestGroup, user):
    """The group's activities the user may see, newest first."""
    ids = GroupActivity.objects.filter(group=group).values("activity_id")
    return activity_queryset(user, VIEW).filter(pk__in=ids).order_by("-starts_at", "-id")


def linkable_activities(group: InterestGroup, user):
    """Activities of the group's committee the user manages that no group holds yet (newest first)."""
    return (activity_queryset(user, EDIT).filter(committee_id=group.committee_id, cancelled=False)
            .exclude(pk__in=GroupActivity.objects.values("activity_id")).order_by("-starts_at", "-id"))


def activity_panel(*, activity, user):
    """The activity page's panel: the group that holds it and the contest it is (links)."""
    link = GroupActivity.objects.filter(activity=activity).select_related("group").first()
    contest = Contest.objects.filter(activity=activity).first()
    if link is None and contest is None:
        return None
    return {"group": link.group if link else None, "contest": contest}


# --- contests -----------------------------------------------------------------------------------------------


def contests_for(user):
    return (Contest.objects.filter(committee_id__in=visible_committee_ids(user))
            .select_related("activity").annotate(entry_count=Count("entries"))
            .order_by("-activity__starts_at", "-id"))


def contest_get(user, pk) -> Contest | None:
    return contests_for(user).filter(pk=pk).first()


def may_manage_contest(user, contest: Contest) -> bool:
    return (may_manage(user, contest.committee_id)
            and activity_queryset(user, EDIT).filter(pk=contest.activity_id).exists())


def is_judge(user, contest: Contest) -> bool:
    return ContestJudge.objects.filter(contest=contest, user_id=getattr(user, "pk", None)).exists()


def contest_candidates(user, committee_id):
    """Activities the user manages that could become contests (not cancelled, not yet a contest)."""
    return (activity_queryset(user, EDIT).filter(committee_id=committee_id, cancelled=False)
            .exclude(pk__in=Contest.objects.values("activity_id")).order_by("-starts_at", "-id"))


@dataclass
class ResultRow:
    entry: ContestEntry
    place: int | None  # 1 is best; tied entries share a place (1, 1, 3 …); None: no result yet
    mean: Decimal | None = None  # judges' mode: the mean of the scores, to two places (the order uses it exactly)
    scores: int = 0  # how many judges scored


def contest_results(contest: Contest) -> list[ResultRow]:
    """The contest's entries in result order with their places. Judges' mode: by the exact mean of the
    scores (a fraction, so 250/3 and 83.33 are not confused), equal means are a tie; unscored entries
    last. Organisers' mode: by the place given. Two queries."""
    qs = ContestEntry.objects.filter(contest=contest).select_related("member", "member__branch", "award")
    if contest.mode == ContestMode.SCORES:
        qs = qs.annotate(total=Sum("scores__score"), n=Count("scores"))
        keyed = [(Fraction(e.total, e.n) if e.n else None, e) for e in qs]
    else:
        keyed = [(Fraction(-e.rank) if e.rank else None, e) for e in qs]  # a lower place is better
    keyed.sort(key=lambda pair: (pair[0] is None, -(pair[0] or 0), pair[1].member.name_pinyin, pair[1].pk))
    rows, previous, place = [], None, 0
    for position, (key, entry) in enumerate(keyed, start=1):
        if key is None:
            rows.append(ResultRow(entry, None, None, getattr(entry, "n", 0)))
            continue
        if key != previous:
            place, previous = position, key
        mean = None
        if contest.mode == ContestMode.SCORES:
            mean = (Decimal(entry.total) / Decimal(entry.n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        rows.append(ResultRow(entry, place, mean, getattr(entry, "n", 0)))
    return rows


def judge_scores(contest: Contest, user) -> dict:
    """{entry id: score} of this judge."""
    return dict(EntryScore.objects.filter(entry__contest=contest, judge__user=user)
                .values_list("entry_id", "score"))


def certificates(contest: Contest):
    """The award winners for the certificate list, best award first."""
    return (ContestEntry.objects.filter(contest=contest, award__isnull=False)
            .select_related("member", "member__branch", "award").order_by("award__rank", "member__name_pinyin", "id"))


# --- member page --------------------------------------------------------------------------------------------


def member_panel(*, member, user):
    """The member page's panel: their interest groups (current and past spells) and contest results.
    Shown to whoever may VIEW the member (the member themselves included); hidden when there is nothing."""
    if not allows(user, VIEW, committee_id=member.committee_id, branch_id=member.branch_id,
                  member_user_id=member.user_id):
        return None
    spells = list(GroupMembership.objects.filter(member=member).select_related("group")
                  .order_by("left_on", "-joined_on", "-id")[:PANEL_ROWS])
    entries = list(ContestEntry.objects.filter(member=member).select_related("contest__activity", "award")
                   .order_by("-contest__activity__starts_at", "-id")[:PANEL_ROWS])
    if not (spells or entries):
        return None
    return {"member": member, "current": [s for s in spells if s.left_on is None],
            "past": [s for s in spells if s.left_on is not None], "entries": entries}


# --- the summary --------------------------------------------------------------------------------------------


def summary_counts(committee) -> dict:
    """``places_summary``'s groups part: {"groups": {group name: current members}} (counts only)."""
    groups = _with_current(InterestGroup.objects.filter(committee=committee)).order_by("name")
    return {"groups": {g.name: g.current for g in groups}}
