"""The dashboard (看板, issue 14): its numbers on the fixed cast's known history, any as-of day, scoping (a
branch secretary sees only the branch in every panel), refusals, bad input, the query count, the cache renewed
by roster writes, the audited export and the print view."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from taizhang.core.models import AuditEntry
from taizhang.finance import budget as finance
from taizhang.members.models import EventKind, Member
from taizhang.members.selectors import roster_counts
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.points.services import point_adjustment_create
from taizhang.reports import dashboard

pytestmark = pytest.mark.django_db
URL = reverse("reports:dashboard")
PRINT_URL = reverse("reports:dashboard_print")
REGISTERED = datetime.date(2018, 3, 1)  # the cast's registration day


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def panel(board, key):
    return next(p for p in board.panels if p.key == key)


def table(board, key) -> dict:
    """{row label: [cells]} of a panel."""
    return {row[0]: row[1:] for row in panel(board, key).rows}


def trend_on(board, day: datetime.date) -> int:
    grid = table(board, "trend")
    return grid[str(day.year)][day.month - 1]


def test_the_totals_equal_the_roster_counts_on_any_day(cast):
    day = datetime.date(2024, 6, 30)
    flow_record_event(actor=cast.admin, member=cast.west_members[1], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2023, 5, 10), reason="转回青岛")
    flow_record_event(actor=cast.admin, member=cast.east_members[2], kind=EventKind.LEFT_BEIJING,
                      effective_date=datetime.date(2024, 1, 5), reason="回青岛")
    for user in (cast.admin, cast.east_secretary, cast.west_secretary):
        for on in (day, REGISTERED, REGISTERED - datetime.timedelta(days=1), datetime.date(2023, 5, 9),
                   datetime.date(2023, 5, 10), timezone.localdate()):
            board = dashboard.build(user, on)
            expected = roster_counts(user, on)["total"]
            assert board.roster == expected, (user, on)
            assert trend_on(board, on) == expected, (user, on)
            assert panel(board, "points").total[1] == expected
    board = dashboard.build(cast.admin, day)
    assert [trend_on(board, d) for d in (datetime.date(2018, 2, 28), datetime.date(2018, 3, 31),
                                         datetime.date(2023, 4, 30), datetime.date(2023, 5, 31))] == [0, 6, 6, 5]
    # left Beijing is still on the roster (away), transferred out is not
    assert board.roster == 5
    first = panel(board, "trend").chart_data()["categories"][0]
    assert first == "2017-09"  # from the founding (cast.committee.founded_on)


def test_every_composition_adds_up_to_the_roster_and_the_flow_to_the_trend(cast):
    today = timezone.localdate()
    left = today - datetime.timedelta(days=40)
    flow_record_event(actor=cast.admin, member=cast.west_members[1], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=left, reason="转回青岛")
    flow_record_event(actor=cast.admin, member=cast.east_members[2], kind=EventKind.LEFT_BEIJING,
                      effective_date=left, reason="回青岛")
    for user in (cast.admin, cast.east_secretary, cast.west_secretary):
        for on in (today, left - datetime.timedelta(days=1), datetime.date(2020, 1, 1)):
            board = dashboard.build(user, on)
            keys = [p.key for p in board.panels if p.key.startswith("by-")]
            assert len(keys) == 7
            for key in keys:
                assert panel(board, key).total[1] == board.roster, (user, on, key)
            # each month's closing of the increase-and-decrease panel is the trend's month end
            for month, _up, _down, closing in panel(board, "flow").rows:
                year, number = map(int, month.split("-"))
                assert table(board, "trend")[str(year)][number - 1] == closing, (user, on, month)
    board = dashboard.build(cast.admin)
    month = dashboard.month_label(dashboard.month_start(left))
    assert table(board, "flow")[month][:2] == [0, 1]  # the transfer out; leaving Beijing is no decrease
    reasons = table(board, "flow-reasons")
    assert reasons["减少：组织关系转出"] == [1] and reasons["状态变动：外出流出"] == [1]
    assert reasons["增加：登记流入"] == [0]
    age = table(board, "by-age_band")
    assert age["60–69岁"] == [1] and age["70岁及以上"] == [0]  # 李秀英 (1958)
    assert "60岁及以上党员1人" in panel(board, "by-age_band").note
    assert list(table(dashboard.build(cast.east_secretary), "by-branch")) == [cast.east.name]


def test_a_branch_secretary_sees_only_the_branch_in_every_panel(cast):
    board = dashboard.build(cast.east_secretary)
    assert board.roster == 3 and board.scope_label == cast.east.name
    assert list(table(board, "contact")) == [cast.east.name]
    assert panel(board, "points").total[1] == 3
    assert table(board, "care")[next(iter(table(board, "care")))] == [0, 1]  # 李秀英 (1958) of the east
    assert "budget" not in [p.key for p in board.panels]  # the committee's money: not a branch's
    west = dashboard.build(cast.west_secretary)
    assert west.roster == 2 and list(table(west, "contact")) == [cast.west.name]
    assert sum(sum(cells) for cells in table(west, "care").values()) == 0  # nobody of 60+ in the west
    admin = dashboard.build(cast.admin)
    assert admin.roster == 6 and len(table(admin, "contact")) == 3


def test_activity_and_points_panels_count_only_the_scope(cast):
    from taizhang.activities.services import attendance_all_present
    from taizhang.activities.tests.factories import make_activity, seed_types

    seed_types(cast)
    day = timezone.localdate() - datetime.timedelta(days=3)
    activity = make_activity(cast.admin, cast.committee, day=day)
    attendance_all_present(actor=cast.admin, activity=activity, members=cast.members)
    point_adjustment_create(actor=cast.admin, member=cast.east_members[1], points=40, day=day, reason="表彰")
    admin, east = dashboard.build(cast.admin), dashboard.build(cast.east_secretary)
    month = dashboard.month_label(dashboard.month_start(day))
    assert table(admin, "activities")[month] == [1, 6]
    assert table(east, "activities")[month] == [1, 3]
    assert panel(admin, "activities").total[1:3] == [1, 6]
    reached = [label for label, n in panel(east, "points").rows if n and "达标" in label or label.endswith("及以上")]
    assert sum(n for label, n in panel(east, "points").rows if label in reached) == 1  # 60 + 40 ≥ the threshold
    assert panel(east, "points").total[1] == 3


def test_contact_warnings_today(cast, settings):
    today = timezone.localdate()
    Member.objects.filter(pk=cast.east_members[0].pk).update(last_contact_date=today)
    Member.objects.filter(pk=cast.east_members[1].pk).update(
        last_contact_date=today - datetime.timedelta(days=170))  # about 5½ months: a warning
    Member.objects.filter(pk=cast.east_members[2].pk).update(last_contact_date=today - datetime.timedelta(days=400))
    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.LOST_CONTACT,
                      effective_date=today, reason="联系不上", lost_contact_cause=3)
    board = dashboard.build(cast.admin)
    rows = table(board, "contact")
    assert rows[cast.east.name] == [0, 1, 1]
    assert rows[cast.west.name][0] == 1  # recorded as lost: not counted again as overdue
    past = dashboard.build(cast.admin, today - datetime.timedelta(days=1))
    assert panel(past, "contact").header[1:] == ["失联"]  # no history of contact dates: today only


def test_a_past_day_and_bad_dates(client, cast):
    client.force_login(cast.admin)
    response = client.get(URL, {"day": "2018-02-28"})
    assert response.status_code == 200
    assert response.context["board"].roster == 0
    assert 'id="dashboard-roster">0<' in response.content.decode()
    for bad, message in (("2024-13-45", "截至日期"), ("明天", "截至日期"), ("2999-01-01", "不能晚于今天"),
                         ("1800-01-01", "1900-01-01")):
        response = client.get(URL, {"day": bad})
        assert response.status_code == 200, bad
        assert message in response.content.decode(), bad
        assert response.context["board"].day == timezone.localdate()  # today's numbers under the message
        response = client.get(PRINT_URL, {"day": bad})
        assert response.status_code == 200
    response = client.get(URL, {"day": "2999-01-01", "format": "xlsx"})  # no export of a refused date
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("who", ["plain_member", "outsider", "auditor", "sysadmin", "secadmin", "study"])
def test_roles_without_a_dashboard_are_refused(client, cast, who):
    client.force_login(getattr(cast, who))
    for url in (URL, PRINT_URL, URL + "?format=xlsx"):
        assert client.get(url).status_code == 403
    assert "nav-dashboard" not in client.get(reverse("home")).content.decode()
    assert not AuditEntry.objects.filter(action="report.export").exists()


def test_the_menu_offers_the_dashboard_to_staff(client, cast):
    for user in (cast.admin, cast.east_secretary):
        client.force_login(user)
        html = client.get(reverse("home")).content.decode()
        assert 'id="nav-stats"' in html and URL in html


def _count_queries(client, url=URL):
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_members_or_branches(client, cast):
    from taizhang.organisation.models import Branch

    client.force_login(cast.admin)
    few = _count_queries(client)
    extra = Branch.objects.create(committee=cast.committee, name="测试支部", sort_order=9)
    for i in range(8):
        make_member(cast.admin, extra if i % 2 else cast.east, name=f"新党员{i}")
    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.LEFT_BEIJING,
                      effective_date=timezone.localdate(), reason="回青岛")
    many = _count_queries(client)
    assert many == few, (few, many)
    assert few <= 31  # the page (30) + the navigation bell's unread-notice count


def test_roster_writes_renew_the_cached_numbers(client, cast):
    client.force_login(cast.admin)
    first = client.get(URL).context["board"]
    with CaptureQueriesContext(connection) as cached:
        again = client.get(URL).context["board"]
    with CaptureQueriesContext(connection) as fresh:
        cache.clear()
        client.get(URL)
    assert len(cached.captured_queries) < len(fresh.captured_queries)  # the roster panels came from the cache
    assert again.roster == first.roster == 6
    make_member(cast.admin, cast.west, name="新来的")
    after = client.get(URL).context["board"]
    assert after.roster == 7 and trend_on(after, timezone.localdate()) == 7
    assert table(after, "contact")[cast.west.name] != table(first, "contact")[cast.west.name]
    flow_record_event(actor=cast.admin, member=cast.central_members[0], kind=EventKind.DECEASED,
                      effective_date=timezone.localdate(), reason="病故")
    assert client.get(URL).context["board"].roster == 6


def test_the_export_writes_every_table_and_is_audited(client, cast):
    budget = finance.budget_get_or_create(actor=cast.admin, committee=cast.committee, year=timezone.localdate().year)
    line = budget.lines.order_by("id").first()
    finance.budget_line_set(actor=cast.admin, line=line, planned_fen=500000, reason="年初预算")
    client.force_login(cast.admin)
    page = client.get(URL).context["board"]
    assert "budget" in [p.key for p in page.panels]
    assert panel(page, "budget").total[1:] == [5000, 0]
    response = client.get(URL, {"day": timezone.localdate().isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert len(book.sheetnames) == len(page.panels)
    trend = [list(r) for r in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert trend[0][0] == "年度" and trend[-1][0] and "截至" in trend[-1][0]
    entry = AuditEntry.objects.get(action="report.export")
    assert entry.actor == cast.admin and entry.object_type == "reports.dashboard"
    assert entry.new_values["report"] == "dashboard" and entry.new_values["scope"] == cast.committee.name


def test_the_print_view(client, cast):
    client.force_login(cast.east_secretary)
    response = client.get(PRINT_URL, {"day": "2020-01-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "@page" not in html  # the A4 rules are in the static print style sheet (no inline style)
    assert "dashboard-print.css" in html and 'id="dashboard-charts"' in html and "<script>" not in html
    assert response.context["board"].roster == 3 and cast.east.name in html and cast.west.name not in html


def test_the_contact_months_follow_their_settings(cast, settings):
    settings.CONTACT_WARNING_MONTHS, settings.LOST_CONTACT_MONTHS = 3, 4
    header = panel(dashboard.build(cast.admin), "contact").header
    assert header[2:] == ["3个月未联系（预警）", "4个月以上未联系（应登记失联）"]
