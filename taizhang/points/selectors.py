"""Reads of the points ledger. Everything that returns people or their records is scoped by the user.

Totals are always sums of entries (plus the committee's annual baseline for a year). Lists use a fixed
number of queries whatever the number of members or entries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Max, Sum
from django.utils import timezone

from taizhang.activities.models import Activity, Attendance, AttendanceStatus
from taizhang.activities.selectors import expected_rows
from taizhang.core.permissions import EDIT, VIEW, allows, branches_for, has_capability, own_member, restrict
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.points.models import (
    ExternalScore,
    ExternalScoreImport,
    PointEntry,
    PointRule,
    PointsSettings,
    RecordStatus,
    StudyRecord,
)
from taizhang.points.periods import Period, platform_scores

PANEL_ENTRIES = 5


def points_settings(committee_id) -> PointsSettings:
    return PointsSettings.objects.filter(committee_id=committee_id).first() or PointsSettings(
        committee_id=committee_id)




def may_view_staff_pages(user) -> bool:
    return has_capability(user, "ledger.use") or has_capability(user, "activities.manage")


# --- one member -------------------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


@dataclass
class MemberYear:
    member: Member
    year: int
    entries: list
    entries_total: int
    baseline: int
    threshold: int

    @property
    def total(self) -> int:
        return self.baseline + self.entries_total

    @property
    def below_threshold(self) -> bool:
        return self.total < self.threshold

    @property
    def participation_needed(self) -> int:
        """Points above the baseline needed to reach the threshold (taking part in nothing stays below)."""
        return self.threshold - self.baseline


def member_year(member: Member, year: int) -> MemberYear:
    """Every entry of ``member`` in ``year`` (newest first) with the rule version, and the total."""
    start, end = year_bounds(year)
    entries = list(PointEntry.objects.filter(member=member, day__range=(start, end))
                   .select_related("rule", "corrects", "corrects__rule").order_by("-day", "-id"))
    reversed_ids = {e.corrects_id for e in entries if e.corrects_id}  # a reversal has the day of its original
    for e in entries:
        e.is_reversed = e.pk in reversed_ids
    config = points_settings(member.committee_id)
    return MemberYear(member=member, year=year, entries=entries, entries_total=sum(e.points for e in entries),
                      baseline=config.annual_baseline, threshold=config.threshold)


def entry_years(member: Member) -> list[int]:
    """The years with entries, and this year (for the year switch)."""
    years = {d.year for d in PointEntry.objects.filter(member=member).dates("day", "year")}
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def latest_external_scores(member_ids, *, year: int | None = None) -> dict:
    """{member id: [ExternalScore, …]}: the newest snapshot per platform and period (two queries)."""
    qs = ExternalScore.objects.filter(member_id__in=member_ids)
    if year is not None:
        qs = qs.filter(period_start__year=year)
    newest = qs.values("member_id", "platform", "period").annotate(newest=Max("id")).values_list("newest", flat=True)
    result = defaultdict(list)
    for score in ExternalScore.objects.filter(pk__in=list(newest)).select_related("score_import").order_by(
            "-period_start", "platform"):
        result[score.member_id].append(score)
    return result


def study_records_of(member: Member):
    return StudyRecord.objects.filter(member=member).select_related("decided_by").order_by("-day", "-id")


def member_panel(*, member, user):
    """The points panel on the member page: hidden unless the viewer may see the member."""
    if not allows(user, VIEW, committee_id=member.committee_id, branch_id=member.branch_id,
                  member_user_id=member.user_id):
        return None
    year = timezone.localdate().year
    start, end = year_bounds(year)
    entries = PointEntry.objects.filter(member=member, day__range=(start, end))
    total = entries.aggregate(total=Sum("points"))["total"] or 0
    config = points_settings(member.committee_id)
    grand = total + config.annual_baseline
    return {
        "year": year,
        "total": grand,
        "threshold": config.threshold,
        "below": config.is_below(grand),
        "entries": list(entries.select_related("rule", "corrects", "corrects__rule").order_by("-day", "-id")[:PANEL_ENTRIES]),
        "scores": latest_external_scores([member.pk], year=year).get(member.pk, []),
        "is_self": member.user_id == getattr(user, "pk", None),
        "member_pk": member.pk,
    }


# --- approvals --------------------------------------------------------------------------------------------


def approvals_queryset(user):
    """Pending study records of members ``user`` may edit, never their own or ones they submitted."""
    if not has_capability(user, "points.approve"):
        return StudyRecord.objects.none()
    qs = restrict(StudyRecord.objects.filter(status=RecordStatus.PENDING), user, EDIT,
                  committee="member__committee", branch="member__branch", member="member")
    return (qs.exclude(member__user=user).exclude(requested_by=user)
            .select_related("member", "member__branch", "requested_by").order_by("day", "id"))


def decided_recently(user, limit: int = 20):
    if not has_capability(user, "points.approve"):
        return StudyRecord.objects.none()
    qs = restrict(StudyRecord.objects.exclude(status=RecordStatus.PENDING), user, EDIT,
                  committee="member__committee", branch="member__branch", member="member")
    return qs.select_related("member", "decided_by").order_by("-decided_at", "-id")[:limit]


# --- rules ------------------------------------------------------------------------------------------------


def rule_families(committee) -> list[list[PointRule]]:
    """The committee's rules, each as its versions newest first (the first is the current one)."""
    families = defaultdict(list)
    for rule in PointRule.objects.filter(committee=committee).select_related("activity_type").order_by(
            "action", "name", "-version"):
        families[rule.family].append(rule)
    return sorted(families.values(), key=lambda versions: (versions[0].action, versions[0].name))


def imports_of(committee, limit: int = 20):
    return ExternalScoreImport.objects.filter(committee=committee).select_related("imported_by")[:limit]


# --- participation ----------------------------------------------------------------------------------------


class MemberRef(NamedTuple):
    """What a participation row needs of a member."""

    pk: int
    name: str
    branch_name: str


@dataclass
class ParticipationRow:
    member: "MemberRef"
    branch_name: str
    expected: int = 0
    present: int = 0
    points: int = 0
    baseline: int = 0
    threshold: int | None = 0  # None: the period is not a whole year, so no threshold applies
    rank: int | None = None
    score: object = None  # the chosen platform's score in the period (Decimal) or None

    @property
    def rate(self) -> float | None:
        return min(1.0, self.present / self.expected) if self.expected else None

    @property
    def total(self) -> int:
        return self.baseline + self.points

    @property
    def below(self) -> bool:
        return self.threshold is not None and self.total < self.threshold


@dataclass
class BranchRow:
    name: str
    members: int = 0
    expected: int = 0
    present: int = 0
    points: int = 0
    below: int = 0

    @property
    def rate(self) -> float | None:
        return min(1.0, self.present / self.expected) if self.expected else None

    @property
    def average(self) -> float | None:
        return self.points / self.members if self.members else None


def _expected_per_member(activities: list, member_ids: set) -> dict:
    """{member id: number of the activities they were expected at (应到)}, from the flow history
    (``activities.selectors.expected_rows``: one query, counted in the database)."""
    counts = defaultdict(int)
    if not activities or not member_ids:
        return counts
    # All the members of the activities' committees (no list of ids in the SQL), kept to ``member_ids`` here.
    counts.update((pk, n) for pk, n in expected_rows(activities, None, group_by="member") if pk in member_ids)
    return counts


def participation_count(user, committee, branch_id=None) -> int:
    """How many rows ``participation`` has at most (its members on the roster in scope): one COUNT."""
    members = restrict(Member.objects.filter(committee=committee), user, VIEW)
    if branch_id:
        members = members.filter(branch_id=branch_id)
    return members.filter(current_event__status_after__in=ROSTER_STATUSES).count()


def participation(user, committee, year: int | None = None, *, period: Period | None = None, branch_id=None,
                  below_only: bool = False, platform: str | None = None, today: datetime.date | None = None):
    """Per member (in ``user``'s VIEW scope) and per branch: attendance rate, points and the threshold.

    The period is ``period`` (or the calendar year ``year``), counted up to today. Points are the sum of
    the entries in it; the annual baseline is added and the threshold applies only when the period is one
    whole calendar year. With ``platform`` each row also carries that platform's imported score
    (``platform_scores``). Returns ``(rows, branch_rows, settings)``; ``rank`` is set only when the
    committee turned rankings on.
    """
    today = today or timezone.localdate()
    if period is None:
        period = Period(*year_bounds(year or today.year))
    start, end = period.start, min(period.end, today)
    whole_year = period.whole_year is not None
    config = points_settings(committee.pk)
    members = restrict(Member.objects.filter(committee=committee), user, VIEW)
    if branch_id:
        members = members.filter(branch_id=branch_id)
    on_roster = members.filter(current_event__status_after__in=ROSTER_STATUSES)
    # plain (pk, name, branch) tuples: a committee of 100,000s would spend seconds building model instances
    members = [MemberRef(pk, name, branch_name) for pk, name, branch_name in on_roster.order_by(
        "branch__sort_order", "name_pinyin", "id").values_list("pk", "name", "branch__name")]
    ids = {m.pk for m in members}
    in_scope = on_roster.values("pk")  # a subquery, never a list of (possibly 100,000s of) ids in the SQL
    activities = []
    if end >= start:
        activities = list(Activity.objects.filter(
            committee=committee, cancelled=False, starts_at__date__gte=start, starts_at__date__lte=end,
        ).only("pk", "committee_id", "starts_at", "audience_kind", "audience_branch_id", "audience_group_id"))
    expected = _expected_per_member(activities, ids)
    present = dict(Attendance.objects.filter(
        member_id__in=in_scope, status=AttendanceStatus.PRESENT, activity__in=[a.pk for a in activities],
    ).values_list("member_id").annotate(n=Count("id")).order_by()) if activities else {}
    points = dict(PointEntry.objects.filter(committee=committee, member_id__in=in_scope,
                                            day__range=(start, end if end >= start else start))
                  .values_list("member_id").annotate(total=Sum("points")).order_by())
    scores = platform_scores(in_scope, platform, period.start, period.end) if platform and ids else {}
    rows = [
        ParticipationRow(member=m, branch_name=m.branch_name, expected=expected.get(m.pk, 0),
                         present=present.get(m.pk, 0), points=points.get(m.pk, 0),
                         baseline=config.annual_baseline if whole_year else 0,
                         threshold=config.threshold if whole_year else None, score=scores.get(m.pk))
        for m in members
    ]
    if config.ranking_enabled:
        ordered = sorted(rows, key=lambda r: -r.total)
        for i, row in enumerate(ordered):
            row.rank = ordered[i - 1].rank if i and ordered[i - 1].total == row.total else i + 1
    branches: dict[str, BranchRow] = {}
    for row in rows:
        b = branches.setdefault(row.branch_name, BranchRow(name=row.branch_name))
        b.members += 1
        b.expected += row.expected
        b.present += min(row.present, row.expected) if row.expected else 0
        b.points += row.total
        b.below += 1 if row.below else 0
    if below_only:
        rows = [r for r in rows if r.below]
    return rows, list(branches.values()), config


def visible_branches(user, committee):
    return branches_for(user, VIEW).filter(committee=committee)


def home_panel(*, user):
    """The points card on the home page: my total for members, what waits for approvers, links for staff."""
    member = own_member(user)
    may_approve = has_capability(user, "points.approve")
    staff = may_view_staff_pages(user)
    if member is None and not may_approve and not staff:
        return None
    context = {"member": None, "pending": None, "staff": staff, "manage": has_capability(user, "points.manage")}
    if member is not None:
        year = timezone.localdate().year
        start, end = year_bounds(year)
        config = points_settings(member.committee_id)
        total = (PointEntry.objects.filter(member=member, day__range=(start, end)).aggregate(t=Sum("points"))["t"]
                 or 0) + config.annual_baseline
        context["member"] = {"year": year, "total": total, "threshold": config.threshold,
                             "below": config.is_below(total)}
    if may_approve:
        context["pending"] = approvals_queryset(user).count()
    return context
