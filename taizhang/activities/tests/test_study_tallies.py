"""The study read tallies (``StudyReadTally``, ``activities.study_tallies``) equal a recomputation from the reads
and the roster, whatever happens: random sequences of reads (through the real service), flow events of the
readers (moves of branch, leaving Beijing, lost contact, transfer out and a new inflow, death, corrections of
the latest event) and registrations. After each sequence the stored tallies and where each read counts must
equal the recomputation (what ``rebuild_projections`` would write), and the not-read list's totals read from
the tallies must equal the totals counted from the spells and the reads, for a committee-wide role and the
branch secretaries, for an item of the whole committee and one of a branch."""

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.activities import content_selectors as cs
from taizhang.activities import study_tallies
from taizhang.activities.content_services import study_item_create, study_item_mark_read
from taizhang.activities.models import AudienceKind, StudyKind, StudyRead, StudyReadTally
from taizhang.members import flow
from taizhang.members.models import EventKind, FlowEvent, LostContactCause
from taizhang.members.services import flow_correct_latest, flow_record_event, member_register
from taizhang.members.tests.factories import UserFactory, grant, make_committee, make_member, member_data

FOUNDED = datetime.date(2017, 9, 1)
CORRECT = "correct"
REASONS = {EventKind.TRANSFERRED_OUT: "组织关系转出", EventKind.SUSPENDED: "停止党籍", EventKind.DECEASED: "病故"}


def totals_as_tuples(totals):
    total, branches = totals
    return (total.audience, total.read), [(b.branch_id, b.name, b.audience, b.read, b.sort_order) for b in branches]


def assert_tallies_are_true(items, users):
    stored, computed = study_tallies.stored_tallies(), study_tallies.computed_tallies()
    assert stored == computed
    assert not study_tallies.wrongly_counted()
    for item in items:
        for user in users:
            assert cs._tallied_branches(item, user) is not None  # the page reads the tallies for these
            assert totals_as_tuples(cs.study_reader_totals(item, user)) == totals_as_tuples(
                cs.counted_reader_totals(item, user)), (item.audience_kind, user.username)


step = st.one_of(
    st.tuples(st.just("read"), st.integers(0, 3), st.integers(0, 1)),  # which member reads which item
    st.tuples(st.just("flow"), st.integers(0, 3), st.integers(0, 30), st.sampled_from([0, 1, 30, 400]),
              st.integers(0, 2)),  # which member, which event allowed now (or a correction), days after, branch
    st.tuples(st.just("register"), st.integers(0, 2)),  # a new member (with a login) in a branch
)


class RandomReadsAndRosters(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="已读计数测试党委", founded_on=FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="tally_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        cls.secretaries = []
        for branch in (cls.committee.east, cls.committee.west):
            secretary = UserFactory(username=f"tally_secretary_{branch.code}")
            grant(secretary, "branch_secretary", cls.committee, branch)
            cls.secretaries.append(secretary)
        cls.items = [
            study_item_create(actor=cls.admin, committee=cls.committee, kind=StudyKind.OTHER, title="全体学习",
                              body="正文"),
            study_item_create(actor=cls.admin, committee=cls.committee, kind=StudyKind.OTHER, title="东部学习", body="正文",
                              audience_kind=AudienceKind.BRANCH, audience_branch=cls.committee.east),
        ]

    def register(self, branch_index, i):
        user = UserFactory(username=f"tally_member_{i}")
        grant(user, "member", self.committee)
        data = member_data(self.branches[branch_index], name=f"随机{i}")
        member = member_register(actor=self.admin, data=data, registered_on=FOUNDED + datetime.timedelta(days=i))
        member.user = user
        member.save(update_fields=["user"])
        return member

    def flow(self, member, choice, gap, branch_index):
        today = timezone.localdate()
        latest = FlowEvent.objects.effective().filter(member=member).order_by("-effective_date", "-id").first()
        member.refresh_from_db()
        status = latest.status_after if latest else flow.NOT_REGISTERED  # every event corrected away
        kinds = [k for k in flow.allowed_kinds(status, member.membership_type) if k != EventKind.PROBATION_COMPLETED]
        options = kinds + ([CORRECT] if latest else [])
        if not options:
            return
        kind = options[choice % len(options)]
        since = latest.effective_date if latest else FOUNDED
        try:
            if kind == CORRECT:
                flow_correct_latest(actor=self.admin, member=member, event=latest, reason="录入有误")
                return
            to_branch = None
            if kind == EventKind.MOVED_BRANCH:
                to_branch = self.branches[branch_index]
                if to_branch.pk == member.branch_id:
                    to_branch = self.branches[(branch_index + 1) % 3]
            flow_record_event(actor=self.admin, member=member, kind=kind,
                              effective_date=min(since + datetime.timedelta(days=gap), today),
                              reason=REASONS.get(kind, ""), to_branch=to_branch,
                              lost_contact_cause=LostContactCause.RESIDENCE_CHANGED)
        except ValidationError:
            pass  # e.g. the only event cannot be corrected, or a day before the latest: nothing changed

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(branches=st.lists(st.integers(0, 2), min_size=2, max_size=2), steps=st.lists(step, max_size=16))
    def test_tallies_equal_the_reads_and_the_roster_recounted(self, branches, steps):
        members = [self.register(b, i) for i, b in enumerate(branches)]
        for step_ in steps:
            if step_[0] == "register":
                members.append(self.register(step_[1], len(members)))
                continue
            member = members[step_[1] % len(members)]
            if step_[0] == "read":
                member.refresh_from_db()
                try:
                    study_item_mark_read(actor=member.user, item=self.items[step_[2]], member=member)
                except ValidationError:
                    pass  # not in the item's audience (another branch, off the roster)
            else:
                self.flow(member, *step_[2:])
        assert_tallies_are_true(self.items, [self.admin, *self.secretaries])


# --- the rebuild ------------------------------------------------------------------------------------------


@pytest.fixture
def read_item(cast):
    item = study_item_create(actor=cast.study, committee=cast.committee, kind=StudyKind.OTHER, title="学习材料",
                             body="正文")
    study_item_mark_read(actor=cast.plain_member, item=item)
    for member in cast.west_members:
        StudyRead.objects.create(item=item, member=member)  # written directly, as the benchmark's COPY does
    return item


def test_rebuild_counts_reads_written_directly_and_then_finds_nothing(cast, read_item):
    out = io.StringIO()
    call_command("rebuild_projections", "--format", "json", stdout=out)
    counts = json.loads(out.getvalue())["study_read_tallies"]
    assert counts == {"reads": 3, "repaired_reads": 2, "tallies": 2, "repaired_tallies": 1}
    assert study_tallies.stored_tallies() == {(read_item.pk, cast.east.pk): 1, (read_item.pk, cast.west.pk): 2}
    StudyReadTally.objects.filter(branch=cast.east).update(read=7)  # damaged by hand
    assert study_tallies.rebuild(committee_id=cast.committee.pk)["repaired_tallies"] == 1
    assert study_tallies.rebuild() == {"reads": 3, "repaired_reads": 0, "tallies": 2, "repaired_tallies": 0}
    out = io.StringIO()
    call_command("rebuild_projections", stdout=out)
    assert "学习已读计数" in out.getvalue() and "0条阅读记录和0个计数不一致" in out.getvalue()


def test_a_readers_transfer_out_and_move_change_the_totals_at_once(client, cast, read_item):
    study_tallies.rebuild()
    leaver, mover = cast.west_members
    client.force_login(cast.study)
    url = f"/study/{read_item.pk}/readers/"
    assert (client.get(url).context["total"].audience, client.get(url).context["total"].read) == (6, 3)
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=timezone.localdate(), reason="组织关系转回青岛")
    flow_record_event(actor=cast.admin, member=mover, kind=EventKind.MOVED_BRANCH,
                      effective_date=timezone.localdate(), to_branch=cast.east, reason="搬家")
    total = client.get(url).context["total"]
    assert (total.audience, total.read) == (5, 2)
    client.force_login(cast.east_secretary)
    total = client.get(url).context["total"]
    assert (total.audience, total.read) == (4, 2)  # 张伟明 and the mover, now east's
    make_member(cast.admin, cast.east, name="新来的")
    assert client.get(url).context["total"].audience == 5


def test_a_scope_that_is_not_whole_branches_is_counted_not_tallied(cast, read_item):
    """A branch secretary whose own member record (党员 login) is in another branch sees their branch and
    themself: not whole branches, so the totals are counted; a secretary's own record in their branch, or a
    party-group item, likewise read as whole branches or counted, always equal to the count."""
    study_tallies.rebuild()
    grant(cast.east_secretary, "member", cast.committee)
    west_member = cast.west_members[0]
    west_member.user = cast.east_secretary
    west_member.save(update_fields=["user"])
    cast.east_secretary.__dict__.pop("_taizhang_own_member", None)
    assert cs._tallied_branches(read_item, cast.east_secretary) is None
    total, branches = cs.study_reader_totals(read_item, cast.east_secretary)
    assert (total.audience, total.read) == (4, 2)  # the three of the east (one read) and 赵丽华 (read)
    assert totals_as_tuples((total, branches)) == totals_as_tuples(cs.counted_reader_totals(read_item, cast.east_secretary))
    assert cs._tallied_branches(read_item, cast.west_secretary) is not None
    assert totals_as_tuples(cs.study_reader_totals(read_item, cast.west_secretary)) == totals_as_tuples(
        cs.counted_reader_totals(read_item, cast.west_secretary))
