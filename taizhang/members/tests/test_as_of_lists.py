"""Any past date means the lists too (issue 16): the ledger list, its export, the printed roster, the
home page's links and recent events, and ``roster --list`` all read the roster as it stood that day."""

import csv
import datetime
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

D = datetime.date
THEN = "2020-12-31"


@pytest.fixture
def history(cast):
    """陈刚 moved 西部 → 东部 in 2021, 赵丽华 left Beijing in 2020, 王建国 transferred out in 2022, and
    孙新 registered in 东部 only in 2023. So on 2020-12-31: six on the roster, 陈刚 still in 西部."""
    by = cast.members_by_name
    flow_record_event(actor=cast.admin, member=by["赵丽华"], kind=EventKind.LEFT_BEIJING, effective_date=D(2020, 5, 1))
    flow_record_event(actor=cast.admin, member=by["陈刚"], kind=EventKind.MOVED_BRANCH, effective_date=D(2021, 1, 10),
                      to_branch=cast.east)
    flow_record_event(actor=cast.admin, member=by["王建国"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=D(2022, 6, 1), reason="转回青岛")
    make_member(cast.admin, cast.east, name="孙新", registered_on=D(2023, 1, 1))
    return cast


def rows_of(response):
    assert response.status_code == 200
    cells = {c.key: i for i, (c, _v) in enumerate(response.context["rows"][0][1])} if response.context["rows"] else {}
    return {m.name: (str(values[cells["branch"]][1]), str(values[cells["status"]][1]))
            for m, values in response.context["rows"]}


def test_the_ledger_list_as_of_a_day_lists_that_days_roster_with_the_branch_and_status_then(client, history):
    client.force_login(history.admin)
    today = rows_of(client.get(reverse("members:list")))
    assert set(today) == {"张伟明", "李秀英", "赵丽华", "陈刚", "刘洋", "孙新"}
    assert today["陈刚"][0] == "东部片区支部"

    response = client.get(reverse("members:list"), {"as_of": THEN})
    then = rows_of(response)
    assert set(then) == {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
    assert then["陈刚"] == ("西部片区支部", "在京正常")
    assert then["赵丽华"][1] == "外出（流出）"
    assert then["王建国"][1] == "在京正常"
    page = response.content.decode()
    assert "截至2020-12-31" in page and 'id="as-of-banner"' in page
    # the way back to today keeps the other filters and drops only the date
    response = client.get(reverse("members:list"), {"as_of": THEN, "category": "working"})
    assert f'href="{reverse("members:list")}?category=working"' in response.content.decode()


def test_filters_read_the_branch_and_status_of_that_day(client, history):
    client.force_login(history.admin)
    west_then = rows_of(client.get(reverse("members:list"), {"as_of": THEN, "branch": history.west.pk}))
    assert set(west_then) == {"赵丽华", "陈刚"}
    west_now = rows_of(client.get(reverse("members:list"), {"branch": history.west.pk}))
    assert set(west_now) == {"赵丽华"}
    outflow_then = rows_of(client.get(reverse("members:list"), {"as_of": "2020-04-30", "status": "outflow"}))
    assert outflow_then == {}
    assert set(rows_of(client.get(reverse("members:list"), {"as_of": THEN, "q": "cg"}))) == {"陈刚"}
    # "everyone" on a past day: all who were in the ledger then (孙新 was registered only in 2023)
    everyone = rows_of(client.get(reverse("members:list"), {"as_of": "2022-12-31", "status": "all"}))
    assert set(everyone) == {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
    assert everyone["王建国"][1] == "已转出"


def test_paging_export_and_print_links_carry_the_day(client, history):
    client.force_login(history.admin)
    page = client.get(reverse("members:list"), {"as_of": THEN, "per_page": 20}).content.decode()
    for name in ("export_xlsx", "export_csv", "roster_print"):
        assert f'{reverse("members:" + name)}?as_of={THEN}' in page
    for i in range(25):
        make_member(history.admin, history.central, name=f"老党员{i}", registered_on=D(2019, 1, 1))
    page = client.get(reverse("members:list"), {"as_of": THEN}).content.decode()
    assert f"?as_of={THEN}&amp;page=2" in page
    second = client.get(reverse("members:list"), {"as_of": THEN, "page": 2})
    assert len(rows_of(second)) == 31 - 20


def test_the_export_as_of_a_day_has_that_days_members_branch_and_status(client, history):
    client.force_login(history.admin)
    response = client.get(reverse("members:export_csv"), {"as_of": THEN})
    assert "20201231" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {r["姓名"]: r for r in csv.DictReader(io.StringIO(raw, newline=""))}
    assert set(rows) == {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
    assert rows["陈刚"]["所在党支部"] == "西部片区支部"
    entry = AuditEntry.objects.filter(action="member.export").latest("id")
    assert entry.new_values["filters"]["as_of"] == THEN and entry.new_values["rows"] == 6


def test_the_printed_roster_as_of_a_day(client, history):
    client.force_login(history.admin)
    response = client.get(reverse("members:roster_print"), {"as_of": THEN, "branch": history.west.pk})
    page = response.content.decode()
    assert "截至2020-12-31" in page
    assert "陈刚" in page and "赵丽华" in page and "孙新" not in page
    assert response.context["count"] == 2
    statuses = {cells[0]: status for cells, status in response.context["rows"]}
    assert statuses == {"赵丽华": "外出（流出）", "陈刚": "在京正常"}


def test_a_branch_secretary_sees_only_their_scope_as_of_a_day(client, history):
    client.force_login(history.west_secretary)
    # 陈刚 now belongs to 东部: the 西部 secretary no longer sees him, whatever the date.
    assert set(rows_of(client.get(reverse("members:list"), {"as_of": THEN}))) == {"赵丽华"}


@pytest.mark.parametrize("value, message", [("2099-01-01", "只能查看今天或以前某一天的名册"), ("2020-13-01", "2019-12-31")])
def test_a_future_or_unreadable_day_says_so_and_lists_nobody(client, history, value, message):
    client.force_login(history.admin)
    response = client.get(reverse("members:list"), {"as_of": value})
    assert response.status_code == 200 and rows_of(response) == {}
    assert message in response.content.decode()


def test_the_contact_filter_cannot_be_combined_with_a_past_day(client, history):
    client.force_login(history.admin)
    response = client.get(reverse("members:list"), {"as_of": THEN, "contact": "overdue"})
    assert rows_of(response) == {}
    assert "联系情况" in response.content.decode()


def test_home_as_of_a_day_links_to_that_days_lists_and_shows_the_events_up_to_it(client, history):
    client.force_login(history.admin)
    response = client.get(reverse("home"), {"as_of": THEN})
    page = response.content.decode()
    assert f'{reverse("members:list")}?as_of={THEN}"' in page
    assert f'?status=outflow&amp;as_of={THEN}"' in page
    events = list(response.context["recent_events"])
    assert events and all(e.effective_date <= D(2020, 12, 31) for e in events)
    assert "孙新" not in page and "left_beijing" in {e.kind for e in events}
    today = client.get(reverse("home")).context["recent_events"]
    assert "孙新" in {e.member.name for e in today}


def test_the_as_of_list_query_count_does_not_grow_with_the_rows(client, history):
    client.force_login(history.admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:list"), {"as_of": THEN}).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(8):
        make_member(history.admin, history.central, name=f"老党员{i}", registered_on=D(2019, 1, 1))
    assert count() == before


def roster_json(*args) -> dict:
    out = StringIO()
    call_command("roster", "--as-of", THEN, "--format", "json", "--list", *args, stdout=out)
    return json.loads(out.getvalue())


def test_roster_list_names_every_member_counted_with_the_branch_and_status_then(history):
    result = roster_json()
    assert result["total"] == len(result["members"]) == 6
    assert all(set(m) == {"name", "branch", "status"} for m in result["members"])
    by_name = {m["name"]: m for m in result["members"]}
    assert by_name["陈刚"] == {"name": "陈刚", "branch": "西部片区支部", "status": "在京正常"}
    assert by_name["赵丽华"]["status"] == "外出（流出）"
    assert "孙新" not in by_name
    east = roster_json("--as", "east_secretary")
    assert east["total"] == len(east["members"])
    assert {m["name"] for m in east["members"]} == {"张伟明", "李秀英", "王建国", "陈刚"}


def test_roster_without_list_keeps_its_shape_and_text_lists_names(history):
    out = StringIO()
    call_command("roster", "--as-of", THEN, "--format", "json", stdout=out)
    assert "members" not in json.loads(out.getvalue())
    out = StringIO()
    call_command("roster", "--as-of", THEN, "--list", stdout=out)
    assert "陈刚" in out.getvalue() and "西部片区支部" in out.getvalue()
