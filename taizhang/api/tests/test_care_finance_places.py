"""The read endpoints of care, finance and places with the fixed cast: each list scoped as its page, another
branch's records absent, admin posts refused, flat query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.care.services import visit_record
from taizhang.finance.services import campaign_create, gift_record
from taizhang.places.groups_services import group_create
from taizhang.places.talks_services import talk_record
from taizhang.places.tests.rooms_fixtures import make_room

ADMIN_POSTS = ["sysadmin", "secadmin", "auditor"]


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def flat(api, path, params=None):
    api.get(path, params)
    assert_flat_queries(api, path, params=params, sizes=(1, 3))


# --- care ------------------------------------------------------------------------------------------------


@pytest.fixture
def visits(cast):
    day = timezone.localdate() - datetime.timedelta(days=3)
    east = visit_record(actor=cast.east_secretary, committee=cast.committee, visited_on=day, mode="home",
                        visitors="东部支部书记", members=[cast.east_members[1]], occasion="illness")
    west = visit_record(actor=cast.west_secretary, committee=cast.committee, visited_on=day, mode="home",
                        visitors="西部支部书记", members=[cast.west_members[1]], occasion="illness")
    return {"east": east, "west": west}


def test_elderly_list_scoped(client, cast):
    east = _rows(Api(client, cast.east_secretary).get("/care/elderly"))
    assert [r["name"] for r in east] == ["李秀英"]
    west = _rows(Api(client, cast.west_secretary).get("/care/elderly", {"day": "2026-12-31"}))
    assert [r["name"] for r in west] == ["陈刚"]  # born 1966-12-24: 60 on the last day of 2026
    admin = {r["name"] for r in _rows(Api(client, cast.admin).get("/care/elderly", {"day": "2026-12-31"}))}
    assert admin == {"李秀英", "陈刚"}
    bad = Api(client, cast.east_secretary).get("/care/elderly", {"branch": cast.west.pk})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "branch"


def test_visits_scoped(client, cast, visits):
    east = _rows(Api(client, cast.east_secretary).get("/care/visits"))
    assert [r["id"] for r in east] == [visits["east"].pk]
    assert {m["name"] for m in east[0]["members"]} == {"李秀英"}
    assert len(_rows(Api(client, cast.admin).get("/care/visits"))) == 2
    flat(Api(client, cast.admin), "/care/visits")
    flat(Api(client, cast.admin), "/care/elderly", {"day": "2026-12-31"})


@pytest.mark.parametrize("who", [*ADMIN_POSTS, "study", "plain_member", "outsider"])
def test_care_refused(client, cast, who):
    api = Api(client, getattr(cast, who))
    assert api.get("/care/elderly").status_code == 403
    assert api.get("/care/visits").status_code == 403


# --- finance ---------------------------------------------------------------------------------------------


@pytest.fixture
def campaign(cast):
    today = timezone.localdate()
    campaign = campaign_create(actor=cast.admin, committee=cast.committee, title="助学捐款", purpose="资助学生",
                               starts_on=today - datetime.timedelta(days=30), deadline=today)
    for member, fen in ((cast.me, 10000), (cast.west_members[0], 20000), (cast.east_members[1], 5000)):
        gift_record(actor=cast.admin, campaign=campaign, amount_fen=fen, received_on=today, method="cash",
                    member=member)
    return campaign


def test_campaigns_and_gifts_scoped(client, cast, campaign):
    row = _rows(Api(client, cast.admin).get("/finance/campaigns"))[0]
    assert row["total_fen"] == 35000 and row["gift_count"] == 3
    east_gifts = _rows(Api(client, cast.east_secretary).get(f"/finance/campaigns/{campaign.pk}/gifts"))
    assert {g["member"]["id"] for g in east_gifts} == {cast.me.pk, cast.east_members[1].pk}
    own = _rows(Api(client, cast.plain_member).get(f"/finance/campaigns/{campaign.pk}/gifts"))
    assert [g["amount_fen"] for g in own] == [10000]
    flat(Api(client, cast.admin), f"/finance/campaigns/{campaign.pk}/gifts")
    flat(Api(client, cast.admin), "/finance/campaigns")


@pytest.mark.parametrize("who", [*ADMIN_POSTS, "outsider"])
def test_finance_refused(client, cast, campaign, who):
    api = Api(client, getattr(cast, who))
    assert api.get("/finance/campaigns").status_code == 403
    assert api.get(f"/finance/campaigns/{campaign.pk}/gifts").status_code == 404


# --- places ----------------------------------------------------------------------------------------------


def test_rooms_bookings_groups(client, cast):
    make_room(cast)
    group_create(actor=cast.admin, committee=cast.committee, name="书画小组", leader=cast.east_members[1])
    assert [r["name"] for r in _rows(Api(client, cast.plain_member).get("/places/rooms"))] == ["党员活动室"]
    assert _rows(Api(client, cast.plain_member).get("/places/bookings")) == []
    assert Api(client, cast.plain_member).get("/places/bookings", {"which": "pending"}).status_code == 403
    assert _rows(Api(client, cast.east_secretary).get("/places/bookings", {"which": "pending"})) == []
    groups = _rows(Api(client, cast.plain_member).get("/places/groups"))
    assert groups[0]["name"] == "书画小组" and groups[0]["leader"]["name"] == "李秀英"
    flat(Api(client, cast.admin), "/places/groups")
    flat(Api(client, cast.admin), "/places/rooms")


def test_talks_name_only_members_in_scope_and_never_the_content(client, cast):
    day = timezone.localdate() - datetime.timedelta(days=1)
    east = talk_record(actor=cast.east_secretary, committee=cast.committee, held_on=day, kind="heart",
                       members=[cast.east_members[1]], content="谈话内容：家中困难")
    west = talk_record(actor=cast.west_secretary, committee=cast.committee, held_on=day, kind="heart",
                       members=[cast.west_members[0]], content="西部谈话")
    rows = _rows(Api(client, cast.east_secretary).get("/places/talks"))
    assert [r["id"] for r in rows] == [east.pk]
    assert rows[0]["content_readable"] is True and "家中困难" not in str(rows)
    assert {r["id"] for r in _rows(Api(client, cast.admin).get("/places/talks"))} == {east.pk, west.pk}
    assert Api(client, cast.plain_member).get("/places/talks").status_code == 403
    flat(Api(client, cast.admin), "/places/talks")


@pytest.mark.parametrize("who", [*ADMIN_POSTS, "outsider"])
def test_places_refused(client, cast, who):
    api = Api(client, getattr(cast, who))
    for path in ("/places/rooms", "/places/bookings", "/places/groups", "/places/talks"):
        assert api.get(path).status_code == 403, path


def test_dates_in_the_query_are_iso_days(client, cast):
    assert Api(client, cast.admin).get("/care/elderly", {"day": "0"}).status_code == 422


def test_a_day_out_of_the_calendar_is_refused_on_the_field(client, cast):
    """Found by the CI fuzz: ages counted on 0006-01-15 reached the calendar arithmetic (a 500)."""
    answer = Api(client, cast.admin).get("/care/elderly", {"day": "0006-01-15"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "day"
    assert "1900-01-01" in answer.json()["errors"][0]["message"]
    client.force_login(cast.admin)
    page = client.get(reverse("care:elderly"), {"day": "0006-01-15"})  # the page's form, the same message
    assert page.status_code == 200 and "1900-01-01" in page.content.decode()


def test_too_many_query_parameters_are_a_400_in_json(client, cast):
    api = Api(client, cast.admin)
    query = "&".join(f"x{i}=1" for i in range(1200))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.get(f"/api/v1/places/groups?{query}", headers=api._headers())
    assert response.status_code == 400 and response.json()["detail"]
