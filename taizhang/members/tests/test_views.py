"""The ledger pages, as each member of the fixed cast sees them (ARCHITECTURE.md rule 11)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind, FlowEvent, Member
from taizhang.members.tests.factories import citizen_id, make_member, with_wrong_check_digit

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def names_on_list(client, **params):
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return {m.name for m in response.context["page"].object_list}


# --- who sees what -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, cast):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    "who, expected",
    [
        ("admin", {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}),
        ("east_secretary", {"张伟明", "李秀英", "王建国"}),
        ("west_secretary", {"赵丽华", "陈刚"}),
        ("study", {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}),
    ],
)
def test_list_shows_exactly_the_scope(client, cast, who, expected):
    login(client, getattr(cast, who))
    assert names_on_list(client) == expected


def test_plain_member_is_taken_to_their_own_record(client, cast):
    login(client, cast.plain_member)
    response = client.get(reverse("members:list"))
    assert response.status_code == 302 and response["Location"] == reverse("members:detail", args=[cast.me.pk])
    assert client.get(reverse("members:detail", args=[cast.me.pk])).status_code == 200
    other = cast.members_by_name["李秀英"]
    assert client.get(reverse("members:detail", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "auditor", "sysadmin", "secadmin"])
def test_roles_without_ledger_access_get_403(client, cast, who):
    login(client, getattr(cast, who))
    assert client.get(reverse("members:list")).status_code == 403
    assert client.get(reverse("members:detail", args=[cast.me.pk])).status_code in (403, 404)
    assert b"\xe5\xbc\xa0\xe4\xbc\x9f\xe6\x98\x8e" not in client.get(reverse("members:detail", args=[cast.me.pk])).content


def test_other_branch_member_by_url_is_404_and_logged(client, cast):
    login(client, cast.east_secretary)
    west = cast.west_members[0]
    for url in [
        reverse("members:detail", args=[west.pk]),
        reverse("members:edit", args=[west.pk]),
        reverse("members:flow", args=[west.pk, "left_beijing"]),
    ]:
        response = client.get(url)
        assert response.status_code == 404
        assert west.name.encode() not in response.content
    response = client.post(reverse("members:flow", args=[west.pk, "left_beijing"]),
                           {"effective_date": "2024-01-01", "confirm": "on"})
    assert response.status_code == 404
    assert not FlowEvent.objects.filter(member=west, kind=EventKind.LEFT_BEIJING).exists()
    denied = AuditEntry.objects.filter(action="member.access_denied", object_id=str(west.pk), success=False)
    assert denied.count() == 4
    assert denied.first().actor_username == "east_secretary"


def test_study_member_can_view_but_not_edit(client, cast):
    login(client, cast.study)
    member = cast.east_members[1]
    response = client.get(reverse("members:detail", args=[member.pk]))
    assert response.status_code == 200
    assert not response.context["actions"] and not response.context["can_reveal"]
    assert client.get(reverse("members:edit", args=[member.pk])).status_code == 404
    assert client.get(reverse("members:create")).status_code == 403


# --- search, filters, htmx, query counts ------------------------------------------------------


@pytest.mark.parametrize("query", ["zwm", "ZWM", "zhangwei", "张伟", "伟明"])
def test_search_by_name_pinyin_and_initials(client, cast, query):
    login(client, cast.admin)
    assert names_on_list(client, q=query) == {"张伟明"}


def test_search_by_phone_and_id_last4(client, cast):
    login(client, cast.admin)
    member = cast.members_by_name["赵丽华"]
    phone = member.phone
    # a full number is posted, never put into a URL (test_search_urls.py)
    response = client.post(reverse("members:list"), {"q": f"{phone[:3]} {phone[3:7]}-{phone[7:]}"}, follow=True)
    assert {m.name for m in response.context["page"].object_list} == {"赵丽华"}
    assert "赵丽华" in names_on_list(client, q=member.id_number[-4:])


def test_search_stays_inside_scope(client, cast):
    login(client, cast.east_secretary)
    assert names_on_list(client, q="zlh") == set()


def test_filters_by_branch_age_status(client, cast):
    login(client, cast.admin)
    assert names_on_list(client, branch=cast.west.pk) == {"赵丽华", "陈刚"}
    assert names_on_list(client, age="60plus") == {"李秀英"}
    assert names_on_list(client, status="outflow") == set()


def test_htmx_request_returns_only_the_table(client, cast):
    login(client, cast.admin)
    response = client.get(reverse("members:list"), {"q": "zwm"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content and "张伟明" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, cast):
    login(client, cast.admin)

    def count_queries(per_page):
        # the roster's totals are counted once per generation (``selectors.roster_totals``): after a warm-up
        client.get(reverse("members:list"), {"per_page": per_page})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:list"), {"per_page": per_page}).status_code == 200
        return len(ctx.captured_queries)

    few = count_queries(20)
    for i in range(25):
        make_member(cast.admin, cast.east if i % 2 else cast.west, birth_date=datetime.date(1970 + i, 1, 1))
    assert count_queries(20) == few
    assert count_queries(50) == few


def test_home_shows_scope_counts(client, cast):
    login(client, cast.west_secretary)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts["total"] == 2
    assert set(counts["by_branch"]) == {cast.west.name}


# --- create and edit ----------------------------------------------------------------------------


def form_data(member=None, **overrides):
    data = {
        "name": "孙志强",
        "id_number": citizen_id(datetime.date(1979, 3, 8), "M"),
        "phone": "139 1234 5678",
        "ethnicity": "汉族",
        "membership_type": "full",
        "join_date": "2003-07-01",
        "full_membership_date": "2004-07-01",
        "party_age_correction": "0",
        "category": "working",
        "is_mobile": "on",
    }
    if member is not None:
        data.update(
            name=member.name, id_number=member.id_number, phone=member.phone, ethnicity=member.ethnicity,
            membership_type=member.membership_type, join_date=member.join_date.isoformat(),
            full_membership_date=member.full_membership_date.isoformat(), category=member.category,
            version=str(member.version),
            district=str(member.district_id or ""),
        )
    data.update(overrides)
    return data


def test_branch_secretary_registers_a_member(client, cast):
    login(client, cast.east_secretary)
    data = form_data(registered_on="2024-05-01", reported="on", branch=str(cast.east.pk))
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 302, response.context["form"].errors
    member = Member.objects.get(name="孙志强")
    assert member.branch == cast.east and member.phone == "13912345678"
    assert member.events.get().kind == EventKind.REGISTERED
    assert AuditEntry.objects.filter(action="member.create", object_id=str(member.pk)).exists()


def test_branch_secretary_cannot_register_into_another_branch(client, cast):
    login(client, cast.east_secretary)
    data = form_data(registered_on="2024-05-01", branch=str(cast.west.pk))
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 200
    assert "branch" in response.context["form"].errors
    assert not Member.objects.filter(name="孙志强").exists()


def test_bad_input_shows_field_errors_not_a_crash(client, cast):
    login(client, cast.admin)
    bad_id = with_wrong_check_digit(citizen_id(datetime.date(1979, 3, 8), "M"))
    data = form_data(registered_on="2024-05-01", branch=str(cast.east.pk), id_number=bad_id,
                     phone="12345", full_membership_date="2001-01-01")
    response = client.post(reverse("members:create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"id_number", "phone"} <= set(errors)
    assert not Member.objects.filter(name="孙志强").exists()


def test_edit_saves_and_audits(client, cast):
    login(client, cast.east_secretary)
    member = Member.objects.get(pk=cast.east_members[2].pk)
    response = client.post(reverse("members:edit", args=[member.pk]), form_data(member, employer="青岛德才装饰北京中心"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.employer == "青岛德才装饰北京中心"
    entry = AuditEntry.objects.filter(action="member.update", object_id=str(member.pk)).get()
    assert entry.new_values == {"employer": "青岛德才装饰北京中心"} and entry.old_values == {"employer": ""}


def test_two_editors_cannot_silently_overwrite_each_other(client, cast):
    member = Member.objects.get(pk=cast.east_members[2].pk)
    stale = form_data(member)
    login(client, cast.admin)
    assert client.post(reverse("members:edit", args=[member.pk]), {**stale, "employer": "甲公司"}).status_code == 302
    login(client, cast.east_secretary)
    response = client.post(reverse("members:edit", args=[member.pk]), {**stale, "employer": "乙公司"})
    assert response.status_code == 200
    assert response.context["conflict"].employer == "甲公司"
    assert any(row["saved"] == "甲公司" for row in response.context["conflict_fields"])
    member.refresh_from_db()
    assert member.employer == "甲公司"
    # After seeing the other change, saving again with the new version works.
    again = {**form_data(member), "employer": "乙公司"}
    assert client.post(reverse("members:edit", args=[member.pk]), again).status_code == 302


# --- flow actions -------------------------------------------------------------------------------


def test_outflow_then_return_through_the_pages(client, cast):
    login(client, cast.east_secretary)
    member = cast.east_members[2]
    url = reverse("members:flow", args=[member.pk, "left_beijing"])
    assert client.post(url, {"effective_date": "2024-03-01", "reason": "回青岛照顾父母"}).status_code == 200  # no confirm
    assert not member.events.filter(kind=EventKind.LEFT_BEIJING).exists()
    assert client.post(url, {"effective_date": "2024-03-01", "reason": "回青岛照顾父母", "confirm": "on"}).status_code == 302
    second = client.get(url)
    assert second.context["refusal"]
    ret = reverse("members:flow", args=[member.pk, "returned"])
    assert client.post(ret, {"effective_date": "2024-02-01", "confirm": "on"}).status_code == 200  # before outflow
    assert client.post(ret, {"effective_date": "2024-06-01", "confirm": "on"}).status_code == 302
    detail = client.get(reverse("members:detail", args=[member.pk]))
    kinds = [e.kind for e in detail.context["timeline"]]
    assert kinds == ["returned", "left_beijing", "registered"]


def test_lost_contact_needs_a_cause(client, cast):
    login(client, cast.admin)
    member = cast.west_members[1]
    url = reverse("members:flow", args=[member.pk, "lost_contact"])
    response = client.post(url, {"effective_date": "2024-03-01", "confirm": "on"})
    assert response.status_code == 200 and "lost_contact_cause" in response.context["form"].errors
    assert client.post(url, {"effective_date": "2024-03-01", "lost_contact_cause": "5", "confirm": "on"}).status_code == 302


def test_correcting_the_latest_event(client, cast):
    login(client, cast.admin)
    member = cast.west_members[0]
    client.post(reverse("members:flow", args=[member.pk, "left_beijing"]), {"effective_date": "2024-03-01", "confirm": "on"})
    event = member.events.get(kind=EventKind.LEFT_BEIJING)
    response = client.post(reverse("members:correct", args=[member.pk, event.pk]), {"reason": "录入错误", "confirm": "on"})
    assert response.status_code == 302
    detail = client.get(reverse("members:detail", args=[member.pk]))
    assert detail.context["member"].status == "active"
    voided = [e for e in detail.context["timeline"] if e.is_voided]
    assert [e.pk for e in voided] == [event.pk]


# --- personal data ------------------------------------------------------------------------------


def test_numbers_are_masked_and_reveal_is_logged(client, cast):
    member = cast.members_by_name["赵丽华"]
    login(client, cast.west_secretary)
    page = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert member.id_number not in page and member.phone not in page
    assert member.id_number_masked in page
    login(client, cast.study)  # no numbers at all on the study role's view (members/visibility.py)
    page = client.get(reverse("members:detail", args=[member.pk])).content.decode()
    assert member.id_number_masked not in page and member.phone_masked not in page
    assert client.post(reverse("members:reveal", args=[member.pk, "id_number"])).status_code == 403
    assert AuditEntry.objects.filter(action="member.reveal", success=False, actor_username="study").exists()

    login(client, cast.west_secretary)
    response = client.post(reverse("members:reveal", args=[member.pk, "phone"]))
    assert response.status_code == 200 and member.phone in response.content.decode()
    assert AuditEntry.objects.filter(action="member.reveal", success=True, object_id=str(member.pk)).exists()


def test_reveal_other_branch_is_refused(client, cast):
    login(client, cast.east_secretary)
    member = cast.west_members[0]
    response = client.post(reverse("members:reveal", args=[member.pk, "id_number"]))
    assert response.status_code == 403 and member.id_number not in response.content.decode()


# --- audit log page -----------------------------------------------------------------------------


def test_only_the_auditor_reads_the_audit_log(client, cast):
    login(client, cast.admin)
    assert client.get(reverse("core:audit")).status_code == 403
    login(client, cast.auditor)
    response = client.get(reverse("core:audit"), {"action": "member."})
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 6
    assert all(e.action.startswith("member.") for e in response.context["page"].object_list)


def test_home_warns_about_members_without_contact_for_five_months(client, cast):
    from django.utils import timezone

    from taizhang.members import selectors

    today = timezone.localdate()
    stale = cast.west_members[1]
    Member.objects.filter(pk=stale.pk).update(last_contact_date=today - datetime.timedelta(days=160))
    Member.objects.exclude(pk=stale.pk).update(last_contact_date=today - datetime.timedelta(days=140))
    assert list(selectors.contact_overdue(cast.admin)) == [stale]
    assert list(selectors.contact_overdue(cast.east_secretary)) == []
    login(client, cast.west_secretary)
    response = client.get(reverse("home"))
    assert response.context["contact_overdue"] == 1


def test_party_standing_follows_suspension_and_restoration(client, cast):
    from taizhang.members.services import flow_record_event

    member = cast.west_members[0]
    login(client, cast.admin)
    assert client.get(reverse("members:detail", args=[member.pk])).context["standing"] == "正常"
    flow_record_event(actor=cast.admin, member=member, kind=EventKind.SUSPENDED,
                      effective_date=datetime.date(2023, 1, 1), reason="失联超过6个月")
    assert client.get(reverse("members:detail", args=[member.pk])).context["standing"] == "停止党籍"
    flow_record_event(actor=cast.admin, member=member, kind=EventKind.RESTORED, effective_date=datetime.date(2024, 1, 1))
    assert client.get(reverse("members:detail", args=[member.pk])).context["standing"] == "恢复党籍"


def test_a_new_household_can_be_started_from_the_form(client, cast):
    login(client, cast.east_secretary)
    member = Member.objects.get(pk=cast.east_members[1].pk)
    response = client.post(reverse("members:edit", args=[member.pk]), form_data(member, new_household="李秀英家"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.household.name == "李秀英家"
    assert AuditEntry.objects.filter(action="household.create").exists()


def test_roster_command_can_count_as_a_user(cast):
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("roster", "--format", "json", "--as", "west_secretary", stdout=out)
    assert json.loads(out.getvalue())["total"] == 2


def test_status_filter_defaults_to_the_roster_and_can_show_everyone(client, cast):
    from taizhang.members.services import flow_record_event

    gone = cast.west_members[1]
    flow_record_event(actor=cast.admin, member=gone, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2024, 1, 1), reason="转回青岛")
    login(client, cast.admin)
    assert "陈刚" not in names_on_list(client)
    assert "陈刚" in names_on_list(client, status="all")
    assert names_on_list(client, status="transferred") == {"陈刚"}


def test_list_filters_members_without_contact_for_five_months(client, cast):
    from django.utils import timezone

    today = timezone.localdate()
    Member.objects.update(last_contact_date=today - datetime.timedelta(days=30))
    Member.objects.filter(pk=cast.east_members[1].pk).update(last_contact_date=today - datetime.timedelta(days=200))
    login(client, cast.east_secretary)
    assert names_on_list(client, contact="overdue") == {"李秀英"}


def test_home_counts_can_be_asked_for_a_past_date(client, cast):
    from taizhang.members.services import flow_record_event

    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.LEFT_BEIJING,
                      effective_date=datetime.date(2022, 5, 1))
    login(client, cast.admin)
    assert client.get(reverse("home"), {"as_of": "2018-02-28"}).context["counts"]["total"] == 0
    on_day = client.get(reverse("home"), {"as_of": "2022-06-01"}).context
    assert on_day["counts"]["total"] == 6 and on_day["outflow"] == 1
    assert client.get(reverse("home"), {"as_of": "2022-04-30"}).context["outflow"] == 0
    bad = client.get(reverse("home"), {"as_of": "2022-13-01"})
    assert bad.status_code == 200 and bad.context["as_of"] is None
