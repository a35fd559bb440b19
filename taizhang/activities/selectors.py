"""Reads of organisational life. Everything that returns people or their records is scoped by the user."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.http import Http404
from django.utils import timezone

from taizhang.activities.models import (
    Activity,
    ActivityType,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    SignUp,
    SignUpStatus,
)
from taizhang.core.permissions import EDIT, VIEW, restrict, user_scope
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.members.selectors import annotate_status
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
            picked = Activity.picked_members.through.objects.filter(member__branch_id__in=scope.branch_ids)
            q |= (
                Q(audience_branch_id__in=scope.branch_ids)
                | Q(audience_group__branch_id__in=scope.branch_ids)
                | Q(pk__in=picked.values("activity_id"))
                | Q(
                    audience_kind=AudienceKind.COMMITTEE,
                    committee_id__in=Branch.objects.filter(pk__in=scope.branch_ids).values("committee_id"),
                )
            )
    if scope.self_member and purpose == VIEW:
        member = Member.objects.filter(user=user).only("pk", "committee_id", "branch_id", "party_group_id").first()
        if member is not None:
            q |= Q(committee_id=member.committee_id) & (
                Q(audience_kind=AudienceKind.COMMITTEE)
                | Q(audience_kind=AudienceKind.BRANCH, audience_branch_id=member.branch_id)
                | Q(audience_kind=AudienceKind.PARTY_GROUP, audience_group_id=member.party_group_id)
                | Q(pk__in=Activity.picked_members.through.objects.filter(member=member).values("activity_id"))
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
    """The audience's members on the roster on ``day`` (None: today), with ``status`` and ``branch_on``.

    The branch is the one the member belonged to on that day (from the flow history); party groups
    have no history, so a party-group audience uses the members' current group.
    """
    qs = annotate_status(Member.objects.filter(committee_id=activity.committee_id), day)
    qs = qs.filter(status__in=ROSTER_STATUSES)
    kind = activity.audience_kind
    if kind == AudienceKind.BRANCH:
        qs = qs.filter(branch_on=activity.audience_branch_id)
    elif kind == AudienceKind.PARTY_GROUP:
        group = activity.audience_group
        qs = qs.filter(party_group_id=group.pk, branch_on=group.branch_id)
    elif kind == AudienceKind.PICKED:
        qs = qs.filter(pk__in=activity.picked_members.through.objects.filter(activity=activity).values("member_id"))
    return qs


def expected_attendees(activity: Activity, *, user=None):
    """应到: the audience's members who were on the roster on the activity's date.

    A member registered after the activity, or transferred out before it, is not expected. With
    ``user`` the list is limited to the members that user may see.
    """
    qs = audience_members(activity, activity.date)
    if user is not None:
        qs = restrict(qs, user, VIEW)
    return qs


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


def live_signups(activity: Activity):
    """Signed-up members first, then the waiting list in order (for staff holding the activity)."""
    return (
        SignUp.objects.filter(activity=activity)
        .exclude(status=SignUpStatus.CANCELLED)
        .select_related("member")
        .order_by("status", "signed_up_at", "id")  # "signed_up" sorts before "waitlisted"
    )


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


def attendance_ledger(activity: Activity, *, user=None) -> AttendanceLedger:
    """Expected, present, on leave and absent (by reason) for ``activity``; with ``user``, only the
    members that user may see. An expected member without an attendance row counts as absent with
    no recorded reason. Two queries, whatever the size of the audience."""
    expected = set(expected_attendees(activity, user=user).values_list("pk", flat=True))
    rows = Attendance.objects.filter(activity=activity)
    if user is not None:
        rows = restrict(rows, user, VIEW, committee="member__committee", branch="member__branch", member="member")
    recorded = {m: (s, r) for m, s, r in rows.values_list("member_id", "status", "absence_reason")}
    ledger = AttendanceLedger(expected=len(expected))
    reasons = Counter()
    for member_id in expected:
        status, reason = recorded.get(member_id, (AttendanceStatus.ABSENT, ""))
        if status == AttendanceStatus.PRESENT:
            ledger.present += 1
        elif status == AttendanceStatus.LEAVE:
            ledger.leave += 1
        else:
            ledger.absent += 1
            reasons[reason] += 1
    ledger.present_not_expected = sum(
        1 for m, (s, _r) in recorded.items() if s == AttendanceStatus.PRESENT and m not in expected
    )
    ledger.absent_by_reason = dict(reasons.most_common())
    return ledger


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
    scope = user_scope(user, EDIT)
    ids = set(scope.branch_ids)
    if scope.committee_ids:
        ids |= set(Branch.objects.filter(committee_id__in=scope.committee_ids).values_list("pk", flat=True))
    return ids


def expected_counts(activities, *, user=None) -> dict:
    """应到 for several activities at once: {activity pk: number expected}, with ``user`` only the
    members that user may see. A constant number of queries (see ``expected_pairs``)."""
    activities = list(activities)
    if not activities:
        return {}
    members = Member.objects.filter(committee_id__in={a.committee_id for a in activities})
    if user is not None:
        members = restrict(members, user, VIEW)
    counts = dict.fromkeys((a.pk for a in activities), 0)
    for activity, _member_id in expected_pairs(activities, members):
        counts[activity.pk] += 1
    return counts


def expected_pairs(activities, members):
    """(activity, member id) for every member of ``members`` (a Member queryset) who was expected at
    each of ``activities`` (应到): in the audience and on the roster on the activity's date.

    The same reading of the roster as ``audience_members``, for many activities at once in a constant
    number of queries: the members' effective flow histories are read once and each activity's roster
    on its date is found in Python.
    """
    from bisect import bisect_right

    from taizhang.members.models import FlowEvent
    from taizhang.organisation.models import PartyGroup

    activities = list(activities)
    if not activities:
        return
    info = {pk: (committee_id, group_id)
            for pk, committee_id, group_id in members.values_list("pk", "committee_id", "party_group_id")}
    history: dict[int, tuple[list, list]] = {}
    events = (
        FlowEvent.objects.effective()
        .filter(member_id__in=list(info))
        .order_by("member_id", "effective_date", "id")
        .values_list("member_id", "effective_date", "status_after", "branch_after_id")
    )
    for member_id, day, status, branch_id in events:
        dates, states = history.setdefault(member_id, ([], []))
        dates.append(day)
        states.append((status, branch_id))
    picked: dict[int, set] = {}
    picked_ids = [a.pk for a in activities if a.audience_kind == AudienceKind.PICKED]
    if picked_ids:
        through = Activity.picked_members.through.objects.filter(activity_id__in=picked_ids)
        for activity_id, member_id in through.values_list("activity_id", "member_id"):
            picked.setdefault(activity_id, set()).add(member_id)
    group_ids = {a.audience_group_id for a in activities if a.audience_group_id}
    group_branch = dict(PartyGroup.objects.filter(pk__in=group_ids).values_list("pk", "branch_id")) if group_ids else {}
    roster = set(ROSTER_STATUSES)
    for activity in activities:
        day = activity.date
        kind = activity.audience_kind
        for member_id, (dates, states) in history.items():
            committee_id, group_id = info[member_id]
            if committee_id != activity.committee_id:
                continue
            i = bisect_right(dates, day)
            if not i:
                continue
            status, branch_id = states[i - 1]
            if status not in roster:
                continue
            if kind == AudienceKind.BRANCH and branch_id != activity.audience_branch_id:
                continue
            if kind == AudienceKind.PARTY_GROUP and (
                group_id != activity.audience_group_id or branch_id != group_branch.get(activity.audience_group_id)
            ):
                continue
            if kind == AudienceKind.PICKED and member_id not in picked.get(activity.pk, ()):
                continue
            yield activity, member_id
