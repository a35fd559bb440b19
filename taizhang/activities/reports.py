"""Participation reports of organisational life: by type, by branch, by member, expected vs done.

Who was expected (应到) at an activity is never stored (see ``models``): it is the audience's members
on the roster on the activity's day. Asking the database that once per activity and member would
cost a query each; instead ``participation`` (and one member's ``activity_profile``) asks the database
for SQL aggregates (``tallies``) that match the roster spells (the projection of the flow history,
``members.models.RosterSpell``) with the activities on the days they cover (the rule of
``members.audience``), so the work grows with the spells and the records, not with members × activities.

Everything is limited to what the viewer may see: activities through ``selectors.activity_scope_q``
and members through ``restrict``. Only activities that have started count (a planned activity has no
absentees yet); cancelled activities never count.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.activities import tallies, tally_projection
from taizhang.activities.models import Activity, ActivityType, Attendance, AttendanceStatus, AudienceKind
from taizhang.activities.selectors import activities_between, expected_pairs
from taizhang.core import generations
from taizhang.core.paging import LazyRows
from taizhang.core.permissions import VIEW, branches_for, committee_wide, committees_for, restrict
from taizhang.members.models import Member
from taizhang.organisation.models import Branch, Committee

FIRST_FOUR_YEARS = (datetime.date(2017, 9, 1), datetime.date(2021, 8, 31))


# --- periods ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    date_from: datetime.date
    date_to: datetime.date


def period_presets(committee: Committee | None, today: datetime.date | None = None) -> list[Preset]:
    """今年 / 去年 / 成立以来 / 前四年 (the seed's four years)."""
    today = today or timezone.localdate()
    founded = committee.founded_on if committee is not None else FIRST_FOUR_YEARS[0]
    return [
        Preset("this_year", _("This year"), datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)),
        Preset("last_year", _("Last year"), datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)),
        Preset("since_founding", _("Since the founding"), founded, today),
        Preset("first_four_years", _("The first four years"), *FIRST_FOUR_YEARS),
    ]


def report_committee(user) -> Committee | None:
    """The committee whose reports ``user`` reads (their committee role's, else their branch's)."""
    committees = list(committees_for(user, VIEW))
    wide = [c for c in committees if committee_wide(user, c, VIEW)]
    return (wide or committees or [None])[0]


def report_branches(user) -> list[Branch]:
    """The branches whose rows ``user`` sees in the per-branch table."""
    return list(branches_for(user, VIEW).order_by("committee_id", "sort_order", "id"))


# --- the activities of a report ------------------------------------------------------------------------


def last_start(committee_ids, now: datetime.datetime) -> datetime.datetime:
    """The start of the committees' latest activity (not cancelled) that has started by ``now``, or a fixed day
    long past when none has: "started by ``now``" and "started by this" pick the same activities, and the
    answer changes only when another activity starts, so the reports' queries (and their cache keys, see
    ``tallies.fetch_cached``) stay the same from one request to the next. One indexed query."""
    latest = (Activity.objects.filter(committee_id__in=committee_ids, cancelled=False, starts_at__lte=now)
              .aggregate(m=Max("starts_at"))["m"])
    return latest or LONG_AGO


LONG_AGO = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)


def held_activities(user, date_from: datetime.date, date_to: datetime.date, *, now=None):
    """Activities in the period the user may see that are not cancelled and have started."""
    now = now or timezone.now()
    return activities_between(date_from, date_to, user=user).filter(starts_at__lte=now)


def by_type(user, date_from: datetime.date, date_to: datetime.date, *, now=None) -> list[dict]:
    """[{"name", "activities", "attendances"}] in the types' order: the seed's kind of summary.

    Two grouped queries, cached under the generations of the activities (activities, their types, attendance)
    and the roster (the members' branches) of the user's committees, the user, the period and ``last_start``.
    Attendances are present attendances of members the user may see.
    """
    committee_ids = sorted(committees_for(user, VIEW).values_list("pk", flat=True))
    now = last_start(committee_ids, now or timezone.now())
    parts = ["1", user.pk, date_from, date_to, now.isoformat()]
    return generations.cached("activity-types-tally", parts, committee_ids,
                              lambda: _by_type(user, date_from, date_to, now),
                              kinds=(generations.ROSTER, generations.ACTIVITIES))


def _by_type(user, date_from: datetime.date, date_to: datetime.date, now) -> list[dict]:
    activities = held_activities(user, date_from, date_to, now=now)
    counts, order = Counter(), {}
    rows = activities.order_by().values_list("activity_type__name", "activity_type__sort_order").annotate(n=Count("pk"))
    for name, sort_order, n in rows:
        counts[name] += n
        order[name] = min(sort_order, order.get(name, sort_order))
    present = restrict(
        Attendance.objects.filter(activity__in=activities.values("pk"), status=AttendanceStatus.PRESENT),
        user, VIEW, committee="member__committee", branch="member__branch", member="member",
    )
    attended = Counter()
    for name, n in present.order_by().values_list("activity__activity_type__name").annotate(n=Count("pk")):
        attended[name] += n
    return [
        {"name": name, "activities": counts[name], "attendances": attended[name]}
        for name in sorted(counts, key=lambda n: (order[n], n))
    ]


# --- participation (应到 / 实到 / 请假 / 缺席) ------------------------------------------------------------


@dataclass
class Tally:
    """应到 / 实到 / 请假 / 缺席 for a member or a branch.

    ``present`` counts attendances while expected; ``extra`` counts attendances where the member was
    not in the audience (walk-ins). The rate is present / expected.
    """

    expected: int = 0
    present: int = 0
    leave: int = 0
    absent: int = 0
    extra: int = 0

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def rate_percent(self) -> int | None:
        rate = self.rate
        return None if rate is None else round(rate * 100)

    def add(self, other: "Tally") -> None:
        self.expected += other.expected
        self.present += other.present
        self.leave += other.leave
        self.absent += other.absent
        self.extra += other.extra


@dataclass
class MemberRow(Tally):
    member_id: int = 0
    name: str = ""
    name_pinyin: str = ""
    branch: str = ""
    last_attended: datetime.date | None = None
    types: Counter = field(default_factory=Counter)  # type name -> attended (present) count


@dataclass
class Participation:
    members: list  # [MemberRow]: members with an expectation or an attendance in the period
    branches: list  # [(Branch, Tally, organised count)]
    total: Tally


def _activity_rows(activities) -> list[dict]:
    rows = list(
        activities.order_by("starts_at", "pk").values(
            "pk", "committee_id", "starts_at", "audience_kind", "audience_branch_id", "audience_group_id",
            "audience_group__branch_id", "organiser_branch_id", "activity_type__name",
        )
    )
    for row in rows:
        row["day"] = timezone.localdate(row["starts_at"])
    return rows


def _days(acts: list[dict]) -> list:
    return [
        SimpleNamespace(pk=a["pk"], date=a["day"], committee_id=a["committee_id"], audience_kind=a["audience_kind"],
                        audience_branch_id=a["audience_branch_id"], audience_group_id=a["audience_group_id"])
        for a in acts
    ]


def _expected(acts: list[dict], members) -> dict:
    """{(activity pk, member pk): branch on the day} for the expected (应到) pairs: the one shared
    reading (``selectors.expected_pairs``). For a few members (their work grows with the pairs)."""
    return {(activity.pk, member_id): branch_id
            for activity, member_id, branch_id in expected_pairs(_days(acts), members)}


def member_row(mid, name, pinyin, branch, n, pr, lv, ab, ex, last) -> MemberRow:
    return MemberRow(member_id=mid, name=name, name_pinyin=pinyin, branch=branch, expected=n, present=pr, leave=lv,
                     absent=ab, extra=ex, last_attended=last)


class MemberTable(LazyRows):
    """The report's member rows (``MemberRow``), sorted and paged by the database (``tallies.member_rows``):
    ``len`` is known from the branch query, a slice (the pager's page) reads just its rows in one query and
    iterating reads them all (the export). ``sorted(key)`` gives the same rows in another order."""

    def __init__(self, with_sql, params, count: int, last_until, sort: str = "name", prefetched=None, cache_for=None):
        self.with_sql, self.params, self.count_, self.last_until, self.sort = with_sql, params, count, last_until, sort
        self.prefetched = prefetched or {}  # (sort, offset) -> (limit, rows): the page read with the tallies
        self.cache_for = cache_for  # ``tallies.fetch_cached``

    def sorted(self, sort: str) -> "MemberTable":
        return MemberTable(self.with_sql, self.params, self.count_, self.last_until, sort, self.prefetched,
                           self.cache_for)

    def _rows(self, offset: int, limit: int | None) -> list:
        if self.with_sql is None or limit == 0:
            return []
        rows = self._already_read((self.sort, offset), limit)
        return rows if rows is not None else [
            member_row(*row) for row in tallies.member_rows(
                self.with_sql, self.params, sort=self.sort, last_until=self.last_until, offset=offset, limit=limit,
                cache_for=self.cache_for)
        ]


def member_sort(key: str) -> str:
    """``key`` if it is a sort of the member table (``-key`` descending), else "name"."""
    return key if key.lstrip("-") in MEMBER_SORTS else "name"


def participation(user, date_from: datetime.date, date_to: datetime.date, *, now=None,
                  page: tuple | None = None) -> Participation:
    """Per-member and per-branch participation in the period, for the members ``user`` may see.

    SQL aggregates (``tallies``): one query for the committees in scope, one for the branch tallies and the
    number of member rows, one for the activities organised per branch and one for the branches; the member
    rows (``MemberTable``) are read a page at a time, whatever the number of members. With ``page`` (sort,
    offset, size) the page the caller will show is read in the same query as the tallies (computed once).
    """
    committees = list(committees_for(user, VIEW))
    committee_ids = sorted(c.pk for c in committees)
    now = last_start(committee_ids, now or timezone.now())
    activities = held_activities(user, date_from, date_to, now=now)
    members = restrict(Member.objects.all(), user, VIEW)
    period_end = min(now, timezone.make_aware(datetime.datetime.combine(date_to, datetime.time.max)))
    # the tallies read activities, attendance, the stored tallies, roster spells and members: cached under their
    # generations, keyed by the query itself (which holds the scope, the period, ``now`` and the projection's reach)
    cache_for = (committee_ids, (generations.ROSTER, generations.ACTIVITIES))
    # the stored months hold every activity of the committee: read only by a viewer who sees them all
    whole = all(committee_wide(user, c, VIEW) for c in committees)
    tally_sql = tally_projection.tally_sql if whole else tallies.tally_sql
    with_sql, params, by_branch, count, prefetched = None, (), {}, 0, None
    if committee_ids:
        try:
            with_sql, params = tally_sql(activities, members, date_from, date_to, committee_ids)
        except EmptyResultSet:  # nobody in scope
            with_sql = None
        if with_sql is not None and page is not None:
            sort, offset, size = page
            by_branch, count, rows = tallies.tallies_and_page(with_sql, params, sort=sort, last_until=period_end,
                                                              offset=offset, limit=size, cache_for=cache_for)
            prefetched = {(sort, offset): (size, [member_row(*row) for row in rows])}
        elif with_sql is not None:
            by_branch, count = tallies.branch_tallies(with_sql, params, cache_for)
    organised = Counter(dict(
        activities.filter(organiser_branch__isnull=False).order_by().values_list("organiser_branch_id")
        .annotate(n=Count("pk"))
    ))
    branches, total = [], Tally()
    for branch in report_branches(user):
        n, present, leave, extra = by_branch.get(branch.pk, (0, 0, 0, 0))
        tally = Tally(expected=n, present=present, leave=leave, absent=n - present - leave, extra=extra)
        branches.append((branch, tally, organised.get(branch.pk, 0)))
        total.add(tally)
    return Participation(members=MemberTable(with_sql, params, count, period_end, prefetched=prefetched,
                                             cache_for=cache_for),
                         branches=branches, total=total)


def report_member_count(user) -> int:
    """At most how many member rows ``participation`` gives ``user`` (the members they may see): one COUNT."""
    return restrict(Member.objects.all(), user, VIEW).count()


MEMBER_SORTS = {
    "name": lambda r: (r.name_pinyin, r.member_id),
    "branch": lambda r: (r.branch, r.name_pinyin),
    "expected": lambda r: (r.expected, r.name_pinyin),
    "present": lambda r: (r.present, r.name_pinyin),
    "leave": lambda r: (r.leave, r.name_pinyin),
    "absent": lambda r: (r.absent, r.name_pinyin),
    "rate": lambda r: (-1 if r.rate is None else r.rate, r.name_pinyin),
    "last": lambda r: (r.last_attended or datetime.date.min, r.name_pinyin),
}


def sort_members(rows, key: str) -> tuple:
    """Sort member rows by ``key`` (``-key`` descending); unknown keys sort by name. A ``MemberTable`` is
    sorted by the database (the same keys, ``tallies.MEMBER_ORDER``), a list in Python."""
    key = member_sort(key)
    if isinstance(rows, MemberTable):
        return rows.sorted(key), key
    return sorted(rows, key=MEMBER_SORTS[key.lstrip("-")], reverse=key.startswith("-")), key


# --- expected vs done ------------------------------------------------------------------------------------


@dataclass
class Expectation:
    type_name: str
    per_year: int
    expected: int
    held: int

    @property
    def short(self) -> bool:
        return self.held < self.expected


def prorated(per_year: int, date_from: datetime.date, date_to: datetime.date) -> int:
    """How many of a yearly expectation fall in [date_from, date_to] (rounded half up)."""
    days = (date_to - date_from).days + 1
    if days <= 0:
        return 0
    return int(per_year * days / 365 + 0.5)


def expected_vs_done(user, date_from: datetime.date, date_to: datetime.date, *, now=None) -> dict:
    """Held vs expected per organising unit and organisational-life type with an expected frequency.

    The period is cut to [the committee's founding, today]. A branch's count includes the
    committee's own activities of that type open to the whole committee or to that branch (its
    members took part in them); the committee's row counts what the committee organised and is only
    shown for types the committee itself has ever organised.
    """
    now = now or timezone.now()
    committee = report_committee(user)
    if committee is None:
        return {"types": [], "units": [], "date_from": date_from, "date_to": date_to}
    start = max(date_from, committee.founded_on)
    end = min(date_to, timezone.localdate(now))
    types = list(
        ActivityType.objects.filter(committee=committee, counts_as_org_life=True, expected_per_year__gt=0)
        .order_by("sort_order", "id")
    )
    if not types or start > end:
        return {"types": types, "units": [], "date_from": start, "date_to": end}
    held = Counter()
    activities = held_activities(user, start, end, now=now).filter(committee=committee, activity_type__in=types)
    rows = activities.order_by().values_list("organiser_branch_id", "activity_type_id", "audience_kind",
                                             "audience_branch_id").annotate(n=Count("pk"))
    wide_held = Counter()
    for organiser, type_id, audience, audience_branch, n in rows:
        held[(organiser, type_id)] += n
        if organiser is None:
            if audience == AudienceKind.COMMITTEE:
                wide_held[type_id] += n
            elif audience == AudienceKind.BRANCH:
                held[(("for", audience_branch), type_id)] += n
    committee_types = set(
        Activity.objects.filter(committee=committee, organiser_branch__isnull=True, activity_type__in=types)
        .values_list("activity_type_id", flat=True).distinct()
    )
    units = []
    if committee_wide(user, committee, VIEW):
        cells = [
            Expectation(t.name, t.expected_per_year, prorated(t.expected_per_year, start, end), held[(None, t.pk)])
            if t.pk in committee_types else None
            for t in types
        ]
        units.append({"name": committee.name, "is_committee": True, "cells": cells})
    for branch in report_branches(user):
        if branch.committee_id != committee.pk:
            continue
        cells = [
            Expectation(
                t.name, t.expected_per_year, prorated(t.expected_per_year, start, end),
                held[(branch.pk, t.pk)] + wide_held[t.pk] + held[(("for", branch.pk), t.pk)],
            )
            for t in types
        ]
        units.append({"name": branch.name, "is_committee": False, "cells": cells})
    return {"types": types, "units": units, "date_from": start, "date_to": end}


# --- one member's activity profile ------------------------------------------------------------------------


def _member_tally(member: Member, activities, since: datetime.date, until: datetime.date, now) -> MemberRow:
    """``member``'s 应到 / 实到 / 请假 / 缺席 at ``activities`` (of the member's committee, on days in [since,
    until]) and last attended day (up to ``now``): the report's SQL tallies for one member, one query."""
    try:
        with_sql, params = tallies.tally_sql(activities, Member.objects.filter(pk=member.pk), since, until,
                                             [member.committee_id])
    except EmptyResultSet:
        rows = []
    else:
        rows = tallies.member_rows(with_sql, params, sort="name", last_until=now)
    return member_row(*rows[0]) if rows else MemberRow(member_id=member.pk, name=member.name)


def activity_profile(member: Member, *, today: datetime.date | None = None) -> dict:
    """The member's dated activity profile (行为特征: 活动画像), over the last 12 months and since
    registration. The caller has already decided the viewer may see the member. Three queries (the two
    tallies and the types attended), whatever the member's history."""
    today = today or timezone.localdate()
    now = timezone.now()
    year_ago = today - datetime.timedelta(days=365)
    activities = Activity.objects.filter(committee_id=member.committee_id, cancelled=False, starts_at__lte=now)
    overall = _member_tally(member, activities, datetime.date.min, today, now)
    recent_acts = activities.filter(
        starts_at__gte=timezone.make_aware(datetime.datetime.combine(year_ago, datetime.time.min))
    )
    recent = _member_tally(member, recent_acts, year_ago, today, now)
    # every present attendance at them counts (expected or a walk-in: all are the member's committee's)
    types = Counter(dict(
        Attendance.objects.filter(member=member, status=AttendanceStatus.PRESENT, activity__in=activities)
        .values_list("activity__activity_type__name").annotate(n=Count("pk"))
        .order_by("activity__activity_type__name")
    ))
    return {
        "as_of": today,
        "since": year_ago,
        "recent": recent,
        "overall": overall,
        "last_attended": overall.last_attended,
        "types": types.most_common(),
    }


def member_attendance(member: Member, date_from: datetime.date, date_to: datetime.date, *, user=None,
                      now=None) -> list[dict]:
    """The member's line of the report, activity by activity, newest first: each activity in the
    period (that ``user`` may see) where the member was expected or attended, with 应到 (yes/no) and
    what happened."""
    now = now or timezone.now()
    activities = activities_between(date_from, date_to, committee=member.committee_id, user=user).filter(
        starts_at__lte=now
    )
    acts = _activity_rows(activities)
    expected_ids = {activity_id for activity_id, _m in _expected(acts, Member.objects.filter(pk=member.pk))}
    recorded = {
        a.activity_id: a for a in Attendance.objects.filter(member=member, activity_id__in=activities.values("pk"))
    }
    titles = dict(activities.values_list("pk", "title"))
    rows = []
    for activity in acts:
        expected = activity["pk"] in expected_ids
        attendance = recorded.get(activity["pk"])
        if not expected and not (attendance and attendance.status == AttendanceStatus.PRESENT):
            continue
        rows.append({
            "activity_id": activity["pk"],
            "day": activity["day"],
            "starts_at": activity["starts_at"],
            "title": titles[activity["pk"]],
            "type": activity["activity_type__name"],
            "expected": expected,
            "status": attendance.status if attendance else AttendanceStatus.ABSENT,
            "recorded": attendance is not None,
            "attendance": attendance,
        })
    rows.reverse()
    return rows
