"""Rooms and bookings: bad input refused with a Chinese message on the field and nothing written; members
request, staff confirm or decline; cancellation with a reason; the week/month views; who sees what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.places import rooms_selectors as sel
from taizhang.places import rooms_services as svc
from taizhang.places.models import Booking, BookingStatus, Room, WhoMayBook
from taizhang.places.tests.rooms_fixtures import at, make_room

pytestmark = pytest.mark.django_db


def _post_booking(client, room, day, start, end, purpose="学习小组", **extra):
    return client.post(reverse("places:booking_create", args=[room.pk]),
                       {"day": day.isoformat(), "start": start, "end": end, "purpose": purpose, **extra})


def test_an_overlapping_booking_is_refused_and_nothing_written(cast, client):
    room = make_room(cast)
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(9), ends_at=at(11), purpose="支委会", confirm=True)
    client.force_login(cast.plain_member)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = _post_booking(client, room, tomorrow, "10:30", "12:00")
    assert response.status_code == 200
    assert "该房间在" in response.content.decode() and "已被预订" in response.content.decode()
    assert Booking.objects.count() == 1
    # adjacent is fine
    assert _post_booking(client, room, tomorrow, "11:00", "12:00").status_code == 302
    assert Booking.objects.filter(status=BookingStatus.REQUESTED).count() == 1


@pytest.mark.parametrize("start,end,days,message", [
    ("07:00", "09:00", 1, "不在开放时间内"),
    ("21:00", "22:30", 1, "不在开放时间内"),
    ("10:00", "09:00", 1, "结束时间必须晚于开始时间"),
    ("10:00", "11:00", -1, "开始时间已经过去"),
])
def test_bad_times_are_refused_on_the_field(cast, client, start, end, days, message):
    room = make_room(cast)
    client.force_login(cast.plain_member)
    response = _post_booking(client, room, timezone.localdate() + datetime.timedelta(days=days), start, end)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_a_closed_day_is_refused(cast):
    room = make_room(cast, hours={})
    with pytest.raises(ValidationError) as exc:
        svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(10), ends_at=at(11), purpose="读书")
    assert "当天不开放" in exc.value.message_dict["starts_at"][0]


def test_members_request_and_staff_confirm(cast, client):
    room = make_room(cast)
    client.force_login(cast.plain_member)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    # a member cannot confirm their own booking, even by posting the box
    assert _post_booking(client, room, tomorrow, "14:00", "16:00", confirm="on").status_code == 302
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED and booking.member == cast.me
    assert client.post(reverse("places:booking_decide", args=[booking.pk, "confirm"])).status_code == 403
    assert Booking.objects.get().status == BookingStatus.REQUESTED

    client.force_login(cast.east_secretary)
    client.post(reverse("places:booking_decide", args=[booking.pk, "confirm"]))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED and booking.decided_by == cast.east_secretary
    assert AuditEntry.objects.filter(action="places.booking_confirm", object_id=str(booking.pk)).exists()

    # staff book and confirm at once; a member's request overlapping a confirmed booking is refused
    b2 = svc.booking_request(actor=cast.admin, room=room, starts_at=at(9), ends_at=at(10), purpose="党课",
                             confirm=True)
    assert b2.status == BookingStatus.CONFIRMED and b2.member is None


def test_confirming_a_request_that_now_overlaps_is_refused(cast):
    room = make_room(cast)
    request = svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(10), ends_at=at(12), purpose="读书会")
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(11), ends_at=at(13), purpose="支委会", confirm=True)
    with pytest.raises(ValidationError) as exc:
        svc.booking_confirm(actor=cast.admin, booking=request)
    assert "已被预订" in exc.value.message_dict["starts_at"][0]
    assert Booking.objects.get(pk=request.pk).status == BookingStatus.REQUESTED


def test_decline_and_cancel_need_a_reason(cast, client):
    room = make_room(cast)
    request = svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(10), ends_at=at(12), purpose="读书会")
    client.force_login(cast.admin)
    client.post(reverse("places:booking_decide", args=[request.pk, "decline"]), {"reason": ""})
    assert Booking.objects.get(pk=request.pk).status == BookingStatus.REQUESTED
    client.post(reverse("places:booking_decide", args=[request.pk, "decline"]), {"reason": "当天有党委会"})
    request.refresh_from_db()
    assert request.status == BookingStatus.DECLINED and request.reason == "当天有党委会"

    mine = svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(14), ends_at=at(15), purpose="谈心")
    client.force_login(cast.plain_member)
    response = client.post(reverse("places:booking_decide", args=[mine.pk, "cancel"]), {"reason": ""}, follow=True)
    assert "请填写原因" in response.content.decode()
    client.post(reverse("places:booking_decide", args=[mine.pk, "cancel"]), {"reason": "临时出差"})
    mine.refresh_from_db()
    assert mine.status == BookingStatus.CANCELLED and mine.reason == "临时出差"
    page = client.get(reverse("places:booking_detail", args=[mine.pk])).content.decode()
    assert "已取消" in page and "临时出差" in page
    # a cancelled booking frees the slot
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(14), ends_at=at(15), purpose="党课", confirm=True)


def test_only_the_booker_or_staff_cancel(cast):
    room = make_room(cast)
    staff_booking = svc.booking_request(actor=cast.admin, room=room, starts_at=at(10), ends_at=at(12), purpose="会",
                                        confirm=True)
    with pytest.raises(PermissionDenied):
        svc.booking_cancel(actor=cast.plain_member, booking=staff_booking, reason="不想")


def test_staff_only_rooms_and_activity_links(cast, client):
    from taizhang.activities.tests.factories import make_activity, seed_types

    room = make_room(cast, name="党员活动室 2", who_may_book=WhoMayBook.STAFF)
    with pytest.raises(ValidationError) as exc:
        svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(10), ends_at=at(11), purpose="查档")
    assert "只有工作人员可以预订" in exc.value.message_dict["room"][0]
    seed_types(cast)
    day = timezone.localdate() + datetime.timedelta(days=3)
    activity = make_activity(cast.admin, cast.committee, day=day, start="09:00", title="书法比赛")
    client.force_login(cast.admin)
    form = client.get(reverse("places:booking_create", args=[room.pk])).content.decode()
    assert "书法比赛" in form  # the committee's upcoming activities are offered
    response = client.post(reverse("places:booking_create", args=[room.pk]), {
        "day": day.isoformat(), "start": "09:00", "end": "11:00", "purpose": "书法比赛", "activity": activity.pk,
        "confirm": "on"})
    assert response.status_code == 302
    b = Booking.objects.get()
    assert b.activity == activity and b.status == BookingStatus.CONFIRMED


def test_who_may_open_the_pages(cast, client):
    room = make_room(cast)
    for user, status in [(cast.admin, 200), (cast.east_secretary, 200), (cast.west_secretary, 200),
                         (cast.plain_member, 200), (cast.study, 403), (cast.outsider, 403), (cast.auditor, 403),
                         (cast.sysadmin, 403)]:
        client.force_login(user)
        assert client.get(reverse("places:room_week", args=[room.pk])).status_code == status, user
        assert client.get(reverse("places:room_list")).status_code == status, user
    # only the committee admin manages rooms
    client.force_login(cast.east_secretary)
    assert client.get(reverse("places:room_create")).status_code == 403
    client.force_login(cast.admin)
    response = client.post(reverse("places:room_create"), {
        "name": "谈心角", "place": "三层", "capacity": 4, "equipment": "茶具", "who_may_book": "staff", "active": "on",
        "sort_order": 4, "opens_0": "09:00", "closes_0": "17:00", "opens_1": "18:00", "closes_1": "09:00"})
    assert response.status_code == 200 and "开放时间早于关闭时间" in response.content.decode()
    assert not Room.objects.filter(name="谈心角").exists()
    response = client.post(reverse("places:room_create"), {
        "name": "谈心角", "place": "三层", "capacity": 4, "equipment": "茶具", "who_may_book": "staff", "active": "on",
        "sort_order": 4, "opens_0": "09:00", "closes_0": "17:00"})
    assert response.status_code == 302
    new = Room.objects.get(name="谈心角")
    assert new.hours == {"0": ["09:00", "17:00"]}
    assert AuditEntry.objects.filter(action="places.room_create", object_id=str(new.pk)).exists()


def test_members_see_others_bookings_as_occupied(cast, client):
    room = make_room(cast)
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(9), ends_at=at(11), purpose="党委会议", confirm=True)
    svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(14), ends_at=at(15), purpose="我的读书会")
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(16), ends_at=at(17), purpose="待定请求")
    client.force_login(cast.plain_member)
    day = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    page = client.get(reverse("places:room_week", args=[room.pk]), {"day": day}).content.decode()
    assert "党委会议" not in page and "已占用" in page and "我的读书会" in page and "待定请求" not in page
    client.force_login(cast.west_secretary)
    page = client.get(reverse("places:room_week", args=[room.pk]), {"day": day}).content.decode()
    assert "党委会议" in page and "我的读书会" in page and "张伟明" in page and "待定请求" in page
    month = client.get(reverse("places:room_month", args=[room.pk]), {"month": day[:7]}).content.decode()
    assert "党委会议" in month


def test_week_and_month_navigation(cast, client):
    room = make_room(cast)
    client.force_login(cast.plain_member)
    page = client.get(reverse("places:room_week", args=[room.pk]), {"day": "2026-03-11"}).content.decode()
    assert "2026-03-09" in page and "?day=2026-03-02" in page and "?day=2026-03-16" in page
    page = client.get(reverse("places:room_month", args=[room.pk]), {"month": "2026-01"}).content.decode()
    assert "?month=2025-12" in page and "?month=2026-02" in page and 'id="day-2026-01-31"' in page
    assert client.get(reverse("places:room_month", args=[room.pk]), {"month": "garbage"}).status_code == 200


def test_summary_counts(cast):
    room = make_room(cast)
    make_room(cast, name="阅览角")
    svc.booking_request(actor=cast.admin, room=room, starts_at=at(9, days=0 if timezone.localtime().hour < 8 else 1),
                        ends_at=at(10, days=0 if timezone.localtime().hour < 8 else 1), purpose="会", confirm=True)
    counts = sel.summary_counts(cast.committee)
    assert counts["rooms"] == 2 and counts["loans_out"] == 0 and counts["overdue"] == 0
    assert counts["bookings_this_month"] in (0, 1)  # tomorrow may be next month
