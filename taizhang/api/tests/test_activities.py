"""Activities through the API with the fixed cast: scoping of every endpoint, the services' rules and Chinese
messages as JSON errors, audited writes, read-only tokens refused, flat query counts."""

import datetime

import pytest
from django.utils import timezone

from taizhang.activities.models import AudienceKind, SignUp
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.core.models import AuditEntry

PAST = datetime.date(2026, 6, 12)


@pytest.fixture
def acts(cast):
    seed_types(cast)
    future = timezone.localdate() + datetime.timedelta(days=20)
    return {
        "all_past": make_activity(cast.admin, cast.committee, day=PAST, title="集体学习：党章"),
        "all_future": make_activity(cast.admin, cast.committee, day=future, title="主题党日"),
        "west": make_activity(cast.west_secretary, cast.committee, day=PAST, type_name="党员大会", title="西部党员大会",
                              organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west),
        "east_future": make_activity(cast.east_secretary, cast.committee, day=future, type_name="党员大会",
                                     title="东部党员大会", organiser_branch=cast.east,
                                     audience_kind=AudienceKind.BRANCH, audience_branch=cast.east),
    }


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_list_is_scoped_like_the_page(client, cast, acts):
    east = _ids(Api(client, cast.east_secretary).get("/activities/"))
    assert acts["west"].pk not in east
    assert {acts["all_past"].pk, acts["all_future"].pk, acts["east_future"].pk} <= east
    assert acts["west"].pk in _ids(Api(client, cast.admin).get("/activities/"))
    assert acts["west"].pk in _ids(Api(client, cast.west_secretary).get("/activities/"))
    # a member: the activities they are invited to
    mine = _ids(Api(client, cast.plain_member).get("/activities/"))
    assert acts["west"].pk not in mine and acts["east_future"].pk in mine


def test_list_counts_and_filters(client, cast, acts):
    api = Api(client, cast.admin)
    body = api.get("/activities/", {"q": "党员大会"}).json()
    assert body["count"] == 2
    row = api.get("/activities/", {"when": "past", "q": "党章"}).json()["results"][0]
    assert row["expected"] == 6 and row["present"] == 0 and row["organiser"] == "党委"
    assert api.get("/activities/", {"when": "upcoming"}).json()["results"][0]["expected"] is None
    bad = api.get("/activities/", {"organiser": "999999"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "organiser"


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "outsider"])
def test_admin_posts_and_outsiders_get_nothing(client, cast, acts, who):
    api = Api(client, getattr(cast, who))
    assert api.get("/activities/").status_code == 403
    assert api.get(f"/activities/{acts['all_past'].pk}").status_code in (403, 404)
    assert api.get(f"/activities/{acts['all_past'].pk}/attendance").status_code == 403
    response = api.post(f"/activities/{acts['all_future'].pk}/signups", {"member": cast.me.pk})
    assert response.status_code in (403, 404)
    assert "detail" in response.json()


def test_detail_and_ledger_of_another_branch_are_404(client, cast, acts):
    api = Api(client, cast.east_secretary)
    assert api.get(f"/activities/{acts['west'].pk}").status_code == 404
    assert api.get(f"/activities/{acts['west'].pk}/attendance").status_code == 404
    body = api.get(f"/activities/{acts['all_past'].pk}").json()
    assert body["ledger"]["expected"] == 3  # the east branch's members only
    assert body["own_signup"] is None and body["invited"] is None


def test_ledger_lists_only_the_members_in_scope(client, cast, acts):
    rows = Api(client, cast.east_secretary).get(f"/activities/{acts['all_past'].pk}/attendance").json()
    assert rows["count"] == 3
    assert {r["member"]["id"] for r in rows["results"]} == {m.pk for m in cast.east_members}
    assert all(r["status"] == "" for r in rows["results"])
    assert Api(client, cast.plain_member).get(f"/activities/{acts['all_past'].pk}/attendance").status_code == 403


def test_member_signs_up_and_cancels_audited(client, cast, acts):
    api = Api(client, cast.plain_member)
    activity = acts["all_future"]
    response = api.post(f"/activities/{activity.pk}/signups", {})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "signed_up" and body["member"]["id"] == cast.me.pk and body["made_by"] == "self"
    entry = AuditEntry.objects.filter(action="signup.create").latest("id")
    assert entry.actor == cast.plain_member
    again = api.post(f"/activities/{activity.pk}/signups", {})
    assert again.status_code == 400
    assert again.json()["detail"] == "张伟明已报名。" or "已报名" in again.json()["detail"]
    assert again.json()["errors"][0]["field"] == "member"
    detail = api.get(f"/activities/{activity.pk}").json()
    assert detail["own_signup"]["status"] == "signed_up" and detail["invited"] is True
    cancelled = api.post(f"/activities/{activity.pk}/signups/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert AuditEntry.objects.filter(action="signup.cancel").exists()


def test_signing_up_another_branch_member_is_404(client, cast, acts):
    api = Api(client, cast.east_secretary)
    west_member = cast.west_members[0]
    response = api.post(f"/activities/{acts['all_future'].pk}/signups", {"member": west_member.pk})
    assert response.status_code == 404
    assert not SignUp.objects.filter(member=west_member).exists()
    ok = api.post(f"/activities/{acts['all_future'].pk}/signups", {"member": cast.east_members[1].pk})
    assert ok.status_code == 201 and ok.json()["made_by"] == "staff"


def test_waiting_list_positions_follow_the_sign_up_order(client, cast):
    seed_types(cast)
    future = timezone.localdate() + datetime.timedelta(days=20)
    activity = make_activity(cast.admin, cast.committee, day=future, title="限额活动", capacity=1)
    api = Api(client, cast.east_secretary)
    answers = [api.post(f"/activities/{activity.pk}/signups", {"member": m.pk}).json()
               for m in cast.east_members[:3]]
    assert [a["status"] for a in answers] == ["signed_up", "waitlisted", "waitlisted"]
    assert [a["waiting_position"] for a in answers] == [None, 1, 2]
    assert "2" in answers[2]["message"]
    cancelled = api.post(f"/activities/{activity.pk}/signups/{answers[1]['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["waiting_position"] is None


def test_read_only_token_cannot_write(client, cast, acts):
    api = Api(client, cast.plain_member, read_only=True)
    response = api.post(f"/activities/{acts['all_future'].pk}/signups", {})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not SignUp.objects.exists()


def test_attendance_record_scoped_and_audited(client, cast, acts):
    api = Api(client, cast.east_secretary)
    activity = acts["all_past"]
    east, west = cast.east_members[1], cast.west_members[0]
    response = api.post(f"/activities/{activity.pk}/attendance", {"member": east.pk, "status": "present"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "present"
    assert AuditEntry.objects.filter(action="attendance.record", actor=cast.east_secretary).exists()
    assert api.post(f"/activities/{activity.pk}/attendance",
                    {"member": west.pk, "status": "present"}).status_code == 404
    # leave after the start: the service's rule, in Chinese, on the field
    refused = api.post(f"/activities/{activity.pk}/attendance",
                       {"member": cast.east_members[2].pk, "status": "leave", "absence_reason": "illness"})
    assert refused.status_code == 400
    body = refused.json()
    assert "请假" in body["detail"] and body["errors"][0]["field"] == "status"
    ledger = api.get(f"/activities/{activity.pk}").json()["ledger"]
    assert ledger["present"] == 1 and ledger["absent"] == 2
    # the study role may see but not record
    assert Api(client, cast.study).post(f"/activities/{activity.pk}/attendance",
                                        {"member": east.pk, "status": "present"}).status_code == 403


def test_schema_errors_are_chinese_json(client, cast, acts):
    response = Api(client, cast.east_secretary).post(f"/activities/{acts['all_past'].pk}/attendance",
                                                     {"member": "x", "status": "maybe"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and {e["field"] for e in body["errors"]} >= {"member", "status"}


def test_checkin_needs_a_valid_code_or_staff(client, cast, acts):
    member_api = Api(client, cast.plain_member)
    bad = member_api.post(f"/activities/{acts['all_future'].pk}/checkin", {"token": "nonsense"})
    assert bad.status_code == 400 and "签到码无效" in bad.json()["detail"]
    staff = Api(client, cast.east_secretary)
    done = staff.post(f"/activities/{acts['all_past'].pk}/checkin", {"member": cast.me.pk})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "present" and done.json()["method"] == "staff"
    again = staff.post(f"/activities/{acts['all_past'].pk}/checkin", {"member": cast.me.pk})
    assert again.status_code == 200 and "已签到" in again.json()["message"]
    assert staff.post(f"/activities/{acts['all_past'].pk}/checkin",
                      {"member": cast.west_members[0].pk}).status_code == 404


def test_list_query_count_does_not_grow_with_page_size(client, cast, acts):
    for n in range(4):
        make_activity(cast.admin, cast.committee, day=PAST - datetime.timedelta(days=n + 1), title=f"学习{n}")
    assert_flat_queries(Api(client, cast.admin), "/activities/", params={"when": "past"})
    assert_flat_queries(Api(client, cast.east_secretary), f"/activities/{acts['all_past'].pk}/attendance",
                        sizes=(1, 2))  # pages before the last (the last page adds one query for the walk-ins)
