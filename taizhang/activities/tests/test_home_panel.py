"""The activities card on the home page: a member sees what they are invited to and their sign-up; staff
see what is coming up in their scope; others see no card. Fixed query count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.models import AudienceKind
from taizhang.activities.services import signup_create
from taizhang.activities.tests.factories import make_activity, seed_types

pytestmark = pytest.mark.django_db


def soon(cast, actor, title, days=3, **kwargs):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return make_activity(actor, cast.committee, day=day, title=title, **kwargs)


@pytest.fixture
def coming(cast):
    seed_types(cast)
    committee = soon(cast, cast.admin, "党委集体学习", capacity=20)
    west = soon(cast, cast.west_secretary, "西部主题党日", type_name="主题党日", organiser_branch=cast.west,
                audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    signup_create(actor=cast.plain_member, activity=committee, member=cast.me)
    return committee, west


def card(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return next((p["context"] for p in response.context["panels"] if p["key"] == "activities"), None)


def test_member_sees_invited_activities_and_their_sign_up(client, cast, coming):
    committee, _west = coming
    panel = card(client, cast.plain_member)
    assert [a.title for a in panel["upcoming"]] == ["党委集体学习"]
    assert panel["upcoming"][0].my_status == "signed_up" and panel["upcoming"][0].signed_up == 1
    assert "您已报名" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("who, titles", [
    ("admin", {"党委集体学习", "西部主题党日"}),
    ("east_secretary", {"党委集体学习"}),
    ("west_secretary", {"党委集体学习", "西部主题党日"}),
])
def test_staff_see_what_is_coming_in_their_scope(client, cast, coming, who, titles):
    assert {a.title for a in card(client, getattr(cast, who))["upcoming"]} == titles


@pytest.mark.parametrize("who", ["outsider", "auditor", "sysadmin", "study"])
def test_no_card_for_users_who_neither_attend_nor_organise(client, cast, coming, who):
    assert card(client, getattr(cast, who)) is None


def test_card_query_count_does_not_grow(cast, coming):
    from taizhang.activities.home import home_panel

    with CaptureQueriesContext(connection) as few:
        home_panel(user=cast.admin)
    for i in range(5):
        soon(cast, cast.admin, f"更多活动{i}", days=4 + i)
    with CaptureQueriesContext(connection) as more:
        home_panel(user=cast.admin)
    assert len(more) <= len(few)  # (the second call may reuse what the user object cached)
