"""Wording a member reads (issue 16): missed past activities, nothing published, the study list's header,
no rule versions, full-width colons, one name for the Excel export, no placeholders in plan titles."""

import re

import pytest
from django.urls import reverse

from taizhang.activities import plans
from taizhang.activities.tests.factories import DAY, make_activity, seed_types

pytestmark = pytest.mark.django_db


def text(response) -> str:
    html = re.sub(r"<(script|style).*?</\1>", "", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_missed_past_activity_reads_did_not_attend(client, cast):
    seed_types(cast)
    make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    client.force_login(cast.plain_member)
    page = text(client.get(reverse("activities:list")))
    assert "六月集体学习" in page and "未参加" in page and "未登记" not in page


def test_a_member_with_nothing_published_is_told_so(client, cast):
    client.force_login(cast.plain_member)
    page = text(client.get(reverse("home")))
    assert "目前还没有发布学习内容" in page and "已全部阅读" not in page


def test_study_list_header_is_title(client, cast):
    client.force_login(cast.study)
    page = client.get(reverse("content:study_list")).content.decode()
    assert "<th>标题</th>" in page and "<th>活动名称</th>" not in page


def test_my_points_show_no_rule_version(client, cast):
    from taizhang.activities.services import attendance_record
    from taizhang.points.tests.helpers import seed_rules

    seed_types(cast)
    seed_rules(cast)
    activity = make_activity(cast.admin, cast.committee, day=DAY)
    attendance_record(actor=cast.admin, activity=activity, member=cast.me, status="present")
    client.force_login(cast.plain_member)
    page = text(client.get(reverse("points:mine"), {"year": DAY.year}))
    assert "版本" not in page and "第1版" not in page


def test_plan_titles_need_no_placeholder():
    assert plans.title_for("集体学习", 2026, 5) == "5月集体学习"
    assert plans.title_for("{year}年{month}月主题党日", 2026, 5) == "2026年5月主题党日"


@pytest.mark.parametrize("name", ["activities:list", "content:study_list", "points:participation", "home"])
def test_no_ascii_colon_after_chinese_labels(client, cast, name):
    seed_types(cast)
    make_activity(cast.admin, cast.committee, day=DAY)
    client.force_login(cast.admin)
    page = text(client.get(reverse(name)))
    assert not re.search(r"[\u4e00-\u9fff]:", page)


def test_one_name_for_the_excel_export(client, cast):
    client.force_login(cast.admin)
    for name in ("points:participation", "members:list", "activity_reports:summary"):
        page = text(client.get(reverse(name)))
        assert "导出Excel" in page, name
        assert "导出 .xlsx" not in page and "Excel (.xlsx)" not in page
