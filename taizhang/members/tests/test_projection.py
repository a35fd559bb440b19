"""The roster projection (``RosterSpell``) equals a recomputation from the flow events, whatever the history.

Random histories are recorded through the real services (registrations, moves of branch, leaving
Beijing and returning, lost contact and its restoration, suspension, transfer out and a new inflow,
death, and corrections of the latest event — after which the right event may carry an earlier date).
After each history the stored spells must answer "status and branch on day D" exactly as the events
read naively do (the latest effective event on or before D), for every day where anything changes and
the days around it, and must equal what ``rebuild_projections`` would write.
"""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.members import projection
from taizhang.members.models import OPEN_END, EventKind, FlowEvent, Member, RosterSpell
from taizhang.members.selectors import annotate_status
from taizhang.members.services import flow_correct_latest, flow_record_event, member_register
from taizhang.members.tests.factories import UserFactory, grant, make_committee, make_member, member_data
from taizhang.members.tests.histories import apply_random_event

FOUNDED = datetime.date(2017, 9, 1)


def naive_state(member_id: int, day: datetime.date):
    """(status, branch) on ``day`` read straight from the events, the way the ledger defines it."""
    latest = (FlowEvent.objects.effective().filter(member_id=member_id, effective_date__lte=day)
              .order_by("-effective_date", "-id").first())
    return (latest.status_after, latest.branch_after_id) if latest else ("", None)


def spell_state(member_id: int, day: datetime.date):
    spell = RosterSpell.objects.filter(member_id=member_id, valid_from__lte=day, valid_to__gt=day).first()
    return (spell.status, spell.branch_id) if spell else ("", None)


def probe_days(member_ids) -> list:
    days = {FOUNDED, timezone.localdate()}
    for day in FlowEvent.objects.filter(member_id__in=member_ids).values_list("effective_date", flat=True):
        days |= {day - datetime.timedelta(days=1), day, day + datetime.timedelta(days=1)}
    return sorted(days)


def assert_projection_is_true(member_ids):
    stored = projection.stored_spells(member_ids)
    assert stored == projection.computed_spells(member_ids)  # what rebuild_projections would write
    for member_id in member_ids:
        own = [s for s in stored if s.member_id == member_id]
        # Spells follow each other without gap or overlap; only the last is open.
        assert all(a.valid_to == b.valid_from for a, b in zip(own, own[1:], strict=False))
        assert all(s.valid_to != OPEN_END for s in own[:-1]) and (not own or own[-1].valid_to == OPEN_END)
        assert all((a.status, a.branch_id) != (b.status, b.branch_id) for a, b in zip(own, own[1:], strict=False))
    days = probe_days(member_ids)
    for member_id in member_ids:
        for day in days:
            assert spell_state(member_id, day) == naive_state(member_id, day), (member_id, day)
        # and the as-of reading of the pages agrees, today and on each day
    for day in days[::7] + [days[-1]]:
        annotated = {m.pk: (m.status, m.branch_on if m.status else None)
                     for m in annotate_status(Member.objects.filter(pk__in=member_ids), day)}
        assert annotated == {pk: naive_state(pk, day) for pk in member_ids}, day


step = st.tuples(
    st.integers(0, 2),  # which member
    st.integers(0, 30),  # which of the events allowed now (or a correction of the latest)
    st.sampled_from([0, 0, 1, 3, 30, 200, 700]),  # days after the member's latest event
    st.integers(0, 2),  # the branch a move goes to (when it is another one)
)


class RandomHistories(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="性质测试党委", founded_on=FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="projection_admin")
        grant(cls.admin, "committee_admin", cls.committee)

    def apply(self, member, choice, gap, branch_index):
        apply_random_event(admin=self.admin, member=member, choice=choice, gap=gap, branch_index=branch_index,
                           branches=self.branches, founded=FOUNDED)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        registrations=st.lists(st.tuples(st.integers(0, 2000), st.booleans(), st.integers(0, 2)), min_size=3, max_size=3),
        steps=st.lists(step, max_size=14),
    )
    def test_spells_equal_the_events_read_naively(self, registrations, steps):
        today = timezone.localdate()
        members = []
        for i, (offset, reported, branch_index) in enumerate(registrations):
            data = member_data(self.branches[branch_index], name=f"随机{i}")
            members.append(member_register(actor=self.admin, data=data, reported=reported,
                                           registered_on=min(FOUNDED + datetime.timedelta(days=offset), today)))
        for member_index, choice, gap, branch_index in steps:
            self.apply(members[member_index], choice, gap, branch_index)
        assert_projection_is_true([m.pk for m in members])


# --- every writer keeps it true ------------------------------------------------------------------------


def test_register_move_correct_and_reregister_keep_the_spells(cast):
    member = cast.east_members[2]
    flow_record_event(actor=cast.admin, member=member, kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2020, 1, 1), to_branch=cast.west)
    wrong = flow_record_event(actor=cast.admin, member=member, kind=EventKind.TRANSFERRED_OUT,
                              effective_date=datetime.date(2022, 5, 1), reason="录错了")
    spells = [(s.status, s.branch_id, s.valid_from, s.valid_to) for s in member.roster_spells.all()]
    assert spells == [
        ("active", cast.east.pk, datetime.date(2018, 3, 1), datetime.date(2020, 1, 1)),
        ("active", cast.west.pk, datetime.date(2020, 1, 1), datetime.date(2022, 5, 1)),
        ("transferred", cast.west.pk, datetime.date(2022, 5, 1), OPEN_END),
    ]
    flow_correct_latest(actor=cast.admin, member=member, event=wrong, reason="并未转出")
    assert [(s.status, s.valid_to) for s in member.roster_spells.all()][-1] == ("active", OPEN_END)
    assert_projection_is_true([m.pk for m in Member.objects.all()])


def test_a_failed_event_leaves_no_spell_behind(cast, monkeypatch):
    """The spells are written in the event's transaction: if anything after them fails, neither stays."""
    from taizhang.members import services

    member = cast.east_members[1]
    before = projection.stored_spells([member.pk])

    def broken(*args, **kwargs):
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(services, "audit_log", broken)
    with pytest.raises(RuntimeError):
        flow_record_event(actor=cast.admin, member=member, kind=EventKind.LEFT_BEIJING,
                          effective_date=datetime.date(2024, 1, 1))
    assert projection.stored_spells([member.pk]) == before
    assert not FlowEvent.objects.filter(member=member, kind=EventKind.LEFT_BEIJING).exists()


def test_the_import_projects_new_and_updated_members(tmp_path, cast):
    from taizhang.members import imports
    from taizhang.members.tests.test_import import new_row, source, xlsx_bytes

    content = xlsx_bytes([new_row("甲", 登记日期="2020-05-01"),
                          new_row("乙", gender="F", birth=datetime.date(1990, 2, 3), 是否失联党员="是", 所在党支部="西部片区支部",
                                  所在区="海淀区")])
    imports.commit(source(tmp_path, content), user=cast.admin)
    jia, yi = Member.objects.get(name="甲"), Member.objects.get(name="乙")
    today = timezone.localdate()
    assert spell_state(jia.pk, datetime.date(2020, 5, 1)) == ("active", cast.east.pk)
    assert spell_state(jia.pk, datetime.date(2020, 4, 30)) == ("", None)
    assert spell_state(yi.pk, today) == ("lost", cast.west.pk)
    assert_projection_is_true([m.pk for m in Member.objects.all()])


def test_the_demo_organisation_is_projected(db):
    from taizhang.members.demo import load_demo

    load_demo()
    ids = list(Member.objects.values_list("pk", flat=True))
    assert len(ids) > 100
    assert projection.stored_spells(ids) == projection.computed_spells(ids)


# --- rebuild_projections -------------------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("rebuild_projections", *args, stdout=out)
    return out.getvalue()


def test_rebuild_repairs_a_damaged_table_and_then_finds_nothing(cast):
    make_member(cast.admin, cast.east, name="孙志强", registered_on=datetime.date(2019, 3, 2))
    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.LEFT_BEIJING,
                      effective_date=datetime.date(2021, 1, 1))
    truth = projection.stored_spells()
    RosterSpell.objects.filter(member=cast.west_members[0]).delete()
    RosterSpell.objects.filter(member=cast.east_members[0]).update(status="deceased")
    RosterSpell.objects.create(member=cast.central_members[0], committee=cast.committee, branch=cast.west,
                               status="lost", valid_from=datetime.date(2017, 9, 1), valid_to=datetime.date(2018, 1, 1))
    result = json.loads(run("--format", "json"))
    assert result == {"committees": None, "members": 7, "events": 8, "spells": len(truth), "repaired_members": 3,
                      "study_read_tallies": {"reads": 0, "repaired_reads": 0, "tallies": 0, "repaired_tallies": 0},
                      "activity_tallies": {"months": 0}}
    assert projection.stored_spells() == truth
    assert json.loads(run("--format", "json", "--committee", str(cast.committee.pk)))["repaired_members"] == 0
    text = run()
    assert "7" in text and "0" in text and "名党员" in text


def test_rebuild_of_one_committee_leaves_the_others_alone(cast):
    other = make_committee(name="另一个党委")
    admin = UserFactory(username="other_admin")
    grant(admin, "committee_admin", other)
    outsider = make_member(admin, other.east, name="外委党员")
    RosterSpell.objects.all().delete()
    result = json.loads(run("--committee", str(other.pk), "--format", "json"))
    assert result["committees"] == [other.pk] and result["members"] == 1 and result["repaired_members"] == 1
    assert set(RosterSpell.objects.values_list("member_id", flat=True)) == {outsider.pk}


@pytest.mark.parametrize("args, message", [
    (["--committee", "abc"], "党委编号"),
    (["--committee", "999999"], "没有编号为"),
    (["--format", "xml"], "输出格式"),
])
def test_rebuild_refuses_bad_arguments_in_chinese(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
