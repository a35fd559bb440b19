"""Clear messages and natural Chinese (issue 16): each message names its field and says what to do."""

import datetime
import re

import pytest
from django.urls import reverse

from taizhang.members.models import EventKind
from taizhang.members.tests.factories import citizen_id
from taizhang.organisation.models import District

pytestmark = pytest.mark.django_db

DJANGO_DEFAULTS = ("此项为必填项", "确保该值", "选择一个有效的选项", "输入一个有效", "输入整数", "输入一个数字")


def text(response) -> str:
    html = re.sub(r"<(script|style).*?</\1>", "", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def registration(cast, **overrides):
    data = {
        "registered_on": "2024-03-01", "reported": "on", "name": "马丽", "id_number": citizen_id(datetime.date(1980, 5, 17), "F"),
        "membership_type": "full", "join_date": "2005-07-01", "full_membership_date": "2006-07-01",
        "category": "working", "ethnicity": "汉族", "party_age_correction": "0", "is_mobile": "on",
    }
    data.update(overrides)
    return data


def test_a_district_of_another_branch_says_whose_it_is_not_only_required(client, cast):
    fengtai = District.objects.get(committee=cast.committee, name="丰台区")
    client.force_login(cast.east_secretary)
    response = client.post(reverse("members:create"), registration(cast, district=str(fengtai.pk), branch=""))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "branch" not in errors
    assert "丰台区属于西部片区支部" in errors["district"][0] and "只有该支部的工作人员" in errors["district"][0]
    # the browser says it too, before sending (the message travels in a data attribute, not an inline script)
    page = client.get(reverse("members:create")).content.decode()
    assert "丰台区属于西部片区支部" in page and "<script>" not in page


def test_a_future_registration_date_names_the_registration_date(client, cast):
    client.force_login(cast.east_secretary)
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = client.post(reverse("members:create"), registration(cast, registered_on=tomorrow,
                                                                   branch=str(cast.east.pk)))
    errors = response.context["form"].errors
    assert errors["registered_on"] == ["登记日期不能晚于今天。"]
    assert "生效日期" not in text(response)


def test_form_messages_are_the_projects_and_name_the_field(client, cast):
    client.force_login(cast.east_secretary)
    response = client.post(reverse("members:create"), registration(cast, name="", join_date="2005-13-40",
                                                                   party_age_correction="x", branch="999"))
    errors = response.context["form"].errors
    assert errors["name"] == ["请填写姓名。"]
    assert "入党日期" in errors["join_date"][0]
    assert "党龄校正值" in errors["party_age_correction"][0]
    assert "所在党支部" in errors["branch"][0] or "党支部" in errors["branch"][0]
    page = text(response)
    for default in DJANGO_DEFAULTS:
        assert default not in page, default


def test_points_rule_form_uses_the_projects_messages(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse("points:rule_create"), {"name": "", "action": "attendance", "points": "-5000",
                                                            "daily_cap": "0", "effective_from": "x"})
    assert response.status_code == 200
    page = text(response)
    assert "积分不能小于-1000" in page.replace(" ", "")
    for default in DJANGO_DEFAULTS:
        assert default not in page, default


def test_the_study_record_form_shows_all_its_errors_at_once(client, cast):
    client.force_login(cast.plain_member)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post(reverse("points:record_create"), {"day": future, "kind": "volunteer", "title": "",
                                                             "hours": "-1"})
    errors = response.context["form"].errors
    assert set(errors) >= {"day", "title", "hours"}
    assert "确保" not in text(response)


@pytest.mark.parametrize("url", ["points:participation", "members:list"])
def test_an_unknown_branch_says_the_branch_is_unknown(client, cast, url):
    client.force_login(cast.admin)
    page = text(client.get(reverse(url), {"branch": "999"}))
    assert "没有“999”" in page
    assert "日期无法使用" not in page and "选择一个有效的选项" not in page


def test_flow_form_says_what_changes_for_a_branch_move_and_a_contact(client, cast):
    client.force_login(cast.admin)
    move = text(client.get(reverse("members:flow", args=[cast.me.pk, EventKind.MOVED_BRANCH])))
    assert "将从东部片区支部转到下方所选的党支部" in move and "变为“在京正常”" not in move
    contact = text(client.get(reverse("members:flow", args=[cast.me.pk, EventKind.CONTACTED])))
    assert "状态仍为“在京正常”" in contact and "最近联系日期" in contact
    assert "由“在京正常”变为“在京正常”" not in contact


def test_pages_show_no_package_names_or_readme(client, cast):
    from taizhang.members.tests.factories import UserFactory, grant

    client.force_login(cast.admin)
    plans = text(client.get(reverse("content:plans")))
    assert "chinese-calendar" not in plans and "{month}" not in plans
    assert "集体学习" in plans
    security = UserFactory(username="security")
    grant(security, "security_admin", cast.committee)
    client.force_login(security)
    home = text(client.get(reverse("home")))
    assert "安全策略" in home and "README" not in home


def test_list_filters_say_which_filter_is_wrong(client, cast):
    client.force_login(cast.admin)
    page = text(client.get(reverse("activities:list"), {"date_from": "2024-99-99"}))
    assert "请按“年-月-日”填写" in page and "输入一个有效的日期" not in page
