"""The activity report pages and the .xlsx export, as each member of the cast sees them."""

import datetime
import io

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities.services import activity_type_create
from taizhang.activities.tests.factories import DAY, make_activity
from taizhang.activities.tests.factories_reports import PRESENT, record, report_world
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

YEAR = {"date_from": f"{DAY.year}-01-01", "date_to": f"{DAY.year}-12-31"}


@pytest.fixture
def world(cast):
    return report_world(cast)


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


@pytest.mark.parametrize("who, status", [
    ("admin", 200), ("east_secretary", 200), ("west_secretary", 200),
    ("study", 403), ("plain_member", 403), ("outsider", 403), ("auditor", 403), ("sysadmin", 403),
])
def test_who_may_open_the_report(client, cast, world, who, status):
    assert get(client, getattr(cast, who), "activity_reports:summary", **YEAR).status_code == status
    assert get(client, getattr(cast, who), "activity_reports:export_xlsx", **YEAR).status_code == status


def test_anonymous_is_sent_to_login(client, cast):
    response = client.get(reverse("activity_reports:summary"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who, branches, members", [
    ("admin", {"东部片区支部", "中部片区支部", "西部片区支部"}, {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}),
    ("east_secretary", {"东部片区支部"}, {"张伟明", "李秀英", "王建国"}),
    ("west_secretary", {"西部片区支部"}, {"赵丽华", "陈刚"}),
])
def test_page_shows_exactly_the_scope(client, cast, world, who, branches, members):
    response = get(client, getattr(cast, who), "activity_reports:summary", **YEAR)
    assert {b.name for b, _t, _o in response.context["participation"].branches} == branches
    assert {r.name for r in response.context["page"].object_list} == members
    html = response.content.decode()
    others = {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"} - members
    assert not any(f">{name}<" in html for name in others)


def test_page_shows_the_counts(client, cast, world):
    response = get(client, cast.admin, "activity_reports:summary", **YEAR)
    html = response.content.decode()
    assert 'id="type-total">3<' in html and 'id="attendance-total">6<' in html
    assert "集体学习" in html and "党员大会" in html and "table-danger" in html  # shortfalls are highlighted


def test_default_period_is_this_year_and_presets_work(client, cast, world):
    response = get(client, cast.admin, "activity_reports:summary")
    assert response.context["preset"] == "this_year"
    response = get(client, cast.admin, "activity_reports:summary", preset="first_four_years")
    assert (response.context["date_from"], response.context["date_to"]) == (datetime.date(2017, 9, 1),
                                                                             datetime.date(2021, 8, 31))
    assert response.context["by_type"] == []


def test_bad_dates_give_a_message_not_an_error(client, cast, world):
    response = get(client, cast.admin, "activity_reports:summary", date_from="2026-12-31", date_to="2026-01-01")
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode() or response.context["form"].errors
    response = get(client, cast.admin, "activity_reports:summary", date_from="abc", date_to="2026-13-45")
    assert response.status_code == 200 and response.context["form"].errors
    response = get(client, cast.admin, "activity_reports:summary", date_from="0001-01-01", date_to="9999-12-31")
    assert response.status_code == 200 and set(response.context["form"].errors) == {"date_from", "date_to"}
    assert get(client, cast.admin, "activity_reports:export_xlsx", date_from="0001-01-01",
               date_to="9999-12-31").status_code == 200
    assert get(client, cast.admin, "activity_reports:member", cast.me.pk, date_from="0001-01-01",
               date_to="9999-12-31").status_code == 200


def test_sorting_and_htmx_fragment(client, cast, world):
    client.force_login(cast.admin)
    response = client.get(reverse("activity_reports:summary"), {**YEAR, "sort": "-rate"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "activities/reports/partials/member_table.html"
    rows = list(response.context["page"].object_list)
    assert rows[0].rate_percent == 100 and rows[-1].name == "陈刚"


def test_pagination(client, cast, world):
    response = get(client, cast.admin, "activity_reports:summary", per_page=20, **YEAR)
    assert response.context["page"].paginator.num_pages == 1
    response = get(client, cast.admin, "activity_reports:summary", per_page=7, page=99, **YEAR)
    assert response.status_code == 200 and response.context["per_page"] == 20


def test_summary_query_count_does_not_grow_with_rows(client, cast, world):
    client.force_login(cast.admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("activity_reports:summary"), YEAR).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        member = make_member(cast.admin, cast.central, birth_date=datetime.date(1950 + i, 2, 2))
        activity = make_activity(cast.admin, cast.committee, day=DAY + datetime.timedelta(days=30 + i),
                                 title=f"集体学习 {i}")
        record(cast.admin, activity, (member, PRESENT), (cast.me, PRESENT))
    assert count() == before


def sheets_of(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in workbook.worksheets}


def test_export_has_four_sheets_and_is_logged(client, cast, world):
    response = get(client, cast.admin, "activity_reports:export_xlsx", **YEAR)
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheets = sheets_of(response)
    assert len(sheets) == 4
    by_type, by_branch, by_member, expected = sheets.values()
    assert by_type[1][:3] == ["集体学习", 1, 3]
    assert {row[0] for row in by_member[1:] if row[0] and row[1]} == {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚",
                                                                      "刘洋"}
    assert any(row[0] == "东部片区支部" and row[2:6] == [6, 3, 1, 2] for row in by_branch)
    assert any(row[1] == "党员大会" for row in expected)
    entry = AuditEntry.objects.get(action="report.export")
    assert entry.actor == cast.admin and entry.new_values["members"] == 6


def test_export_is_scoped(client, cast, world):
    sheets = sheets_of(get(client, cast.west_secretary, "activity_reports:export_xlsx", **YEAR))
    by_member = list(sheets.values())[2]
    assert {row[0] for row in by_member[1:] if row[0] and row[1]} == {"赵丽华", "陈刚"}


def test_export_neutralises_formulas(client, cast, world):
    activity_type_create(actor=cast.admin, committee=cast.committee, name="=HYPERLINK(1)")
    make_activity(cast.admin, cast.committee, type_name="=HYPERLINK(1)", title="x", day=DAY)
    by_type = list(sheets_of(get(client, cast.admin, "activity_reports:export_xlsx", **YEAR)).values())[0]
    assert "'=HYPERLINK(1)" in [row[0] for row in by_type]


@pytest.mark.parametrize("who, status", [
    ("admin", 200), ("east_secretary", 200), ("west_secretary", 404), ("study", 403), ("plain_member", 403),
    ("outsider", 403),
])
def test_member_attendance_page_scoping(client, cast, world, who, status):
    assert get(client, getattr(cast, who), "activity_reports:member", cast.me.pk, **YEAR).status_code == status


def test_member_attendance_page_lists_the_activities(client, cast, world):
    response = get(client, cast.admin, "activity_reports:member", cast.members_by_name["王建国"].pk, **YEAR)
    html = response.content.decode()
    assert "东部支部党员大会" in html and "集体学习：学习党章" in html and "西部支部委员会" not in html
    tally = response.context["tally"]
    assert (tally.expected, tally.present, tally.absent) == (2, 0, 2)


def test_member_attendance_page_hides_activities_outside_the_viewers_scope(client, cast, world):
    record(cast.admin, world.west_meeting, (cast.me, PRESENT))  # a walk-in at the west branch's meeting
    assert "西部支部委员会" in get(client, cast.admin, "activity_reports:member", cast.me.pk, **YEAR).content.decode()
    html = get(client, cast.east_secretary, "activity_reports:member", cast.me.pk, **YEAR).content.decode()
    assert "西部支部委员会" not in html and "东部支部党员大会" in html


def test_member_attendance_page_query_count_does_not_grow(client, cast, world):
    client.force_login(cast.admin)
    url = reverse("activity_reports:member", args=[cast.me.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, YEAR).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        activity = make_activity(cast.admin, cast.committee, day=DAY + datetime.timedelta(days=40 + i),
                                 title=f"集体学习 {i}")
        record(cast.admin, activity, (cast.me, PRESENT))
    assert count() == before


def test_member_table_is_sorted_and_paged_by_the_database_in_the_same_queries(client, cast, world):
    """Every sort order and every page of the member table cost the same queries (the rows of one page are
    read with LIMIT/OFFSET), and the page holds the rows the whole sorted table has there."""
    from taizhang.activities import reports
    from taizhang.activities.report_views import MEMBER_COLUMNS

    for i in range(20):
        make_member(cast.admin, cast.central, name=f"补充党员{i}", birth_date=datetime.date(1950 + i, 3, 3))
    client.force_login(cast.admin)
    everyone = list(reports.participation(cast.admin, *[datetime.date.fromisoformat(d) for d in YEAR.values()])
                    .members)
    assert len(everyone) == 26
    counts = set()
    for key, _label in MEMBER_COLUMNS:
        for sort in (key, f"-{key}"):
            ordered, _sort = reports.sort_members(everyone, sort)
            for page in (1, 2):
                cache.clear()  # computed every time (a cached answer costs fewer queries: tests below)
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(reverse("activity_reports:summary"), {**YEAR, "sort": sort, "page": page})
                assert response.status_code == 200
                counts.add(len(ctx.captured_queries))
                shown = list(response.context["page"].object_list)
                wanted = ordered[(page - 1) * 20:page * 20]
                key_of = reports.MEMBER_SORTS[key]
                assert [key_of(r) for r in shown] == [key_of(r) for r in wanted], (sort, page)
    assert len(counts) == 1
