"""The SQL tallies (``activities.tallies``) of the activity report and the points participation give the same
应到 / 实到 / 请假 / 缺席, walk-ins, last attended day, branch totals and sort orders as the Python reading
(``tests.python_tallies.compute_participation``, which walks the roster spells member by member) on random histories:
members registered, moved, away, transferred out and corrected, activities for every audience kind, and
attendance present, on leave, absent or as a walk-in."""

import datetime

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.activities import reports
from taizhang.activities.models import Attendance, AttendanceStatus, AudienceKind
from taizhang.activities.services import activity_types_seed
from taizhang.activities.tests.factories import make_activity
from taizhang.activities.tests.python_tallies import compute_participation
from taizhang.core.permissions import VIEW, restrict
from taizhang.members.models import Member
from taizhang.members.services import member_register
from taizhang.members.tests.factories import UserFactory, grant, make_committee, member_data
from taizhang.members.tests.histories import apply_random_event
from taizhang.organisation.services import party_group_create
from taizhang.points import selectors as points
from taizhang.points.periods import Period

FOUNDED = datetime.date(2019, 1, 1)
SINCE = datetime.date(2019, 6, 1)  # the report's period starts after some histories did
STATUSES = [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT]
KINDS = [AudienceKind.COMMITTEE, AudienceKind.BRANCH, AudienceKind.PARTY_GROUP, AudienceKind.PICKED]

step = st.tuples(st.integers(0, 3), st.integers(0, 30), st.sampled_from([0, 1, 30, 200, 700]), st.integers(0, 2))
activity = st.tuples(st.integers(0, 2400), st.integers(0, 3), st.integers(0, 2), st.integers(1, 15))
attendance = st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 3))


def old_tuple(row):
    return (row.expected, row.present, row.leave, row.absent, row.extra, row.last_attended)


class SqlTalliesEqualThePythonReading(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="报表性质测试党委", founded_on=FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="tallies_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        cls.secretary = UserFactory(username="tallies_east")
        grant(cls.secretary, "branch_secretary", cls.committee, cls.committee.east)
        activity_types_seed(actor=cls.admin, committee=cls.committee)
        cls.groups = [party_group_create(actor=cls.admin, branch=b, name=f"第{i}党小组")
                      for i, b in enumerate(cls.branches)]
        # another committee's member and activity must never count
        other = make_committee(name="别的党委", founded_on=FOUNDED)
        other_admin = UserFactory(username="tallies_other")
        grant(other_admin, "committee_admin", other)
        activity_types_seed(actor=other_admin, committee=other)
        stranger = member_register(actor=other_admin, data=member_data(other.east, name="外人"), reported=True,
                                   registered_on=FOUNDED)
        outside = make_activity(other_admin, other, day=datetime.date(2021, 3, 3), title="别处的活动")
        Attendance.objects.create(activity=outside, member=stranger, status=AttendanceStatus.PRESENT,
                                  method="staff", recorded_by=other_admin)

    def apply(self, member, choice, gap, branch_index):
        apply_random_event(admin=self.admin, member=member, choice=choice, gap=gap, branch_index=branch_index,
                           branches=self.branches, founded=FOUNDED)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        registrations=st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 2)), min_size=4, max_size=4),
        steps=st.lists(step, max_size=8),
        activities=st.lists(activity, min_size=1, max_size=8),
        records=st.lists(attendance, max_size=16),
    )
    def test_the_sql_tallies_equal_the_python_reading(self, registrations, steps, activities, records):
        today = timezone.localdate()
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
        for i, (offset, kind_index, unit, picks) in enumerate(activities):
            kind = KINDS[kind_index]
            extra = {AudienceKind.BRANCH: {"audience_branch": self.branches[unit]},
                     AudienceKind.PARTY_GROUP: {"audience_group": self.groups[unit]},
                     AudienceKind.PICKED: {"picked_members": [m for j, m in enumerate(members) if picks >> j & 1]},
                     }.get(kind, {})
            day = min(FOUNDED + datetime.timedelta(days=offset), today - datetime.timedelta(days=1))
            made.append(make_activity(self.admin, self.committee, day=day, title=f"随机活动{i}", audience_kind=kind,
                                      **extra))
        for activity_index, member_index, status_index in records:
            status = STATUSES[status_index]
            Attendance.objects.get_or_create(
                activity=made[activity_index % len(made)], member=members[member_index],
                defaults={"status": status, "method": "staff", "recorded_by": self.admin,
                          "absence_reason": "" if status == AttendanceStatus.PRESENT else "工作"})

        for user in (self.admin, self.secretary):
            data = reports.participation(user, SINCE, today)
            now = timezone.now()
            until = min(now, timezone.make_aware(datetime.datetime.combine(today, datetime.time.max)))
            old_rows, old_branches = compute_participation(
                reports.held_activities(user, SINCE, today, now=now), restrict(Member.objects.all(), user, VIEW),
                last_attended_until=until)
            old_rows = [r for r in old_rows if r.expected or r.extra]
            assert {r.member_id: old_tuple(r) for r in data.members} == {r.member_id: old_tuple(r) for r in old_rows}
            assert len(data.members) == len(old_rows)
            for branch, tally, _organised in data.branches:
                old = old_branches.get(branch.pk, reports.Tally())
                assert (tally.expected, tally.present, tally.leave, tally.absent, tally.extra) == (
                    old.expected, old.present, old.leave, old.absent, old.extra), branch.name
            for name, key in reports.MEMBER_SORTS.items():
                for sort in (name, f"-{name}"):
                    new_sorted, _sort = reports.sort_members(data.members, sort)
                    old_sorted, _sort = reports.sort_members(old_rows, sort)
                    assert [key(r) for r in new_sorted] == [key(r) for r in old_sorted], sort
                    page = list(new_sorted[1:3])
                    assert [key(r) for r in page] == [key(r) for r in old_sorted[1:3]], sort
            for sort in ("name", "-rate", "last"):  # the page read in the same query as the tallies
                paged = reports.participation(user, SINCE, today, page=(sort, 1, 2))
                key = reports.MEMBER_SORTS[sort.lstrip("-")]
                old_sorted, _sort = reports.sort_members(old_rows, sort)
                assert [key(r) for r in paged.members.sorted(sort)[1:3]] == [key(r) for r in old_sorted[1:3]], sort
                assert [(b.pk, t) for b, t, _o in paged.branches] == [(b.pk, t) for b, t, _o in data.branches]
                assert len(paged.members) == len(old_rows)

        # the points participation: 应到 and 实到 (walk-ins included) of the members on the roster today
        rows, branch_rows, _config = points.participation(self.admin, self.committee, period=Period(SINCE, today),
                                                          today=today)
        old = {r.member_id: r for r in compute_participation(
            reports.held_activities(self.admin, SINCE, today), Member.objects.filter(committee=self.committee))[0]}
        for row in rows:
            mine = old[row.member.pk]
            assert (row.expected, row.present) == (mine.expected, mine.present + mine.extra), row.member.name
        assert sum(b.members for b in branch_rows) == len(rows) == len(list(rows))
        paged, paged_branches, _config = points.participation(self.admin, self.committee, period=Period(SINCE, today),
                                                              today=today, page=(1, 2))
        assert paged_branches == branch_rows and len(paged) == len(rows)
        assert [(r.member.pk, r.expected, r.present, r.points) for r in paged[1:3]] == [
            (r.member.pk, r.expected, r.present, r.points) for r in list(rows)[1:3]]
        assert sum(b.expected for b in branch_rows) == sum(r.expected for r in rows)
