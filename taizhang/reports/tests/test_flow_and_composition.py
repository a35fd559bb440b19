"""党员增减 and 党员构成 on the fixed cast: reasons, scoping, corrections, dimensions and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from taizhang.members.models import EventKind
from taizhang.members.services import flow_correct_latest, flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.reports.composition import DIMENSIONS, composition, compositions, parse_by
from taizhang.reports.flow import flow_by_month, flow_report, status_movements

START, END = datetime.date(2020, 1, 1), datetime.date(2020, 12, 31)


@pytest.fixture
def history(cast):
    """In 2020: 王建国 moves east → west, 陈刚 (west) is transferred out, 刘洋 (central) dies, a new member
    registers in east, 李秀英 leaves Beijing (stays on the roster); a wrong death of 赵丽华 is corrected."""
    wang, chen = cast.members_by_name["王建国"], cast.members_by_name["陈刚"]
    flow_record_event(actor=cast.admin, member=wang, kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2020, 3, 1), to_branch=cast.west)
    flow_record_event(actor=cast.admin, member=chen, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2020, 5, 1), reason="转回原籍")
    flow_record_event(actor=cast.admin, member=cast.members_by_name["刘洋"], kind=EventKind.DECEASED,
                      effective_date=datetime.date(2020, 6, 1), reason="病故")
    make_member(cast.admin, cast.east, name="新来的", registered_on=datetime.date(2020, 7, 1))
    flow_record_event(actor=cast.admin, member=cast.members_by_name["李秀英"], kind=EventKind.LEFT_BEIJING,
                      effective_date=datetime.date(2020, 8, 1))
    zhao = cast.members_by_name["赵丽华"]
    wrong = flow_record_event(actor=cast.admin, member=zhao, kind=EventKind.DECEASED,
                              effective_date=datetime.date(2020, 9, 1), reason="误录")
    flow_correct_latest(actor=cast.admin, member=zhao, event=wrong, reason="录错了人")
    return cast


def test_committee_flow_by_reason(history):
    report = flow_report(history.admin, START, END)
    assert report == {"opening": 6, "increase": {"registered": 1},
                      "decrease": {"deceased": 1, "transferred_out": 1}, "closing": 5}
    assert flow_report(None, START, END) == report  # the operator's commands: every committee


def test_branch_moves_count_for_the_branches(history):
    east = flow_report(history.east_secretary, START, END)
    assert east == {"opening": 3, "increase": {"registered": 1}, "decrease": {"moved_out": 1}, "closing": 3}
    west = flow_report(history.west_secretary, START, END)
    assert west == {"opening": 2, "increase": {"moved_in": 1}, "decrease": {"transferred_out": 1}, "closing": 2}


def test_by_month_chains(history):
    months = flow_by_month(history.admin, START, END)
    assert [m["month"].month for m in months] == list(range(1, 13))
    assert months[4]["decrease"] == {"transferred_out": 1} and months[6]["increase"] == {"registered": 1}
    assert months[0]["opening"] == 6 and months[-1]["closing"] == 5
    assert all(a["closing"] == b["opening"] for a, b in zip(months, months[1:], strict=False))
    short = flow_by_month(history.admin, datetime.date(2020, 5, 15), datetime.date(2020, 6, 10))
    assert [(m["start"], m["end"]) for m in short] == [
        (datetime.date(2020, 5, 15), datetime.date(2020, 5, 31)), (datetime.date(2020, 6, 1), datetime.date(2020, 6, 10))]


def test_status_movements_keep_the_roster(history):
    moves = status_movements(history.admin, START, END)
    assert moves["left_beijing"] == 1 and moves["returned"] == 0
    assert status_movements(history.west_secretary, START, END)["left_beijing"] == 0


def test_plain_member_and_outsider_see_nothing(history):
    assert flow_report(history.outsider, START, END) == {"opening": 0, "increase": {}, "decrease": {}, "closing": 0}
    assert composition(history.outsider, END).total == 0
    assert composition(history.sysadmin, END).total == 0


def test_start_after_end_is_refused(cast):
    with pytest.raises(ValueError, match="结束日期"):
        flow_report(cast.admin, END, START)


def test_composition_branch_by_age(cast):
    day = datetime.date(2024, 6, 1)
    table = composition(cast.admin, day, by=("branch", "age_band"))
    assert table.total == 6
    assert [label for _key, label in table.rows] == [b.name for b in (cast.east, cast.central, cast.west)]
    assert table.row_totals[str(cast.east.pk)] == 3
    # 李秀英 born 1958-02-03 is 66 on the day: the 60–69 band
    assert table.cell(str(cast.east.pk), "60-69") == 1
    # 王建国 (51) and 陈刚 (57) are 45–59; 张伟明 (39) 35–44; 赵丽华 (33) and 刘洋 (29) under 35
    assert {k: table.column_totals.get(k, 0) for k, _label in table.columns} == {
        "under35": 2, "35-44": 1, "45-59": 2, "60-69": 1, "70plus": 0}
    assert sum(table.footer()) == table.total


def test_composition_scoped_to_the_branch(cast):
    table = composition(cast.east_secretary, datetime.date(2024, 6, 1), by=("gender",))
    assert table.total == 3
    assert table.cell("F") == 1 and table.cell("M") == 2


def test_every_dimension_adds_up(cast):
    for key in DIMENSIONS:
        table = composition(cast.admin, datetime.date(2024, 6, 1), by=(key,))
        assert table.total == 6 == sum(row[3] for row in table.grid()), key


def test_every_dimension_at_once_equals_one_by_one(history):
    """``compositions`` (one query for the dashboard's seven panels) gives each dimension's table exactly as
    ``composition`` does, for every role and on days before, during and after the history's moves."""
    cast = history
    for user in (cast.admin, cast.east_secretary, cast.west_secretary, cast.plain_member):
        for day in (datetime.date(2019, 12, 31), datetime.date(2020, 3, 1), datetime.date(2020, 8, 15), END):
            with CaptureQueriesContext(connection) as ctx:
                tables = compositions(user, day, list(DIMENSIONS))
            assert len([q for q in ctx.captured_queries if "COUNT" in q["sql"]]) <= 1
            for key in DIMENSIONS:
                one = composition(user, day, by=(key,))
                assert (tables[key].rows, tables[key].row_totals, tables[key].total) == (
                    one.rows, one.row_totals, one.total), (user, day, key)


def test_party_age_band(cast):
    # full members of the factories joined at 25 + 1 year: born 1985 → full 2011-07-01 → 12 years on 2024-06-01
    table = composition(cast.admin, datetime.date(2024, 6, 1), by=("party_age_band",))
    me = cast.me
    assert me.full_membership_date == datetime.date(2011, 7, 1)
    assert table.total == 6 and table.cell("11-20") >= 1


def test_parse_by_messages():
    assert parse_by("branch, age_band") == ("branch", "age_band")
    with pytest.raises(ValueError, match="height"):
        parse_by("branch,height")
    with pytest.raises(ValueError):
        parse_by("branch,gender,category")
    with pytest.raises(ValueError):
        parse_by("")


def test_query_counts_do_not_grow(cast):
    def count(fn):
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    before = [count(lambda: flow_report(cast.admin, START, END)),
              count(lambda: flow_by_month(cast.admin, START, END)),
              count(lambda: composition(cast.admin, END, by=("branch", "ethnicity")))]
    for i in range(8):
        member = make_member(cast.admin, cast.west, name=f"加{i}", registered_on=datetime.date(2020, 2, 1 + i),
                             ethnicity=f"族{i}")
        flow_record_event(actor=cast.admin, member=member, kind=EventKind.TRANSFERRED_OUT,
                          effective_date=datetime.date(2020, 4, 1 + i), reason="转出")
    after = [count(lambda: flow_report(cast.admin, START, END)),
             count(lambda: flow_by_month(cast.admin, START, END)),
             count(lambda: composition(cast.admin, END, by=("branch", "ethnicity")))]
    assert after == before
