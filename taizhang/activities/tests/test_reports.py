"""The report selectors (``activities.reports``): counts by type, 应到/实到/请假/缺席 by branch and
member, expected vs held, as each member of the cast sees them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taizhang.activities import reports
from taizhang.activities.models import ActivityType
from taizhang.activities.services import activity_type_update
from taizhang.activities.tests.factories import DAY, make_activity
from taizhang.activities.tests.factories_reports import PRESENT, record, report_world
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return report_world(cast)


def test_by_type_counts_held_activities_and_attendances(cast, world):
    rows = reports.by_type(cast.admin, *world.year)
    assert rows == [
        {"name": "集体学习", "activities": 1, "attendances": 3},
        {"name": "支部委员会", "activities": 1, "attendances": 1},
        {"name": "党员大会", "activities": 1, "attendances": 2},
    ]


def test_by_type_leaves_out_planned_activities(cast, world):
    make_activity(cast.admin, cast.committee, day=datetime.date.today() + datetime.timedelta(days=30),
                  title="集体学习：计划中")
    next_year = (datetime.date.today().year + 1, 12, 31)
    rows = reports.by_type(cast.admin, datetime.date(DAY.year, 1, 1), datetime.date(*next_year))
    assert rows[0] == {"name": "集体学习", "activities": 1, "attendances": 3}


@pytest.mark.parametrize("who, expected", [
    ("east_secretary", [{"name": "集体学习", "activities": 1, "attendances": 1},
                        {"name": "党员大会", "activities": 1, "attendances": 2}]),
    ("west_secretary", [{"name": "集体学习", "activities": 1, "attendances": 1},
                        {"name": "支部委员会", "activities": 1, "attendances": 1}]),
])
def test_by_type_is_scoped(cast, world, who, expected):
    assert reports.by_type(getattr(cast, who), *world.year) == expected


def tallies(data):
    return {b.name: (t.expected, t.present, t.leave, t.absent, organised) for b, t, organised in data.branches}


def test_participation_by_branch(cast, world):
    data = reports.participation(cast.admin, *world.year)
    assert tallies(data) == {
        cast.east.name: (6, 3, 1, 2, 1),
        cast.central.name: (1, 1, 0, 0, 0),
        cast.west.name: (4, 2, 0, 2, 1),
    }
    assert (data.total.expected, data.total.present, data.total.leave, data.total.absent) == (11, 6, 1, 4)


def test_participation_by_member(cast, world):
    rows = {r.name: r for r in reports.participation(cast.admin, *world.year).members}
    assert set(rows) == {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
    me = rows["张伟明"]
    assert (me.expected, me.present, me.leave, me.absent, me.rate_percent) == (2, 2, 0, 0, 100)
    assert me.last_attended == DAY + datetime.timedelta(days=7)
    li = rows["李秀英"]
    assert (li.expected, li.present, li.leave, li.absent, li.rate_percent) == (2, 1, 1, 0, 50)
    chen = rows["陈刚"]
    assert (chen.expected, chen.present, chen.absent, chen.last_attended) == (2, 0, 2, None)


@pytest.mark.parametrize("who, branches, members", [
    ("east_secretary", {"东部片区支部"}, {"张伟明", "李秀英", "王建国"}),
    ("west_secretary", {"西部片区支部"}, {"赵丽华", "陈刚"}),
])
def test_participation_is_scoped(cast, world, who, branches, members):
    data = reports.participation(getattr(cast, who), *world.year)
    assert {b.name for b, _t, _o in data.branches} == branches
    assert {r.name for r in data.members} == members


def test_a_member_registered_after_the_activity_is_not_expected(cast, world):
    late = make_member(cast.admin, cast.east, name="后来者", registered_on=DAY + datetime.timedelta(days=1))
    rows = {r.name: r for r in reports.participation(cast.admin, *world.year).members}
    assert rows["后来者"].expected == 1  # the east meeting on DAY+7 only
    assert late.pk == rows["后来者"].member_id


def test_a_walk_in_counts_as_extra_not_as_expected(cast, world):
    record(cast.east_secretary, world.west_meeting, (cast.members_by_name["张伟明"], PRESENT))
    me = next(r for r in reports.participation(cast.admin, *world.year).members if r.name == "张伟明")
    assert (me.expected, me.present, me.extra) == (2, 2, 1)


def test_sorting_members(cast, world):
    rows = reports.participation(cast.admin, *world.year).members
    by_rate, key = reports.sort_members(rows, "-rate")
    assert key == "-rate" and by_rate[0].rate_percent == 100 and by_rate[-1].name == "陈刚"
    _rows, key = reports.sort_members(rows, "nonsense")
    assert key == "name"


def test_participation_queries_do_not_grow_with_rows(cast, world):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            reports.participation(cast.admin, *world.year)
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        member = make_member(cast.admin, cast.west, birth_date=datetime.date(1960 + i, 1, 1))
        activity = make_activity(cast.admin, cast.committee, day=DAY + datetime.timedelta(days=20 + i),
                                 title=f"集体学习{i}")
        record(cast.admin, activity, (member, PRESENT))
    assert count() == before


def test_expected_vs_done_prorates_and_flags_shortfalls(cast, world):
    data = reports.expected_vs_done(cast.admin, datetime.date(DAY.year, 1, 1), datetime.date(DAY.year, 6, 30))
    names = [t.name for t in data["types"]]
    assert names[:3] == ["主题党日", "支部委员会", "党小组会"]
    units = {u["name"]: dict(zip(names, u["cells"], strict=True)) for u in data["units"]}
    assert set(units) == {cast.committee.name, "东部片区支部", "中部片区支部", "西部片区支部"}
    east_general = units["东部片区支部"]["党员大会"]
    assert (east_general.held, east_general.expected, east_general.short) == (1, 2, True)
    west_committee = units["西部片区支部"]["支部委员会"]
    assert (west_committee.held, west_committee.expected) == (1, 6)
    # the committee only gets a row for the types it organises itself; the cancelled theme day counts for none
    assert units[cast.committee.name]["支部委员会"] is None
    assert units[cast.committee.name]["主题党日"].held == 0


def test_expected_vs_done_for_a_branch_secretary_shows_only_their_branch(cast, world):
    data = reports.expected_vs_done(cast.east_secretary, *world.year)
    assert [u["name"] for u in data["units"]] == ["东部片区支部"]


def test_types_without_expectation_are_left_out(cast, world):
    theme = ActivityType.objects.get(committee=cast.committee, name="主题党日")
    activity_type_update(actor=cast.admin, activity_type=theme, data={"expected_per_year": 0})
    data = reports.expected_vs_done(cast.admin, *world.year)
    assert "主题党日" not in [t.name for t in data["types"]]


def test_prorated():
    assert reports.prorated(12, datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)) == 12
    assert reports.prorated(12, datetime.date(2025, 1, 1), datetime.date(2025, 6, 30)) == 6
    assert reports.prorated(1, datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)) == 0
    assert reports.prorated(4, datetime.date(2025, 5, 1), datetime.date(2025, 4, 1)) == 0


def test_presets(cast):
    presets = {p.key: p for p in reports.period_presets(cast.committee, datetime.date(2026, 11, 25))}
    assert (presets["this_year"].date_from, presets["this_year"].date_to) == (datetime.date(2026, 1, 1),
                                                                              datetime.date(2026, 12, 31))
    assert presets["last_year"].date_from == datetime.date(2025, 1, 1)
    assert presets["since_founding"].date_from == cast.committee.founded_on
    assert (presets["first_four_years"].date_from, presets["first_four_years"].date_to) == (
        datetime.date(2017, 9, 1), datetime.date(2021, 8, 31))


def test_member_attendance_lists_each_activity(cast, world):
    rows = reports.member_attendance(cast.members_by_name["李秀英"], *world.year)
    assert [(r["title"], r["expected"], r["status"]) for r in rows] == [
        ("东部支部党员大会", True, "present"),
        ("集体学习：学习党章", True, "leave"),
    ]
