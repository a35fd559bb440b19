"""统计报表 pages, exports, print views and commands: scoping with the fixed cast, bad input, audit, queries."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db
PAGES = ["reports:composition", "reports:flow", "reports:tally", "reports:yearly"]


def get(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


def xlsx(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


@pytest.mark.parametrize("name", PAGES)
def test_staff_see_the_pages_and_others_are_refused(client, cast, name):
    for user in (cast.admin, cast.east_secretary):
        response = get(client, user, name)
        assert response.status_code == 200
        assert get(client, user, name, view="print").status_code == 200
    for user in (cast.plain_member, cast.study, cast.outsider, cast.sysadmin, cast.secadmin, cast.auditor):
        assert get(client, user, name).status_code == 403, user.username
        assert get(client, user, name, format="xlsx").status_code == 403, user.username
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_menu_shows_the_reports_to_staff_only(client, cast):
    assert 'id="nav-stats"' in get(client, cast.admin, "home").content.decode()
    assert 'id="nav-stats"' not in get(client, cast.plain_member, "home").content.decode()


def test_composition_of_a_branch_secretary_covers_the_branch(client, cast):
    admin = get(client, cast.admin, "reports:composition", rows="branch", columns="gender").context["table"]
    east = get(client, cast.east_secretary, "reports:composition", rows="branch", columns="gender").context["table"]
    assert admin.total == 6 and east.total == 3
    assert [label for _k, label in east.rows] == [cast.east.name]
    page = get(client, cast.east_secretary, "reports:composition").content.decode()
    assert cast.west.name not in page.split('id="composition-table"')[1]


def test_composition_by_one_dimension(client, cast):
    table = get(client, cast.admin, "reports:composition", rows="gender", columns="").context["table"]
    assert table.by == ("gender",) and table.cell("M") == 4 and table.cell("F") == 2


def test_flow_page_counts_moves_for_the_branches(client, cast):
    flow_record_event(actor=cast.admin, member=cast.east_members[2], kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2024, 3, 1), to_branch=cast.west)
    params = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
    east = get(client, cast.east_secretary, "reports:flow", **params)
    assert east.context["report"] == {"opening": 3, "increase": {}, "decrease": {"moved_out": 1}, "closing": 2}
    assert "转到其他支部" in east.content.decode()
    admin = get(client, cast.admin, "reports:flow", **params)
    assert admin.context["report"] == {"opening": 6, "increase": {}, "decrease": {}, "closing": 6}
    assert "转到其他支部" not in admin.content.decode()  # cancels out for the committee: not listed


@pytest.mark.parametrize(("name", "params", "field", "words"), [
    ("reports:flow", {"date_from": "2024-12-31", "date_to": "2024-01-01"}, "date_to", "结束日期不能早于开始日期"),
    ("reports:flow", {"date_from": "2024-13-01"}, "date_from", "开始日期：请按“年-月-日”填写"),
    ("reports:flow", {"date_to": "2999-01-01"}, "date_to", "不能晚于今天"),
    ("reports:composition", {"day": "2999-01-01"}, "day", "不能晚于今天"),
    ("reports:composition", {"rows": "gender", "columns": "gender"}, "columns", "两个不同的统计维度"),
    ("reports:composition", {"rows": "height"}, "rows", "行：请从列表中选择"),
    ("reports:yearly", {"year": "abc"}, "year", "四位数字"),
    ("reports:yearly", {"year": "2999"}, "year", "不能晚于今年"),
])
def test_bad_input_is_named_in_chinese_and_the_page_still_answers(client, cast, name, params, field, words):
    response = get(client, cast.admin, name, **params)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and words in " ".join(errors[field]), errors


def test_exports_are_audited_and_hold_the_page_numbers(client, cast):
    response = get(client, cast.east_secretary, "reports:composition", rows="branch", columns="age_band", format="xlsx")
    assert response.status_code == 200
    rows = list(xlsx(response).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "党支部 \\ 年龄" and [r[0] for r in rows[1:3]] == [cast.east.name, "合计"]
    assert rows[2][-1] == 3  # a number, the branch's only
    entry = AuditEntry.objects.filter(action="report.export").latest("id")
    assert entry.actor == cast.east_secretary and entry.new_values["report"] == "composition"

    response = get(client, cast.admin, "reports:flow", date_from="2018-01-01", date_to="2018-12-31", format="xlsx")
    book = xlsx(response)
    assert [s.title for s in book.worksheets] == ["党员增减", "按月", "状态变动"]
    flow = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert flow["期初在册党员"] == 0 and flow["期末在册党员"] == 6 and flow["　登记流入"] == 6
    entry = AuditEntry.objects.filter(action="report.export").latest("id")
    assert entry.new_values["report"] == "flow" and entry.new_values["closing"] == 6

    for name in ("reports:tally", "reports:yearly"):
        response = get(client, cast.admin, name, format="xlsx")
        assert response.status_code == 200 and len(xlsx(response).worksheets) >= 1
        assert AuditEntry.objects.filter(action="report.export").latest("id").new_values["report"] == name.split(":")[1]


def test_yearly_summary_of_a_branch_leaves_out_the_committee_money(client, cast):
    admin = get(client, cast.admin, "reports:yearly").context["summary"]
    east = get(client, cast.east_secretary, "reports:yearly").context["summary"]
    assert {"care", "money"} <= {s.key for s in admin.sections}
    assert not {"care", "money"} & {s.key for s in east.sections}
    roster = {s.key: s for s in east.sections}["roster"]
    assert roster.rows[-1][1] == 3


def test_tally_counts_types_attendances_and_members_reached(client, cast):
    seed_types(cast)
    first = make_activity(cast.admin, cast.committee, day=datetime.date(2024, 5, 13))
    second = make_activity(cast.admin, cast.committee, day=datetime.date(2024, 6, 12))
    for activity in (first, second):
        attendance_record(actor=cast.admin, activity=activity, member=cast.me, status="present")
    attendance_record(actor=cast.admin, activity=first, member=cast.west_members[0], status="present")
    params = {"date_from": "2024-01-01", "date_to": "2024-12-31"}
    tally = get(client, cast.admin, "reports:tally", **params).context["tally"]
    assert (tally.activities, tally.attendances, tally.reached) == (2, 3, 2)
    assert "集体学习2次" in tally.sentence
    east = get(client, cast.east_secretary, "reports:tally", **params).context["tally"]
    assert east.reached == 1  # the west member is not the east secretary's


@pytest.mark.parametrize("name", PAGES)
def test_page_queries_do_not_grow_with_members(client, cast, name):
    client.force_login(cast.admin)
    url = reverse(name)
    client.get(url)  # warm the caches of the menu and the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        member = make_member(cast.admin, cast.west, name=f"多{i}", registered_on=datetime.date(2024, 1, 1 + i))
        if i % 2:
            flow_record_event(actor=cast.admin, member=member, kind=EventKind.TRANSFERRED_OUT,
                              effective_date=datetime.date(2024, 2, 1 + i), reason="转出")
    assert count() == before


# --- the commands ---------------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_report_flow_json_is_the_issue_shape(cast):
    flow_record_event(actor=cast.admin, member=cast.west_members[1], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2024, 6, 1), reason="转回原籍")
    text = run("report_flow", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json").strip()
    assert text == '{"opening":6,"increase":{},"decrease":{"transferred_out":1},"closing":5}'
    roster = json.loads(run("roster", "--as-of", "2024-12-31", "--format", "json"))
    assert json.loads(text)["closing"] == roster["total"]
    chinese = run("report_flow", "--from", "2024-01-01", "--to", "2024-12-31")
    assert "期初在册党员" in chinese and "组织关系转出" in chinese and "期末在册党员" in chinese
    east = json.loads(run("report_flow", "--from", "2018-01-01", "--to", "2024-12-31", "--format", "json",
                          "--as", "east_secretary"))
    assert east == {"opening": 0, "increase": {"registered": 3}, "decrease": {}, "closing": 3}


def test_report_composition_json_and_text(cast):
    data = json.loads(run("report_composition", "--as-of", "2024-06-01", "--by", "branch,age_band", "--format", "json"))
    assert data["total"] == 6 and data["by"] == ["branch", "age_band"]
    assert sum(r["total"] for r in data["rows"]) == 6 == sum(c["total"] for c in data["columns"])
    assert data["counts"][str(cast.east.pk)]["60-69"] == 1
    one = json.loads(run("report_composition", "--as-of", "2024-06-01", "--by", "gender", "--format", "json"))
    assert {r["key"]: r["total"] for r in one["rows"]} == {"M": 4, "F": 2} and "counts" not in one
    text = run("report_composition", "--as-of", "2024-06-01", "--by", "category,gender")
    assert "合计" in text and "类别" in text and "性别" in text


@pytest.mark.parametrize(("args", "words"), [
    (("report_flow", "--from", "2024-12-31", "--to", "2024-01-01"), "早于开始日期"),
    (("report_flow", "--from", "2024/01/01", "--to", "2024-12-31"), "YYYY-MM-DD"),
    (("report_flow", "--from", "2024-01-01", "--to", "2999-01-01"), "今天"),
    (("report_flow", "--from", "2024-01-01", "--to", "2024-12-31", "--as", "nobody"), "nobody"),
    (("report_composition", "--by", "branch,height"), "height"),
    (("report_composition", "--by", "branch,gender,category"), "一个或两个"),
    (("report_composition", "--by", "gender,gender"), "两个不同"),
    (("report_composition", "--as-of", "2024-02-30"), "2024-02-30"),
])
def test_command_bad_arguments_are_chinese_errors(cast, args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)
