"""The stored monthly tallies (``activities.tally_projection``) answer what the live SQL answers: random
histories written through the real services AFTER the committee's projection was started (so every write must
keep it current in its own transaction): members registered, moved, away, transferred out and corrected;
activities of every audience kind created in the past, moved and cancelled; attendance recorded (present,
absent, on leave, walk-ins), checked in and corrected. For random periods, the activity report (the admin and
the branch secretary) and the points participation read with the projection equal the live computation
(``TALLY_PROJECTION`` off), and the stored rows equal a rebuild from scratch."""

import datetime

from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.activities import reports, tally_projection
from taizhang.activities.models import (
    AbsenceReason,
    Activity,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    MemberMonthTally,
    TallyProjection,
)
from taizhang.activities.services import (
    AttendanceEntry,
    activity_cancel,
    activity_types_seed,
    activity_update,
    attendance_check_in,
    attendance_correct,
    attendance_record_many,
)
from taizhang.activities.tests.factories import make_activity
from taizhang.core.months import add_months, month_start
from taizhang.members.models import Member
from taizhang.members.services import member_register
from taizhang.members.tests.factories import UserFactory, grant, make_committee, member_data
from taizhang.members.tests.histories import apply_random_event
from taizhang.organisation.services import party_group_create
from taizhang.points import selectors as points
from taizhang.points.periods import Period

FOUNDED = datetime.date(2021, 1, 1)
STATUSES = [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT]
KINDS = [AudienceKind.COMMITTEE, AudienceKind.BRANCH, AudienceKind.PARTY_GROUP, AudienceKind.PICKED]

step = st.tuples(st.integers(0, 3), st.integers(0, 30), st.sampled_from([0, 1, 30, 200, 700]), st.integers(0, 2))
# (day offset, kind, branch/group, picks, then: 0 nothing, 1 move by some days, 2 cancel)
activity = st.tuples(st.integers(0, 2200), st.integers(0, 3), st.integers(0, 2), st.integers(1, 15),
                     st.integers(0, 2), st.integers(-40, 40))
# (activity, member, status, then: 0 nothing, 1 correct to another status, 2 check in)
attendance = st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 3), st.integers(0, 2))
period = st.tuples(st.integers(0, 2300), st.integers(0, 900))


def report_view(user, since, until):
    data = reports.participation(user, since, until)
    members = {r.member_id: (r.expected, r.present, r.leave, r.absent, r.extra, r.last_attended) for r in data.members}
    branches = [(b.pk, t.expected, t.present, t.leave, t.absent, t.extra) for b, t, _o in data.branches]
    paged = reports.participation(user, since, until, page=("-rate", 0, 3))
    page = [(r.member_id, r.expected, r.present) for r in paged.members.sorted("-rate")[0:3]]
    return members, branches, len(data.members), page


def points_view(user, committee, since, until):
    rows, branch_rows, _config = points.participation(user, committee, period=Period(since, until),
                                                      today=timezone.localdate())
    return [(r.member.pk, r.expected, r.present, r.points) for r in rows], branch_rows


def stored(committee):
    return sorted(MemberMonthTally.objects.filter(committee=committee).values_list(
        "member_id", "branch_id", "month", "months", "expected", "present", "leave", "extra"),
        key=lambda row: tuple((v is None, v) for v in row))


class StoredTalliesEqualTheLiveOnes(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="月度投影测试党委", founded_on=FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="projection_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        cls.secretary = UserFactory(username="projection_east")
        grant(cls.secretary, "branch_secretary", cls.committee, cls.committee.east)
        activity_types_seed(actor=cls.admin, committee=cls.committee)
        cls.groups = [party_group_create(actor=cls.admin, branch=b, name=f"第{i}党小组")
                      for i, b in enumerate(cls.branches)]

    def apply(self, member, choice, gap, branch_index):
        apply_random_event(admin=self.admin, member=member, choice=choice, gap=gap, branch_index=branch_index,
                           branches=self.branches, founded=FOUNDED)

    def record(self, activity, member, status, then):
        activity.refresh_from_db()
        reason = "" if status == AttendanceStatus.PRESENT else AbsenceReason.WORK
        before = activity.starts_at - datetime.timedelta(hours=1)
        after = activity.ends_at + datetime.timedelta(hours=1)
        try:
            if then == 2:
                attendance_check_in(actor=self.admin, activity=activity, member=member, method="staff", now=after)
                return
            attendance_record_many(actor=self.admin, activity=activity, now=before if status == "leave" else after,
                                   entries=[AttendanceEntry(member, status, reason)])
        except ValidationError:
            return
        if then == 1:
            row = Attendance.objects.get(activity=activity, member=member)
            new = STATUSES[(STATUSES.index(status) + 1) % len(STATUSES)]
            attendance_correct(actor=self.admin, attendance=row, status=new, reason="记错了",
                               absence_reason="" if new == AttendanceStatus.PRESENT else AbsenceReason.ILLNESS)

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        registrations=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 2)), min_size=4, max_size=4),
        steps=st.lists(step, max_size=8),
        activities=st.lists(activity, min_size=1, max_size=8),
        records=st.lists(attendance, max_size=14),
        late_steps=st.lists(step, max_size=3),
        periods=st.lists(period, min_size=1, max_size=3),
    )
    def test_the_projection_answers_what_the_live_sql_answers(self, registrations, steps, activities, records,
                                                              late_steps, periods):
        today = timezone.localdate()
        yesterday = today - datetime.timedelta(days=1)
        tally_projection.advance(self.committee.pk)  # projected from now on: every write below keeps it current
        assert TallyProjection.objects.get(committee=self.committee).through == month_start(today)
        members = [
            member_register(actor=self.admin, data=member_data(self.branches[b], name=f"随机{i}"), reported=True,
                            registered_on=min(FOUNDED + datetime.timedelta(days=offset), today))
            for i, (offset, b) in enumerate(registrations)
        ]
        for i, member in enumerate(members):
            Member.objects.filter(pk=member.pk).update(party_group=self.groups[(i + registrations[i][1]) % 3])
        for member_index, choice, gap, branch_index in steps:
            self.apply(members[member_index], choice, gap, branch_index)
        made = []
        for i, (offset, kind_index, unit, picks, _then, _shift) in enumerate(activities):
            kind = KINDS[kind_index]
            extra = {AudienceKind.BRANCH: {"audience_branch": self.branches[unit]},
                     AudienceKind.PARTY_GROUP: {"audience_group": self.groups[unit]},
                     AudienceKind.PICKED: {"picked_members": [m for j, m in enumerate(members) if picks >> j & 1]},
                     }.get(kind, {})
            day = min(FOUNDED + datetime.timedelta(days=offset), yesterday)
            made.append(make_activity(self.admin, self.committee, day=day, title=f"随机活动{i}", audience_kind=kind,
                                      **extra))
        for (_offset, _k, _u, _p, then, shift), act in zip(activities, made, strict=True):
            if then == 1:  # moved (before any attendance)
                day = min(max(FOUNDED, act.date + datetime.timedelta(days=shift)), yesterday)
                delta = datetime.timedelta(days=(day - act.date).days)
                activity_update(actor=self.admin, activity=act,
                                data={"starts_at": act.starts_at + delta, "ends_at": act.ends_at + delta})
        for activity_index, member_index, status_index, then in records:
            self.record(made[activity_index % len(made)], members[member_index], STATUSES[status_index], then)
        for (_o, _k, _u, _p, then, _s), act in zip(activities, made, strict=True):
            if then == 2:
                try:
                    activity_cancel(actor=self.admin, activity=act, reason="下雨")
                except ValidationError:  # members attended
                    pass
        for member_index, choice, gap, branch_index in late_steps:  # flow after the attendance
            self.apply(members[member_index], choice, gap, branch_index)

        checked = []
        for start, length in periods + [(0, 2400)]:
            since = FOUNDED + datetime.timedelta(days=start)
            until = min(since + datetime.timedelta(days=length), today)
            if since > today:
                continue
            with override_settings(TALLY_PROJECTION=True):
                projected = [report_view(u, since, until) for u in (self.admin, self.secretary)]
                projected_points = points_view(self.admin, self.committee, since, until)
            with override_settings(TALLY_PROJECTION=False):
                live = [report_view(u, since, until) for u in (self.admin, self.secretary)]
                live_points = points_view(self.admin, self.committee, since, until)
            assert projected == live, (since, until)
            assert projected_points == live_points, (since, until)
            checked.append((since, until))
        assert checked

        # the rows kept current by the writes equal the rows rebuilt from scratch
        kept = stored(self.committee)
        tally_projection.rebuild(self.committee.pk)
        assert stored(self.committee) == kept
        for row in kept:
            assert row[2] < month_start(today) and (row[3] == 1 or add_months(row[2], 12) <= month_start(today))


class ProjectionBehind(TestCase):
    """A committee whose projection is behind (a month became past, the periodic task has not run) or absent
    reads the months not projected live."""

    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="落后的党委", founded_on=FOUNDED)
        cls.admin = UserFactory(username="behind_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        activity_types_seed(actor=cls.admin, committee=cls.committee)

    def test_months_not_projected_are_read_live(self):
        today = timezone.localdate()
        member = member_register(actor=self.admin, data=member_data(self.committee.east, name="甲"), reported=True,
                                 registered_on=FOUNDED)
        days = [add_months(month_start(today), -n) + datetime.timedelta(days=3) for n in (1, 2, 14)]
        for day in days:
            make_activity(self.admin, self.committee, day=day, title=f"活动{day}")
        since = add_months(month_start(today), -20)
        with override_settings(TALLY_PROJECTION=False):
            live = report_view(self.admin, since, today)
        assert live[0][member.pk][0] == 3
        assert report_view(self.admin, since, today) == live  # never projected: all live
        tally_projection.advance(self.committee.pk)
        assert MemberMonthTally.objects.filter(committee=self.committee, months=1).count() == 3
        TallyProjection.objects.filter(committee=self.committee).update(through=add_months(month_start(today), -2))
        MemberMonthTally.objects.filter(committee=self.committee, month__gte=add_months(month_start(today), -2)).delete()
        assert report_view(self.admin, since, today) == live  # two months behind
        # a write in a month not projected yet (it waits for a running ``advance``, then leaves the month to it)
        last_month = Activity.objects.get(committee=self.committee, title=f"活动{days[0]}")
        attendance_record_many(actor=self.admin, activity=last_month, now=last_month.ends_at,
                               entries=[AttendanceEntry(member, AttendanceStatus.PRESENT)])
        assert not MemberMonthTally.objects.filter(committee=self.committee, month=month_start(days[0])).exists()
        with override_settings(TALLY_PROJECTION=False):
            live = report_view(self.admin, since, today)
        assert live[0][member.pk][1] == 1
        assert report_view(self.admin, since, today) == live
        assert tally_projection.advance(self.committee.pk) == 2
        assert report_view(self.admin, since, today) == live
        assert MemberMonthTally.objects.get(committee=self.committee, month=month_start(days[0]), months=1).present == 1

    def test_the_periodic_task_and_the_command_project_the_past_months(self):
        from io import StringIO

        from django.core.management import call_command

        from taizhang.activities.tasks import advance_tally_projection_task

        today = timezone.localdate()
        member_register(actor=self.admin, data=member_data(self.committee.east, name="乙"), reported=True,
                        registered_on=FOUNDED)
        make_activity(self.admin, self.committee, day=add_months(month_start(today), -3), title="三个月前")
        result = advance_tally_projection_task.call()
        assert result[str(self.committee.pk)] == 3
        assert TallyProjection.objects.get(committee=self.committee).through == month_start(today)
        kept = stored(self.committee)
        assert len(kept) == 1
        out = StringIO()
        call_command("rebuild_projections", "--committee", str(self.committee.pk), stdout=out)
        assert "已重建活动统计：预先汇总了 3 个已结束的月份。" in out.getvalue().splitlines()
        assert stored(self.committee) == kept
