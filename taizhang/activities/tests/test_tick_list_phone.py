"""Taking attendance on a phone (issue 16): the ledger's pinyin search, 实到 following each tick, 到 /
请假 / 缺席 side by side, 全部到 with a confirmation step, and the printable sign-in sheet."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from taizhang.activities.models import Attendance, AttendanceStatus, CheckInMethod
from taizhang.activities.services import attendance_all_present, attendance_check_in, attendance_record
from taizhang.activities.tests.factories import seed_types
from taizhang.activities.tests.factories_pages import activity_at, body, future, minutes_from_now
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def soon(cast):
    """Starts in 10 minutes: check-in is open, leave can still be asked for."""
    seed_types(cast)
    return activity_at(cast.admin, cast.committee, minutes_from_now(10), title="正在签到的集体学习")


@pytest.fixture
def started(cast):
    seed_types(cast)
    return activity_at(cast.admin, cast.committee, minutes_from_now(-15), title="已开始的主题党日")


def names(response):
    return [m.name for m, _att in response.context["rows"]]


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["hgy", "heguiying", "何桂", "HGY"])
def test_the_tick_list_search_is_the_ledgers_pinyin_search(client, cast, soon, q):
    make_member(cast.admin, cast.east, name="何桂英")
    make_member(cast.admin, cast.east, name="何平")
    client.force_login(cast.east_secretary)
    url = reverse("activities:attendance", args=[soon.pk])
    assert names(client.get(url, {"q": q})) == ["何桂英"]
    # as the phone types (htmx): only the list is sent back, and the counts stay those of the whole list
    response = client.get(url, {"q": q}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tick-list")
    assert "<html" not in body(response) and "何桂英" in body(response) and "何平" not in body(response)
    full = client.get(url, {"q": q})
    assert full.context["counts"]["expected"] == 5


def test_a_full_number_never_stays_in_the_tick_lists_address(client, cast, soon):
    """The phone's search goes by htmx without touching the URL; a full number typed into the address bar
    (or sent without scripts) is taken out of it (issue 8: full numbers never in a URL)."""
    client.force_login(cast.east_secretary)
    url = reverse("activities:attendance", args=[soon.pk])
    page = client.get(url)
    assert 'hx-push-url="true"' not in body(page).split('id="tick-search"')[0].rsplit("<form", 1)[-1]
    response = client.get(url, {"q": "13812345678"})
    assert response.status_code == 302 and response["Location"] == url
    assert "13812345678" not in response["Location"]
    assert client.get(url, {"q": "5678"}).status_code == 200  # the last four are fine


def test_a_search_that_finds_nobody_says_so(client, cast, soon):
    client.force_login(cast.east_secretary)
    response = client.get(reverse("activities:attendance", args=[soon.pk]), {"q": "xyz"})
    assert names(response) == [] and "没有与“xyz”匹配" in body(response)


def test_the_tick_list_page_has_no_inline_script(client, cast, soon):
    client.force_login(cast.admin)
    page = body(client.get(reverse("activities:attendance", args=[soon.pk])))
    main = page.split('<main', 1)[-1]
    assert "<script>" not in main and not re.search(r"\son[a-z]+=", main)


# --- 实到 follows each tick -----------------------------------------------------------------------------


def present_count(html):
    match = re.search(r'<div id="tick-counts"[^>]*hx-swap-oob="true"[^>]*>.*?id="n-present">(\d+)<', html, re.S)
    assert match, "the response carries no out-of-band 实到 counter"
    return int(match.group(1))


def test_ticking_a_name_sends_back_the_new_present_count(client, cast, soon):
    client.force_login(cast.east_secretary)
    page = client.get(reverse("activities:attendance", args=[soon.pk]))
    assert page.context["counts"] == {"expected": 3, "present": 0, "unmarked": 3}
    first = client.post(reverse("activities:attendance_present", args=[soon.pk, cast.east_members[0].pk]), **HX)
    assert present_count(body(first)) == 1
    second = client.post(reverse("activities:attendance_present", args=[soon.pk, cast.east_members[1].pk]), **HX)
    assert present_count(body(second)) == 2
    leave = client.post(reverse("activities:attendance_mark", args=[soon.pk, cast.east_members[2].pk]),
                        {"status": "leave", "absence_reason": "illness", "note": ""}, **HX)
    html = body(leave)
    assert present_count(html) == 2 and "未记" not in html.split('id="tick-counts"')[1]


# --- 到 / 请假 / 缺席 ------------------------------------------------------------------------------------


def buttons(html, member):
    row = html.split(f'id="att-row-{member.pk}"', 1)[1].split('class="list-group-item', 1)[0]
    return {action: 'disabled' not in tag for action, tag in
            ((m.group(1), m.group(0)) for m in re.finditer(r'<button[^>]*data-action="(\w+)"[^>]*>', row))}


def test_absent_sits_beside_present_and_leave(client, cast, soon, started):
    client.force_login(cast.east_secretary)
    member = cast.east_members[0]
    before = body(client.get(reverse("activities:attendance", args=[soon.pk])))
    assert buttons(before, member) == {"leave": True, "absent": False}
    during = body(client.get(reverse("activities:attendance", args=[started.pk])))
    assert buttons(during, member) == {"leave": False, "absent": True}
    assert "到</button>" in during


def test_absent_takes_a_reason_like_leave(client, cast, started):
    client.force_login(cast.east_secretary)
    member = cast.east_members[1]
    url = reverse("activities:attendance_mark", args=[started.pk, member.pk])
    form = body(client.get(url, {"status": "absent"}, **HX))
    assert 'name="absence_reason"' in form and "缺席" in form
    response = client.post(url, {"status": "absent", "absence_reason": "work", "note": ""}, **HX)
    assert response.status_code == 200
    row = Attendance.objects.get(activity=started, member=member)
    assert (row.status, row.absence_reason) == (AttendanceStatus.ABSENT, "work")


# --- 全部到 -------------------------------------------------------------------------------------------


def test_all_present_asks_first_then_records_only_the_unmarked_in_one_audited_call(client, cast, started):
    by = cast.members_by_name
    attendance_record(actor=cast.admin, activity=started, member=by["李秀英"], status="absent", absence_reason="illness")
    client.force_login(cast.east_secretary)
    url = reverse("activities:attendance_all_present", args=[started.pk])
    assert url in body(client.get(reverse("activities:attendance", args=[started.pk])))

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert [m.name for m in confirm.context["members"]] == ["王建国", "张伟明"]
    assert not Attendance.objects.filter(activity=started, member=by["张伟明"]).exists()  # GET writes nothing
    assert 'method="post"' in body(confirm) and "confirm(" not in body(confirm)

    # meanwhile 王建国 checks in by QR: the batch leaves his record alone
    attendance_check_in(actor=cast.admin, activity=started, member=by["王建国"], method=CheckInMethod.STAFF)
    ids = [m.pk for m in confirm.context["members"]]
    response = client.post(url, {"member": ids})
    assert response.status_code == 302 and response["Location"] == reverse("activities:attendance", args=[started.pk])
    statuses = dict(Attendance.objects.filter(activity=started).values_list("member__name", "status"))
    assert statuses == {"李秀英": "absent", "王建国": "present", "张伟明": "present"}
    batch = AuditEntry.objects.get(action="attendance.all_present")
    assert batch.new_values["members"] == [by["张伟明"].pk] and batch.new_values["count"] == 1
    assert AuditEntry.objects.filter(action="attendance.record", object_id=str(
        Attendance.objects.get(activity=started, member=by["张伟明"]).pk)).exists()


def test_all_present_never_reaches_beyond_the_users_branch(client, cast, started):
    client.force_login(cast.east_secretary)
    west = cast.west_members[0]
    client.post(reverse("activities:attendance_all_present", args=[started.pk]),
                {"member": [west.pk, cast.me.pk]})
    assert set(Attendance.objects.filter(activity=started).values_list("member__name", flat=True)) == {"张伟明"}


def test_all_present_is_one_transaction(cast, started):
    """A member who cannot be recorded (not on the roster that day) stops the whole batch."""
    gone = cast.east_members[2]
    flow_record_event(actor=cast.admin, member=gone, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=started.date.replace(year=started.date.year - 1), reason="转回青岛")
    with pytest.raises(ValidationError) as caught:
        attendance_all_present(actor=cast.east_secretary, activity=started, members=list(cast.east_members))
    assert "王建国" in str(caught.value)
    assert not Attendance.objects.filter(activity=started).exists()
    assert not AuditEntry.objects.filter(action="attendance.all_present").exists()


def test_all_present_before_check_in_opens_or_with_nobody_left_says_so(client, cast):
    seed_types(cast)
    later = future(cast.admin, cast.committee)
    client.force_login(cast.east_secretary)
    response = client.get(reverse("activities:attendance_all_present", args=[later.pk]), follow=True)
    assert "签到开始" in body(response) or "开始签到" in body(response)
    assert reverse("activities:attendance_all_present", args=[later.pk]) not in body(
        client.get(reverse("activities:attendance", args=[later.pk])))
    assert not Attendance.objects.exists()


def test_all_present_when_everyone_is_marked(client, cast, started):
    for m in cast.east_members:
        attendance_record(actor=cast.admin, activity=started, member=m, status="present")
    client.force_login(cast.east_secretary)
    response = client.get(reverse("activities:attendance_all_present", args=[started.pk]), follow=True)
    assert "已有出勤记录" in body(response)
    assert reverse("activities:attendance_all_present", args=[started.pk]) not in body(
        client.get(reverse("activities:attendance", args=[started.pk])))


# --- 签到表 -------------------------------------------------------------------------------------------


def test_the_sign_in_sheet_lists_the_names_with_a_signature_column_and_the_totals(client, cast, started):
    attendance_record(actor=cast.admin, activity=started, member=cast.me, status="present")
    client.force_login(cast.east_secretary)
    assert reverse("activities:attendance_sheet", args=[started.pk]) in body(
        client.get(reverse("activities:attendance", args=[started.pk])))
    response = client.get(reverse("activities:attendance_sheet", args=[started.pk]))
    page = body(response)
    assert "签到表" in page and "签名" in page
    assert all(m.name in page for m in cast.east_members) and cast.west_members[0].name not in page
    assert re.search(r'id="sheet-expected">应到：3', page) and re.search(r'id="sheet-present">实到：1', page)
    assert "sign_in_sheet.css" in page and "onclick" not in page and "<script>" not in page
    assert AuditEntry.objects.filter(action="activity.sign_in_sheet", object_id=str(started.pk)).exists()


def test_the_sign_in_sheet_is_for_staff_only(client, cast, started):
    url = reverse("activities:attendance_sheet", args=[started.pk])
    for user in (cast.study, cast.plain_member, cast.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 403
