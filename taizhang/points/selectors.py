"""Reads of the points ledger. Everything that returns people or their records is scoped by the user.

Totals are always sums of entries (plus the committee's annual baseline for a year). Lists use a fixed
number of queries whatever the number of members or entries.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Max, Sum
from django.utils import timezone

from taizhang.activities import tallies, tally_projection
from taizhang.activities.selectors import activities_between
from taizhang.core import generations
from taizhang.core.paging import LazyRows
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


def _on_roster(user, committee, branch_id=None):
    """The members of ``participation``: on the roster today, of ``committee`` (and ``branch_id``), in
    ``user``'s VIEW scope."""
    members = restrict(Member.objects.filter(committee=committee), user, VIEW)
    if branch_id:
        members = members.filter(branch_id=branch_id)
    return members.filter(current_event__status_after__in=ROSTER_STATUSES)


def participation_count(user, committee, branch_id=None) -> int:
    """How many rows ``participation`` has at most (its members on the roster in scope): one COUNT."""
    return _on_roster(user, committee, branch_id).count()


class ParticipationRows(LazyRows):
    """The participation rows (``ParticipationRow``) of a scope, computed, ranked, filtered and paged by the
    database (``_participation_sql``): ``len`` is known from the branch query, a slice (the pager's page)
    reads its rows in one query (and their platform scores in two), iterating reads them all (the export)."""

    def __init__(self, sql, params, count: int, *, baseline: int, threshold, platform, period, in_scope,
                 prefetched=None, cache_for=None):
        self.sql, self.params, self.count_, self.cache_for = sql, params, count, cache_for
        self.prefetched = prefetched or {}  # offset -> (limit, rows): the page read with the branch rows
        self.baseline, self.threshold, self.platform, self.period, self.in_scope = (
            baseline, threshold, platform, period, in_scope)

    def _rows(self, offset: int, limit: int | None) -> list:
        if self.sql is None or limit == 0:
            return []
        sql, params = self.sql, self.params
        found = self._already_read(offset, limit)
        if found is None:
            if limit is not None:
                sql, params = f"{sql} LIMIT %s OFFSET %s", params + (limit, offset)
            # a page: cached like the branch rows; every row (the export): read once, never kept
            found = tallies.fetch_cached(sql, params, self.cache_for if limit is not None else None)
        scores = {}
        if self.platform and found:
            ids = self.in_scope if limit is None else [row[0] for row in found]
            scores = platform_scores(ids, self.platform, self.period.start, self.period.end)
        return [
            ParticipationRow(member=MemberRef(pk, name, branch_name), branch_name=branch_name, expected=int(n),
                             present=int(present), points=int(points), baseline=self.baseline,
                             threshold=self.threshold, rank=rank, score=scores.get(pk))
            for pk, name, branch_name, n, present, points, rank in found
        ]



def _participation_sql(on_roster, activities, committee, start, end, baseline) -> tuple[str, tuple]:
    """The ``WITH`` clause of the participation rows: ``x`` of ``activities.tallies`` and ``r`` (mid, name,
    bname, bsort, pinyin, n: expected, pr: present at the activities, pts: the entries' points in the period,
    total: pts + ``baseline``), one row per member of ``on_roster``."""
    q = tallies.q
    # every activity of the committee (whoever reads): the stored months of ``tally_projection`` answer the same
    with_sql, params = tally_projection.tally_sql(activities, on_roster, start, max(start, end), [committee.pk])
    members_sql, members_params = tallies.sql_of(on_roster.order_by().values(
        mid=F("pk"), mname=F("name"), bname=F("branch__name"), bsort=F("branch__sort_order"), pinyin=F("name_pinyin")))
    scope_sql, scope_params = tallies.sql_of(on_roster.order_by().values("pk"))
    entries = tallies.table(PointEntry)
    sql = (
        f"{with_sql}, pm AS (SELECT x.mid, SUM(x.n) AS n, SUM(x.pr) + SUM(x.ex) AS pr FROM x GROUP BY x.mid),"
        f" pt AS (SELECT {q('member_id')} AS mid, SUM({q('points')}) AS pts FROM {entries}"
        f" WHERE {q('committee_id')} = %s AND {q('day')} >= %s AND {q('day')} <= %s"
        f" AND {q('member_id')} IN ({scope_sql}) GROUP BY {q('member_id')}),"
        f" r AS (SELECT m.mid, m.mname, m.bname, m.bsort, m.pinyin, COALESCE(pm.n, 0) AS n,"
        f" COALESCE(pm.pr, 0) AS pr, COALESCE(pt.pts, 0) AS pts, %s + COALESCE(pt.pts, 0) AS total"
        f" FROM ({members_sql}) m LEFT JOIN pm ON pm.mid = m.mid LEFT JOIN pt ON pt.mid = m.mid)"
    )
    day = connection.ops.adapt_datefield_value
    params = params + (committee.pk, day(start), day(max(start, end))) + scope_params + (baseline,) + members_params
    return sql, params


def participation(user, committee, year: int | None = None, *, period: Period | None = None, branch_id=None,
                  below_only: bool = False, platform: str | None = None, today: datetime.date | None = None,
                  page: tuple | None = None):
    """Per member (in ``user``'s VIEW scope) and per branch: attendance rate, points and the threshold.

    The period is ``period`` (or the calendar year ``year``), counted up to today. Points are the sum of
    the entries in it; the annual baseline is added and the threshold applies only when the period is one
    whole calendar year. With ``platform`` each row also carries that platform's imported score
    (``platform_scores``). Returns ``(rows, branch_rows, settings)``; ``rank`` is set only when the
    committee turned rankings on. The rows (``ParticipationRows``) are computed and paged by the database;
    the branch rows are one GROUP BY: a fixed number of queries whatever the number of members. With
    ``page`` (offset, size) the page the caller will show is read in the same query as the branch rows.
    """
    today = today or timezone.localdate()
    if period is None:
        period = Period(*year_bounds(year or today.year))
    start, end = period.start, min(period.end, today)
    whole_year = period.whole_year is not None
    config = points_settings(committee.pk)
    baseline = config.annual_baseline if whole_year else 0
    threshold = config.threshold if whole_year else None
    on_roster = _on_roster(user, committee, branch_id)
    in_scope = on_roster.values("pk")  # a subquery, never a list of (possibly 100,000s of) ids in the SQL
    # the local days as a range of start times (an index range the planner can estimate; ``starts_at__date``
    # was a conversion per row that it guessed at a few activities, and so matched the records row by row)
    activities = activities_between(start, end, committee=committee)
    try:
        with_sql, params = _participation_sql(on_roster, activities, committee, start, end, baseline)
    except EmptyResultSet:  # nobody in scope
        return ParticipationRows(None, (), 0, baseline=baseline, threshold=threshold, platform=platform,
                                 period=period, in_scope=in_scope), [], config
    below_sql = "r.total < %s" if threshold is not None else "1 = 0"
    below_params = (threshold,) if threshold is not None else ()
    rank = "RANK() OVER (ORDER BY r.total DESC)" if config.ranking_enabled else "CAST(NULL AS INTEGER)"
    ranked = f" FROM (SELECT r.*, {rank} AS rk FROM r) r" + (f" WHERE {below_sql}" if below_only else "")
    order = "r.bsort, r.pinyin, r.mid"
    rows_sql = f"{with_sql} SELECT r.mid, r.mname, r.bname, r.n, r.pr, r.pts, r.rk{ranked} ORDER BY {order}"
    rows_params = params + (below_params if below_only else ())
    branches = (
        f" SELECT 0 AS part, r.bname, COUNT(*), SUM(r.n),"
        f" SUM(CASE WHEN r.n > 0 THEN CASE WHEN r.pr < r.n THEN r.pr ELSE r.n END ELSE 0 END), SUM(r.total),"
        f" SUM(CASE WHEN {below_sql} THEN 1 ELSE 0 END),"
        f" ROW_NUMBER() OVER (ORDER BY MIN(r.bsort), MIN(r.pinyin), MIN(r.mid)), NULL FROM r GROUP BY r.bname"
    )
    prefetched = {}
    # the tallies read activities, attendance, the stored tallies, roster spells, members and point entries:
    # cached under their generations, keyed by the query itself (scope, period, baseline, ranking …)
    cache_for = ([committee.pk], (generations.ROSTER, generations.ACTIVITIES, generations.POINTS))
    if page is None:
        found = tallies.fetch_cached(f"{with_sql}{branches}", params + below_params, cache_for)
    else:  # the branch rows and the page shown in one query (the tallies are computed once)
        offset, size = page
        found = tallies.fetch_cached(
            f"{with_sql}, pg AS (SELECT r.mid, r.mname, r.bname, r.n, r.pr, r.pts, r.rk,"
            f" ROW_NUMBER() OVER (ORDER BY {order}) AS pos{ranked} ORDER BY {order} LIMIT %s OFFSET %s){branches}"
            f" UNION ALL SELECT 1, pg.mname, pg.mid, pg.n, pg.pr, pg.pts, pg.rk, pg.pos, pg.bname FROM pg",
            rows_params + (size, offset) + below_params, cache_for)
        prefetched[offset] = (size, [
            (mid, name, bname, n, pr, pts, rk)
            for _p, name, mid, n, pr, pts, rk, _pos, bname in sorted((r for r in found if r[0] == 1), key=lambda r: r[7])
        ])
    branch_rows, count = [], 0
    for _part, name, n_members, expected, present, points, below, _pos, _none in sorted(
            (row for row in found if row[0] == 0), key=lambda row: row[7]):
        branch_rows.append(BranchRow(name=name, members=int(n_members), expected=int(expected or 0),
                                     present=int(present or 0), points=int(points or 0), below=int(below or 0)))
        count += int(below or 0) if below_only else int(n_members)
    rows = ParticipationRows(rows_sql, rows_params, count, baseline=baseline, threshold=threshold, platform=platform,
                             period=period, in_scope=in_scope, prefetched=prefetched, cache_for=cache_for)
    return rows, branch_rows, config


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
