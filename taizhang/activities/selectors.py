"""Reads of organisational life. Everything that returns people or their records is scoped by the user."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from taizhang.activities import tallies
from taizhang.activities.models import (
    Activity,
    ActivityType,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    SignUp,
    SignUpStatus,
)
from taizhang.core import generations
from taizhang.core.paging import CountedPaginator, GroupedRows
from taizhang.core.permissions import (
    EDIT,
    VIEW,
    branches_for,
    committee_ids_for,
    committee_wide,
    own_member,
    restrict,
    user_scope,
)
from taizhang.members import audience
from taizhang.members.models import Member
from taizhang.organisation.models import Branch

# --- activities ---------------------------------------------------------------------------------


def activity_scope_q(user, purpose: str = VIEW) -> Q:
    """Which activities ``user`` may see (VIEW) or manage (EDIT).

    * committee-wide roles: every activity of their committee;
    * branch roles: activities their branch organises or whose audience includes their branch or
      its members, and (VIEW only) the committee's activities for everyone;
    * a member (VIEW only): the activities they are invited to, signed up for or attended.
    """
    scope = user_scope(user, purpose)
    q = Q(pk__in=[])
    if scope.committee_ids:
        q |= Q(committee_id__in=scope.committee_ids)
    if scope.branch_ids:
        q |= Q(organiser_branch_id__in=scope.branch_ids)
        if purpose == VIEW:
            q |= audience.for_branches_q(Activity, scope.branch_ids) | Q(
                audience_kind=AudienceKind.COMMITTEE, committee_id__in=committee_ids_for(user, purpose)
            )
    if scope.self_member and purpose == VIEW:
        member = own_member(user)
        if member is not None:
            q |= Q(committee_id=member.committee_id) & (
                audience.for_member_q(Activity, member)
                | Q(pk__in=SignUp.objects.filter(member=member).values("activity_id"))
                | Q(pk__in=Attendance.objects.filter(member=member).values("activity_id"))
            )
    return q


def activity_queryset(user, purpose: str = VIEW):
    """The activities ``user`` may see (or manage), newest first, ready for lists."""
    return (
        Activity.objects.filter(activity_scope_q(user, purpose))
        .select_related("activity_type", "organiser_branch", "audience_branch", "audience_group")
    )


def _count(model, user=None, **filters):
    """A per-activity count as a subquery (one query for the whole list)."""
    qs = model.objects.filter(activity=OuterRef("pk"), **filters)
    if user is not None:
        qs = restrict(qs, user, VIEW, committee="member__committee", branch="member__branch", member="member")
    return Coalesce(Subquery(qs.order_by().values("activity").annotate(n=Count("pk")).values("n")[:1],
                             output_field=IntegerField()), 0)


def activity_list_queryset(user):
    """The staff list's activities (``activity_queryset``) with their counts as subqueries (one query for a
    page): ``n_signed``, ``n_waiting``, ``n_present`` (of the members the user may see) and ``n_picked``. The
    activity list page and the API's list read it; ``expected_counts`` adds 应到 for a page's past ones."""
    return activity_queryset(user).annotate(
        n_signed=_count(SignUp, status=SignUpStatus.SIGNED_UP),
        n_waiting=_count(SignUp, status=SignUpStatus.WAITLISTED),
        n_present=_count(Attendance, user=user, status=AttendanceStatus.PRESENT),
        n_picked=Coalesce(Subquery(
            Activity.picked_members.through.objects.filter(activity=OuterRef("pk")).order_by()
            .values("activity").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0),
    )


def activity_get(user, pk, purpose: str = VIEW) -> Activity:
    activity = activity_queryset(user, purpose).filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def activity_types(committee, *, include_inactive: bool = False):
    types = ActivityType.objects.filter(committee=committee)
    return types if include_inactive else types.filter(active=True)


# --- who is invited and who is expected -----------------------------------------------------------


def audience_members(activity: Activity, day: datetime.date | None = None):
    """The audience's members on the roster on ``day`` (None: today), with ``status`` and ``branch_on``
    (``members.audience.members_on``: the branch is the one the member belonged to on that day; party
    groups have no history, so a party-group audience uses the members' current group)."""
    return audience.members_on(activity, day)


def expected_attendees(activity: Activity, *, user=None):
    """应到: the audience's members who were on the roster on the activity's date.

    A member registered after the activity, or transferred out before it, is not expected. With
    ``user`` the list is limited to the members that user may see.
    """
    return audience.members_on(activity, activity.date, user=user)


def expected_spells(activity: Activity, *, user=None):
    """The roster spells of ``expected_attendees`` (one per expected member, ``members.audience.spells_on``):
    what the 应到 count and "was this member expected" read, without the member rows."""
    return audience.spells_on(activity, activity.date, user=user)


def is_invited(activity: Activity, member: Member, day: datetime.date | None = None) -> bool:
    """May ``member`` sign up: in the audience and on the roster on ``day`` (None: today)."""
    if day is not None and day >= timezone.localdate():
        day = None  # today's state is a join on the latest event, not a subquery
    return audience_members(activity, day).filter(pk=member.pk).exists()


# --- sign-ups and attendance ----------------------------------------------------------------------


def signup_queryset(user, activity: Activity | None = None):
    qs = restrict(SignUp.objects.all(), user, VIEW, committee="member__committee", branch="member__branch",
                  member="member")
    if activity is not None:
        qs = qs.filter(activity=activity)
    return qs.select_related("member", "member__branch", "recorded_by")


def live_signups(user, activity: Activity):
    """The sign-ups of ``activity`` that ``user`` may see and that are not cancelled: signed-up members
    first, then the waiting list in order (the activity page's list for staff)."""
    return (signup_queryset(user, activity).exclude(status=SignUpStatus.CANCELLED)
            .order_by("status", "signed_up_at", "id"))  # "signed_up" sorts before "waitlisted"


def attendance_queryset(user, activity: Activity | None = None, purpose: str = VIEW):
    qs = restrict(Attendance.objects.all(), user, purpose, committee="member__committee",
                  branch="member__branch", member="member")
    if activity is not None:
        qs = qs.filter(activity=activity)
    return qs.select_related("member", "activity", "activity__activity_type", "recorded_by")


def last_attendance_day(member: Member) -> datetime.date | None:
    """The day of the member's latest attended activity (attendance is contact with the organisation)."""
    latest = Attendance.objects.filter(member=member, status=AttendanceStatus.PRESENT).aggregate(
        at=Max("activity__starts_at")
    )["at"]
    return timezone.localdate(latest) if latest else None


@dataclass
class AttendanceLedger:
    """The attendance ledger of one activity (应到 / 实到 / 请假 / 缺席)."""

    expected: int = 0
    present: int = 0
    leave: int = 0
    absent: int = 0
    absent_by_reason: dict = field(default_factory=dict)  # reason code ("" = not recorded) -> count
    present_not_expected: int = 0  # walk-ins from outside the audience

    @property
    def rate(self) -> float | None:
        """Share of the expected who were present (None when nobody was expected)."""
        return self.present / self.expected if self.expected else None


def expected_count(activity: Activity, *, user=None) -> int:
    """应到 of ``activity`` (with ``user``: of the members that user may see): the count of
    ``expected_spells``. For an audience of the whole committee or one branch the answer reads nothing but the
    roster (the spells of the day and the members' current branch for the scope), so it is cached under the
    committee's roster generation (``core.generations``, renewed by ``members.generations.roster_changed``: every write that changes the spells or a member's
    branch gives the committee a new one in its transaction), the activity's audience and day and the user's
    scope; a committee-wide activity of 200,000 members is then counted once per roster change, not per page.
    Party-group and picked audiences (whose members change without a roster write) and a member's own login
    are counted every time."""

    def compute():
        return expected_spells(activity, user=user).order_by().count()

    if activity.audience_kind not in (AudienceKind.COMMITTEE, AudienceKind.BRANCH):
        return compute()
    parts = [activity.pk, activity.audience_kind, activity.audience_branch_id, activity.date.isoformat(),
             timezone.localdate().isoformat()]  # a day after today is read as today
    if user is not None:
        scope = user_scope(user, VIEW)
        if scope.self_member or scope.empty:
            return compute()
        parts += [sorted(scope.committee_ids), sorted(scope.branch_ids)]
    return generations.cached("activity-expected", parts, [activity.committee_id], compute)


def attendance_ledger(activity: Activity, *, user=None) -> AttendanceLedger:
    """Expected, present, on leave and absent (by reason) for ``activity``; with ``user``, only the
    members that user may see. An expected member without an attendance row counts as absent with
    no recorded reason. SQL aggregates (two queries: the expected count, and the activity's attendance rows
    grouped by status, reason and whether the member was expected), whatever the size of the audience."""
    ledger = AttendanceLedger(expected=expected_count(activity, user=user))
    rows = Attendance.objects.filter(activity=activity)
    if user is not None:
        rows = restrict(rows, user, VIEW, committee="member__committee", branch="member__branch", member="member")
    # Whether each recorded member was expected: a lookup per attendance row (the member's spell on the day, by
    # the spells' (member, from) index), so the cost follows the activity's records, not the audience. The
    # rows are already limited to the user's scope, the same scope as the expected members'.
    expected = expected_spells(activity).filter(member_id=OuterRef("member_id"))
    reasons = Counter()
    recorded = 0
    grouped = (rows.order_by().annotate(was_expected=Exists(expected))
               .values_list("status", "absence_reason", "was_expected").annotate(n=Count("pk")))
    for status, reason, was_expected, n in grouped.values_list("status", "absence_reason", "was_expected", "n"):
        if not was_expected:
            if status == AttendanceStatus.PRESENT:
                ledger.present_not_expected += n
            continue
        recorded += n
        if status == AttendanceStatus.PRESENT:
            ledger.present += n
        elif status == AttendanceStatus.LEAVE:
            ledger.leave += n
        else:
            reasons[reason or ""] += n
    if ledger.expected - recorded:
        reasons[""] += ledger.expected - recorded  # expected without a record: absent, no reason
    ledger.absent = ledger.expected - ledger.present - ledger.leave
    ledger.absent_by_reason = dict(reasons.most_common())
    return ledger


def expected_by_branch(activity, user, count: int):
    """The ids of the expected members ``user`` may see, in the ledger's order (branch, pinyin, id), read a
    page at a time branch by branch (``GroupedRows``): each branch's expected members in the order of the
    members' index (committee, branch, pinyin, id), each checked against the roster spells as it is read, so
    a page reads its own rows, not a sort of the whole committee. Branches sharing a sort order are one group
    (their members interleave by pinyin). Only the branches the user may see (and a member login's own) are
    read; deeper pages count each branch's expected members first (one query)."""
    spells = expected_spells(activity, user=user).order_by().values("member_id")
    members = Member.objects.filter(committee_id=activity.committee_id, pk__in=spells)
    branches = branches_for(user, VIEW).filter(committee_id=activity.committee_id)
    own = own_member(user)
    if own is not None and own.committee_id == activity.committee_id:
        branches = Branch.objects.filter(Q(pk__in=branches.values("pk")) | Q(pk=own.branch_id))
    by_order = {}
    for pk, sort_order in branches.order_by("sort_order", "id").values_list("pk", "sort_order"):
        by_order.setdefault(sort_order, []).append(pk)
    groups = list(by_order.values())

    def counts():
        n = dict(members.order_by().values_list("branch_id").annotate(n=Count("pk")))
        return [sum(n.get(pk, 0) for pk in group) for group in groups]

    return GroupedRows([members.filter(branch_id__in=group) for group in groups], count, counts,
                       order=("name_pinyin", "id"), whole=members.order_by("branch__sort_order", "name_pinyin", "id"))


def ledger_page(activity: Activity, user, page_number, expected_count: int, *, size: int):
    """One page of the attendance ledger (the activity page and the API): the expected members of the page
    (with or without a record), and on the last page the walk-ins (at most a page of them; ``walk_ins_more``
    says how many are not shown). Returns (page, rows, walk_ins_more); rows are dicts (member, attendance,
    expected). Its cost follows the page, not the audience (a committee-wide activity expects every member):
    the page's ids are read from the roster spells and the members' narrow index, then the page's rows by
    id; the count is the ledger's 应到 (``expected_count``), not counted again."""
    order = ("branch__sort_order", "name_pinyin", "id")
    ids = expected_by_branch(activity, user, expected_count)
    page = CountedPaginator(ids, size, count=expected_count).get_page(page_number)
    page_ids = list(page.object_list)
    members = Member.objects.filter(pk__in=page_ids).select_related("branch").order_by(*order)
    records = {a.member_id: a for a in attendance_queryset(user, activity).filter(member_id__in=page_ids)}
    rows = [{"member": m, "attendance": records.get(m.pk), "expected": True} for m in members]
    more = 0
    if not page.has_next():
        expected = expected_spells(activity).filter(member_id=OuterRef("member_id"))
        walk_ins = (attendance_queryset(user, activity).select_related("member__branch")
                    .filter(~Exists(expected)).order_by("member__name_pinyin", "id"))
        shown = list(walk_ins[:size])
        rows += [{"member": a.member, "attendance": a, "expected": False} for a in shown]
        if len(shown) == size:
            more = walk_ins.count() - size
    return page, rows, more


# --- summaries --------------------------------------------------------------------------------------


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def activities_between(date_from: datetime.date, date_to: datetime.date, *, committee=None, user=None):
    """Activities not cancelled that start on a day in [date_from, date_to] (local dates)."""
    qs = Activity.objects.filter(
        cancelled=False,
        starts_at__gte=_day_start(date_from),
        starts_at__lt=_day_start(date_to + datetime.timedelta(days=1)),
    )
    if committee is not None:
        qs = qs.filter(committee=committee)
    if user is not None:
        qs = qs.filter(activity_scope_q(user, VIEW))
    return qs


def activity_summary(date_from: datetime.date, date_to: datetime.date, *, committee=None, user=None) -> dict:
    """The seed's kind of summary: activities by type and present attendances in a period.

    ``by_type`` lists the types that occur, in the types' order; types of several committees with
    the same name are added together.
    """
    activities = activities_between(date_from, date_to, committee=committee, user=user)
    rows = (
        activities.order_by()
        .values_list("activity_type__name", "activity_type__sort_order")
        .annotate(n=Count("pk"))
    )
    counts, order = Counter(), {}
    for name, sort_order, n in rows:
        counts[name] += n
        order[name] = min(sort_order, order.get(name, sort_order))
    attendances = Attendance.objects.filter(activity__in=activities, status=AttendanceStatus.PRESENT)
    if user is not None:
        attendances = restrict(attendances, user, VIEW, committee="member__committee", branch="member__branch",
                               member="member")
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "by_type": {name: counts[name] for name in sorted(counts, key=lambda n: (order[n], n))},
        "attendances": attendances.count(),
    }


def manageable_branch_ids(user) -> set:
    """Branches whose activities ``user`` may organise (committee-wide roles: every branch)."""
    return set(branches_for(user, EDIT).values_list("pk", flat=True))


def expected_counts(activities, *, user=None) -> dict:
    """应到 for several activities at once: {activity pk: number expected}, with ``user`` only the
    members that user may see. One query (see ``_roster_changes``), whatever the number of members."""
    activities = list(activities)
    if not activities:
        return {}
    committee_ids = {a.committee_id for a in activities}
    members = None  # every member of the activities' committees
    if user is not None and not all(committee_wide(user, c, VIEW) for c in committee_ids):
        members = restrict(Member.objects.filter(committee_id__in=committee_ids), user, VIEW)
    return _counts_from_changes(activities, members)


def expected_pairs(activities, members):
    """(activity, member id, branch on the day) for every member of ``members`` (a Member queryset)
    who was expected at each of ``activities`` (应到): in the audience and on the roster on the
    activity's date. The branch is the one the member belonged to on that day. One query."""
    activities = list(activities)
    if not activities:
        return
    by_pk = {a.pk: a for a in activities}
    for activity_id, member_id, branch_id in expected_pairs_rows(activities, members):
        yield by_pk[activity_id], member_id, branch_id


# How 应到 is read for many activities at once (one implementation, SQLite and PostgreSQL).
#
# A member is expected at an activity if on the activity's local date they were on the roster
# (``ROSTER_STATUSES``) and the audience includes them: the rule of ``members.audience`` (whole committee;
# the branch they belonged to on that day; a party group, their current group with the group's branch on
# that day; or the picked members). Who was on the roster when, and in which branch, is the roster
# projection (``members.models.RosterSpell``, kept in step with the flow events): a spell's state holds
# from d0 (valid_from) until the day before d1 (valid_to, ``OPEN_END`` while it lasts), so the member is
# on the roster on day D with that state if d0 <= D < d1.
#
# The readings below share one walk (``_expected_spans``), in at most three queries: the members'
# roster spells, the groups' branches and the picked members. Each spell is matched with the activities
# on the days it covers (bisection in the activities of its committee, branch, group or picks: the
# audience keys of ``members.audience``), so the work grows with the answer.


@dataclass
class _Audiences:
    """The activities by audience key (``members.audience.audience_key``), each list in date order."""

    activities: dict  # key -> [activity]
    days: dict  # key -> [date]
    by_pk: dict  # activity pk -> activity


def _expected_spans(activities, members):
    """The shared walk of the 应到 reading of ``members`` (a Member queryset; None: every member of the
    activities' committees) at ``activities`` (objects with ``pk``, ``date``, ``committee_id`` and the
    audience fields): (audiences, spans), spans yielding (member pk, branch on the days, spell start,
    spell end, audience key, first, last) for every roster spell and audience with activities on the
    spell's days: ``audiences.activities[key][first:last]`` are the activities the member was expected
    at in it. (None, ()) when there is nothing to read."""
    from bisect import bisect_left
    from collections import defaultdict

    from django.core.exceptions import EmptyResultSet

    from taizhang.organisation.models import PartyGroup

    activities = sorted(activities, key=lambda a: (a.date, a.pk))
    if not activities:
        return None, ()
    try:
        intervals, params = audience.roster_spells_sql(members, activities[0].date, activities[-1].date,
                                                       {a.committee_id for a in activities}, group=True)
    except EmptyResultSet:  # nobody in scope
        return None, ()
    groups = {a.audience_group_id for a in activities if a.audience_kind == AudienceKind.PARTY_GROUP}
    group_branch = dict(PartyGroup.objects.filter(pk__in=groups).values_list("pk", "branch_id")) if groups else {}
    by_key = defaultdict(list)  # key -> activities in date order
    picked_ids = []
    for a in activities:
        key = audience.audience_key(a, group_branch.get(a.audience_group_id))
        if key is None:
            picked_ids.append(a.pk)
        else:
            by_key[key].append(a)
    by_pk = {a.pk: a for a in activities}
    if picked_ids:
        through = Activity.picked_members.through.objects.filter(activity_id__in=picked_ids)
        if members is not None:  # only the picks of the members read (one member's profile: not every pick)
            through = through.filter(member_id__in=members.order_by().values("pk"))
        picked_keys = set()
        for activity_id, member_id in through.values_list("activity_id", "member_id"):
            activity = by_pk[activity_id]
            key = audience.picked_key(activity.committee_id, member_id)
            by_key[key].append(activity)
            picked_keys.add(key)
        for key in picked_keys:
            by_key[key].sort(key=lambda a: (a.date, a.pk))
    audiences = _Audiences(activities=by_key, days={key: [a.date for a in acts] for key, acts in by_key.items()},
                           by_pk=by_pk)

    def spans():
        days = audiences.days
        for member_id, _status, branch_id, start, end, committee_id, group_id in tallies.fetch(
                f"SELECT t.mid, t.st, t.br, t.d0, t.d1, t.cid, t.gid FROM ({intervals}) t", params):
            start, end = tallies.as_date(start), tallies.as_date(end)  # SQLite gives raw SQL's dates as text
            for key in audience.member_keys(committee_id, branch_id, group_id, member_id):
                dates = days.get(key)
                if not dates:
                    continue
                first = bisect_left(dates, start)
                last = bisect_left(dates, end)
                if first < last:
                    yield member_id, branch_id, start, end, key, first, last

    return audiences, spans()


def expected_pairs_rows(activities, members) -> list:
    """应到 as rows: every (activity pk, member pk, branch on the day) of ``members`` (a Member queryset;
    None: every member of the activities' committees) expected at ``activities``. One query (see
    ``_expected_spans``)."""
    audiences, spans = _expected_spans(activities, members)
    pairs = []
    for member_id, branch_id, _start, _end, key, first, last in spans:
        pairs.extend((activity.pk, member_id, branch_id) for activity in audiences.activities[key][first:last])
    return pairs


def expected_per_member(activities, members) -> list:
    """应到 per member: [(member pk, number of ``activities`` they were expected at)]."""
    from collections import defaultdict

    _audiences, spans = _expected_spans(activities, members)
    counts = defaultdict(int)
    for member_id, _branch_id, _start, _end, _key, first, last in spans:
        counts[member_id] += last - first
    return list(counts.items())


def _roster_changes(activities, members):
    """How the roster changed, in one query: rows (part, key, branch, day, n).

    Part 0: n members came on the roster of (committee ``key``, branch) on that day; part 1: n left
    it (to another branch, or off the roster). Parts 3 and 4: the same for the members of the party
    group ``key`` (only the groups the activities are for). Part 2: (activity pk ``key``, n) the
    number of its picked members on the roster on its day. Summing parts 0 and 1 (3 and 4) up to a day
    gives the roster of a branch (group) on that day, so what comes back grows with the number of days
    with changes, not with the number of members. The histories are walked once (a CTE).
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    q = connection.ops.quote_name
    through = Activity.picked_members.through._meta.db_table
    group_ids = sorted({a.audience_group_id for a in activities if a.audience_kind == AudienceKind.PARTY_GROUP})
    picked = [a for a in activities if a.audience_kind == AudienceKind.PICKED]
    try:
        until = max(a.date for a in activities)
        intervals, params = audience.roster_spells_sql(members, min(a.date for a in activities), until,
                                                       {a.committee_id for a in activities})
        acts, acts_params = (tallies.activities_sql(Activity.objects.filter(pk__in=[a.pk for a in picked]))
                             if picked else ("", ()))
    except EmptyResultSet:  # nobody in scope
        return []
    sql = f"WITH t AS ({intervals})"
    if picked:
        # The picks of the activities first (a few per activity), kept apart (MATERIALIZED on PostgreSQL)
        # so the planner hashes them and scans the spells once, instead of pairing every spell with
        # every picked activity and probing the picks for each pair.
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        sql += (
            f", pk AS {materialized}(SELECT a.aid, a.acid, a.day, p.{q('member_id')} AS mid FROM ({acts}) a"
            f" INNER JOIN {q(through)} p ON p.{q('activity_id')} = a.aid)"
        )
        params += acts_params
    sql += (
        " SELECT 0, t.cid, t.br, t.d0, COUNT(*) FROM t GROUP BY t.cid, t.br, t.d0"
        " UNION ALL SELECT 1, t.cid, t.br, t.d1, COUNT(*) FROM t WHERE t.d1 <= %s GROUP BY t.cid, t.br, t.d1"
    )
    params += (until,)
    if group_ids:
        members_table, in_groups = q(Member._meta.db_table), ", ".join(["%s"] * len(group_ids))
        for part, day in ((3, "t.d0"), (4, "t.d1")):
            sql += (
                f" UNION ALL SELECT {part}, g.{q('party_group_id')}, t.br, {day}, COUNT(*) FROM t"
                f" INNER JOIN {members_table} g ON g.{q('id')} = t.mid"
                f" WHERE g.{q('party_group_id')} IN ({in_groups}) AND {day} <= %s"
                f" GROUP BY g.{q('party_group_id')}, t.br, {day}"
            )
            params += (*group_ids, until)
    if picked:
        sql += (
            " UNION ALL SELECT 2, pk.aid, MIN(t.br), MIN(pk.day), COUNT(*) FROM pk"
            " INNER JOIN t ON t.mid = pk.mid AND t.cid = pk.acid AND t.d0 <= pk.day AND t.d1 > pk.day"
            " GROUP BY pk.aid"
        )
    return tallies.fetch(sql, params)


def _counts_from_changes(activities, members) -> dict:
    from bisect import bisect_right
    from itertools import accumulate

    from taizhang.organisation.models import PartyGroup

    counts = dict.fromkeys((a.pk for a in activities), 0)
    changes: dict[tuple, dict] = {}  # (committee, branch) or ("group", group, branch) -> {day: net change}
    for part, key, branch_id, day, n in _roster_changes(activities, members):
        if part == 2:
            counts[key] = n
            continue
        day = tallies.as_date(day)  # SQLite returns the dates of a UNION as text
        per_day = changes.setdefault((key, branch_id) if part in (0, 1) else ("group", key, branch_id), {})
        per_day[day] = per_day.get(day, 0) + (n if part in (0, 3) else -n)
    running = {}
    for key, per_day in changes.items():
        days = sorted(per_day)
        running[key] = (days, list(accumulate(per_day[d] for d in days)))

    def on(key, day):
        days, sums = running.get(key, ((), ()))
        i = bisect_right(days, day)
        return sums[i - 1] if i else 0

    group_branch, missing = {}, set()
    for a in activities:
        if a.audience_kind == AudienceKind.PARTY_GROUP:
            if "audience_group" in a._state.fields_cache and a.audience_group is not None:
                group_branch[a.audience_group_id] = a.audience_group.branch_id
            else:
                missing.add(a.audience_group_id)
    if missing - set(group_branch):
        group_branch.update(PartyGroup.objects.filter(pk__in=missing).values_list("pk", "branch_id"))
    for a in activities:
        kind = a.audience_kind
        if kind == AudienceKind.COMMITTEE:
            counts[a.pk] = sum(on(key, a.date) for key in running if len(key) == 2 and key[0] == a.committee_id)
        elif kind == AudienceKind.BRANCH:
            counts[a.pk] = on((a.committee_id, a.audience_branch_id), a.date)
        elif kind == AudienceKind.PARTY_GROUP:
            counts[a.pk] = on(("group", a.audience_group_id, group_branch.get(a.audience_group_id)), a.date)
    return counts
