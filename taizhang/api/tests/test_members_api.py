"""The members, flow and roster endpoints with the fixed cast: the same scoping, rules, messages and audit
as the pages (ARCHITECTURE.md rule 11)."""

import datetime

import pytest

from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.core.models import AuditEntry
from taizhang.members.models import Member
from taizhang.members.tests.factories import citizen_id, make_member

pytestmark = pytest.mark.django_db

ADMIN_POSTS = ("auditor", "sysadmin", "secadmin")


def names(response):
    return {row["name"] for row in response.json()["results"]}


# --- scoping -----------------------------------------------------------------------------------------------


def test_each_role_lists_exactly_its_scope(client, cast):
    assert names(Api(client, cast.admin).get("/members/")) == {m.name for m in cast.members}
    assert names(Api(client, cast.east_secretary).get("/members/")) == {m.name for m in cast.east_members}
    assert names(Api(client, cast.west_secretary).get("/members/")) == {m.name for m in cast.west_members}
    assert names(Api(client, cast.study).get("/members/")) == {m.name for m in cast.members}
    assert names(Api(client, cast.plain_member).get("/members/")) == {cast.me.name}


@pytest.mark.parametrize("who", ["outsider", *ADMIN_POSTS])
def test_admin_posts_and_outsiders_get_no_member_data(client, cast, who):
    api = Api(client, getattr(cast, who))
    member = cast.east_members[1]
    for path in ("/members/", f"/members/{member.pk}", f"/members/{member.pk}/events", "/roster/",
                 "/roster/members"):
        response = api.get(path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert member.name not in response.content.decode()
    assert api.post(f"/members/{member.pk}/reveal/phone").status_code in (403, 404)
    assert api.post(f"/members/{member.pk}/events", {"kind": "left_beijing",
                                                      "effective_date": "2024-01-02"}).status_code in (403, 404)
    assert api.patch(f"/members/{member.pk}", {"version": 1, "name": "改名"}).status_code in (403, 404)


def test_another_branchs_member_is_404_on_every_member_endpoint(client, cast):
    api = Api(client, cast.east_secretary)
    west = cast.west_members[0]
    event = west.events.first()
    calls = [
        api.get(f"/members/{west.pk}"),
        api.get(f"/members/{west.pk}/events"),
        api.post(f"/members/{west.pk}/reveal/id_number"),
        api.patch(f"/members/{west.pk}", {"version": west.version, "name": "改名"}),
        api.post(f"/members/{west.pk}/events", {"kind": "left_beijing", "effective_date": "2024-01-02"}),
        api.post(f"/members/{west.pk}/events/{event.pk}/correct", {"reason": "错了"}),
    ]
    for response in calls:
        assert response.status_code == 404, response.content
        body = response.json()
        assert body["detail"] and body["errors"] == []
        assert west.name not in response.content.decode()
    west.refresh_from_db()
    assert west.name == "赵丽华" and west.events.count() == 1  # nothing changed
    assert AuditEntry.objects.filter(action="member.access_denied", object_id=str(west.pk)).exists()
    # search by the west member's name or phone digits finds nothing
    assert names(api.get("/members/", {"q": "赵丽华"})) == set()
    assert names(api.get("/members/", {"q": west.phone[-4:]})) == set()
    assert west.name not in api.get("/roster/members").content.decode()


def test_study_role_sees_no_details_no_history_and_cannot_write_or_reveal(client, cast):
    api = Api(client, cast.study)
    member = cast.east_members[1]
    row = api.get("/members/").json()["results"][0]
    assert row["phone_masked"] is None and row["category"] is None and row["district"] is None
    detail = api.get(f"/members/{member.pk}").json()
    assert detail["id_number_masked"] is None and detail["residence"] is None and detail["may_edit"] is False
    assert api.get(f"/members/{member.pk}/events").status_code == 403
    assert api.post(f"/members/{member.pk}/reveal/phone").status_code == 403
    assert api.patch(f"/members/{member.pk}", {"version": member.version, "name": "改名"}).status_code == 404


def test_detail_is_masked_and_reveal_is_audited(client, cast):
    api = Api(client, cast.east_secretary)
    member = cast.east_members[1]
    body = api.get(f"/members/{member.pk}").json()
    assert body["id_number_masked"] == member.id_number_masked and member.id_number not in str(body)
    assert body["phone_masked"] == member.phone_masked and member.phone not in str(body)
    response = api.post(f"/members/{member.pk}/reveal/id_number")
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": member.id_number}
    entry = AuditEntry.objects.filter(action="member.reveal", object_id=str(member.pk)).latest("seq")
    assert entry.actor == cast.east_secretary and entry.success
    assert "API" in entry.message  # came through the API, with the token's prefix
    assert api.token[4:12] in entry.message


# --- search and filters -----------------------------------------------------------------------------------


def test_search_by_name_pinyin_initials_and_last_four(client, cast):
    api = Api(client, cast.admin)
    member = cast.members_by_name["王建国"]
    for text in ("王建国", "wangjianguo", "wjg", member.id_number[-4:]):
        assert "王建国" in names(api.get("/members/", {"q": text})), text
    assert names(api.get("/members/", {"q": "nobody"})) == set()


def test_filters_like_the_ledger_page(client, cast):
    api = Api(client, cast.admin)
    assert names(api.get("/members/", {"branch": cast.west.pk})) == {m.name for m in cast.west_members}
    assert "李秀英" in names(api.get("/members/", {"age": "60plus"}))
    assert names(api.get("/members/", {"status": "outflow"})) == set()
    response = api.get("/members/", {"as_of": "2018-02-01"})  # before anyone registered
    assert response.status_code == 200 and response.json()["count"] == 0
    response = api.get("/members/", {"as_of": "2999-01-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "as_of"


def test_a_branch_of_another_scope_is_a_400_naming_the_field(client, cast):
    response = Api(client, cast.east_secretary).get("/members/", {"branch": cast.west.pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "branch"


def test_paging_has_a_total(client, cast):
    body = Api(client, cast.admin).get("/members/", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 6 and body["page"] == 2 and body["page_size"] == 2 and len(body["results"]) == 2


def test_list_query_counts_do_not_grow_with_the_page_size(client, cast):
    for i in range(8):
        make_member(cast.admin, cast.east, name=f"测试{i}", birth_date=datetime.date(1970 + i, 1, 1))
    assert_flat_queries(Api(client, cast.admin), "/members/", sizes=(1, 5, 14))
    assert_flat_queries(Api(client, cast.admin), "/members/", params={"q": "ceshi"}, sizes=(1, 8))
    assert_flat_queries(Api(client, cast.study), "/members/", sizes=(1, 14))
    assert_flat_queries(Api(client, cast.admin), "/roster/members", sizes=(1, 14))
    assert_flat_queries(Api(client, cast.admin), "/roster/members", params={"as_of": "2019-01-01"}, sizes=(1, 14))


# --- create and update ------------------------------------------------------------------------------------


def new_member(branch, **overrides):
    return {
        "name": "孙新", "id_number": citizen_id(datetime.date(1988, 8, 8)), "phone": "13912345678",
        "membership_type": "full", "join_date": "2010-07-01", "full_membership_date": "2011-07-01",
        "category": "working", "branch": branch.pk, "registered_on": "2024-03-01", **overrides,
    }


def test_create_through_the_registration_form_and_service(client, cast):
    api = Api(client, cast.east_secretary)
    response = api.post("/members/", new_member(cast.east, new_tags="新来的"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "孙新" and body["status"] == "active" and body["birth_date"] == "1988-08-08"
    assert body["phone_masked"] == "139****5678" and body["tags"] == ["新来的"]
    member = Member.objects.get(pk=body["id"])
    entry = AuditEntry.objects.filter(action="member.create", object_id=str(member.pk)).get()
    assert entry.actor == cast.east_secretary and "API" in entry.message


def test_create_refusals_name_the_field_in_chinese(client, cast):
    api = Api(client, cast.east_secretary)
    response = api.post("/members/", new_member(cast.west))  # not the secretary's branch
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "branch"
    number = citizen_id(datetime.date(1988, 8, 8))
    response = api.post("/members/", new_member(cast.east, id_number=number[:-1] + ("0" if number[-1] != "0" else "1")))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "id_number" and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    response = api.post("/members/", {"name": "缺字段"})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"id_number", "join_date", "branch"}
    assert not Member.objects.filter(name__in=["孙新", "缺字段"]).exists()


def test_update_with_the_version_and_409_on_a_stale_one(client, cast):
    api = Api(client, cast.east_secretary)
    member = cast.east_members[2]
    response = api.patch(f"/members/{member.pk}", {"version": member.version, "employer": "北京某公司"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employer"] == "北京某公司" and body["version"] == member.version + 1
    member.refresh_from_db()
    assert member.id_number and member.employer == "北京某公司"  # numbers kept
    stale = api.patch(f"/members/{member.pk}", {"version": member.version - 1, "employer": "另一家"})
    assert stale.status_code == 409
    assert stale.json()["current"]["employer"] == "北京某公司" and stale.json()["current"]["version"] == member.version
    member.refresh_from_db()
    assert member.employer == "北京某公司"


# --- flow ---------------------------------------------------------------------------------------------------


def test_outflow_return_and_the_state_machine(client, cast):
    api = Api(client, cast.east_secretary)
    member = cast.east_members[2]
    out = api.post(f"/members/{member.pk}/events", {"kind": "left_beijing", "effective_date": "2024-05-01",
                                                     "reason": "外出务工"})
    assert out.status_code == 201, out.content
    assert out.json()["status"] == "outflow" and out.json()["events"][0]["kind"] == "left_beijing"
    again = api.post(f"/members/{member.pk}/events", {"kind": "left_beijing", "effective_date": "2024-06-01"})
    assert again.status_code == 409
    assert again.json()["detail"] == "该党员已有未结束的流出记录，请先登记返回。" or again.json()["errors"][0]["field"] == "kind"
    early = api.post(f"/members/{member.pk}/events", {"kind": "returned", "effective_date": "2024-04-01"})
    assert early.status_code == 400 and early.json()["errors"][0]["field"] == "effective_date"
    back = api.post(f"/members/{member.pk}/events", {"kind": "returned", "effective_date": "2024-07-01"})
    assert back.status_code == 201 and back.json()["status"] == "active"
    latest = back.json()["events"][0]
    fixed = api.post(f"/members/{member.pk}/events/{latest['id']}/correct", {"reason": "日期错了"})
    assert fixed.status_code == 201 and fixed.json()["status"] == "outflow"
    assert AuditEntry.objects.filter(action="flow.left_beijing", actor=cast.east_secretary).exists()
    history = api.get(f"/members/{member.pk}/events").json()
    assert [e["kind"] for e in history["events"]][:3] == ["correction", "returned", "left_beijing"]
    assert history["events"][1]["voided"] is True


def test_lost_contact_needs_its_cause_and_transfer_its_reason(client, cast):
    api = Api(client, cast.east_secretary)
    member = cast.east_members[2]
    response = api.post(f"/members/{member.pk}/events", {"kind": "lost_contact", "effective_date": "2024-05-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "lost_contact_cause"
    response = api.post(f"/members/{member.pk}/events", {"kind": "transferred_out", "effective_date": "2024-05-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "reason"


# --- roster -------------------------------------------------------------------------------------------------


def test_roster_is_the_commands_json_in_the_users_scope(client, cast):
    body = Api(client, cast.west_secretary).get("/roster/").json()
    assert body["total"] == 2 and body["by_branch"] == {cast.west.name: 2}
    assert Api(client, cast.admin).get("/roster/", {"as_of": "2018-02-01"}).json()["total"] == 0
    listed = Api(client, cast.west_secretary).get("/roster/members").json()
    assert listed["count"] == 2 and {r["name"] for r in listed["results"]} == {m.name for m in cast.west_members}
    assert Api(client, cast.admin).get("/roster/", {"as_of": "2999-01-01"}).status_code == 400
    assert Api(client, cast.plain_member).get("/roster/").status_code == 403


def test_roster_counts_are_the_home_pages_cached_counts(client, cast):
    """The roster counts are the home page's reading (``selectors.home_counts``): counted once per roster
    generation from the spells, so asking again counts no spell (nor does the members list's total), and a
    flow event is counted at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taizhang.members.models import EventKind
    from taizhang.members.services import flow_record_event

    api = Api(client, cast.admin)

    def spells_read(path, params):
        with CaptureQueriesContext(connection) as ctx:
            body = api.get(path, params).json()
        return body, sum("members_rosterspell" in q["sql"] and "COUNT(" in q["sql"] for q in ctx.captured_queries)

    for day in ("2024-01-01", datetime.date.today().isoformat()):
        body, read = spells_read("/roster/", {"as_of": day})
        assert body["total"] == 6 and read == 1
        assert spells_read("/roster/", {"as_of": day}) == (body, 0)
        assert spells_read("/roster/members", {"as_of": day})[0]["count"] == 6
        assert spells_read("/roster/members", {"as_of": day})[1] == 0  # its total and groups: the same counts
    flow_record_event(actor=cast.admin, member=cast.members_by_name["王建国"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2023, 6, 1), reason="转回青岛")
    body, read = spells_read("/roster/", {"as_of": "2024-01-01"})
    assert body["total"] == 5 and read == 1


def test_roster_members_are_paged_branch_by_branch_in_the_commands_order(client, cast):
    """The paged list (read a page at a time, one branch group after another: ``roster_members_by_branch``)
    holds the command's ``--list`` in its order (branch that day, pinyin, id) on every page, for a past day
    (moves and a member who left since count where they stood) and today, in each role's scope; its count is
    the roster's total."""
    from taizhang.members.management.commands.roster import roster_members
    from taizhang.members.models import EventKind
    from taizhang.members.services import flow_record_event

    by = cast.members_by_name
    for i in range(4):
        make_member(cast.admin, (cast.east, cast.central, cast.west)[i % 3], name=f"王丽{i}")
    flow_record_event(actor=cast.admin, member=by["陈刚"], kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2021, 1, 10), to_branch=cast.east)
    flow_record_event(actor=cast.admin, member=by["李秀英"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2022, 6, 1), reason="转回青岛")
    today = datetime.date.today()
    for who in ("admin", "east_secretary", "west_secretary"):
        user = getattr(cast, who)
        api = Api(client, user)
        for day in (datetime.date(2020, 12, 31), today):
            expected = [(m["name"], m["branch"]) for m in roster_members(user, day)]
            rows = []
            for page in range(1, -(-len(expected) // 3) + 1):
                body = api.get("/roster/members", {"as_of": day.isoformat(), "page": page, "page_size": 3}).json()
                assert body["count"] == len(expected) == api.get("/roster/", {"as_of": day.isoformat()}).json()["total"]
                rows += [(r["name"], r["branch"]) for r in body["results"]]
            assert rows == expected, (who, day)
    past = {r["name"]: r["branch"] for r in Api(client, cast.admin).get(
        "/roster/members", {"as_of": "2020-12-31", "page_size": 100}).json()["results"]}
    assert past["陈刚"] == cast.west.name and past["李秀英"] == cast.east.name
