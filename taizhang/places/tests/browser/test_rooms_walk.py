"""Rooms in a real browser on a 390 px phone: a member requests the activity room for an upcoming activity,
the secretary confirms it, the week view shows it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.places.models import Booking, BookingStatus
from taizhang.places.tests.rooms_fixtures import make_room


def _fits(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
def test_a_member_requests_the_room_on_a_phone_and_the_secretary_confirms(new_page, live_cast, sign_in,
                                                                          screenshot_dir):
    cast = live_cast
    room = make_room(cast, equipment="投影仪、音响")
    seed_types(cast)
    day = timezone.localdate() + datetime.timedelta(days=2)
    activity = make_activity(cast.admin, cast.committee, day=day, start="14:00", title="书法小组练习")

    page = new_page("phone")
    sign_in(page, cast.plain_member)
    page.goto(reverse("places:room_list"))
    _fits(page)
    page.screenshot(path=screenshot_dir / "rooms-list-phone.png", full_page=True)
    page.click(f"a[href='{reverse('places:booking_create', args=[room.pk])}']")
    page.wait_for_selector("#booking-form")
    page.fill("#id_day", day.isoformat())
    page.fill("#id_start", "14:00")
    page.fill("#id_end", "16:00")
    page.fill("#id_purpose", "书法小组练习")
    page.select_option("#id_activity", str(activity.pk))
    _fits(page)
    page.screenshot(path=screenshot_dir / "rooms-booking-form-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#booking-form button[type=submit]")
    assert "预订申请已提交" in page.locator(".tz-messages").inner_text()
    week = page.locator(f"#day-{day.isoformat()}").inner_text()
    assert "书法小组练习" in week and "待确认" in week
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED and booking.activity == activity

    staff = new_page("phone")
    sign_in(staff, cast.east_secretary)
    staff.goto(reverse("places:booking_list"))
    assert "张伟明" in staff.locator("#pending").inner_text()
    staff.click(f"#pending a[href='{reverse('places:booking_detail', args=[booking.pk])}']")
    staff.wait_for_selector("#confirm")
    _fits(staff)
    with staff.expect_navigation():
        staff.click("#confirm")
    assert "预订已确认" in staff.locator(".tz-messages").inner_text()
    assert "已确认" in staff.locator("#status").inner_text()
    staff.goto(reverse("places:room_week", args=[room.pk]) + f"?day={day.isoformat()}")
    cell = staff.locator(f"#day-{day.isoformat()}").inner_text()
    assert "14:00–16:00" in cell and "书法小组练习" in cell and "已确认" in cell and "张伟明" in cell
    _fits(staff)
    staff.screenshot(path=screenshot_dir / "rooms-week-secretary-phone.png", full_page=True)

    page.goto(reverse("places:room_week", args=[room.pk]) + f"?day={day.isoformat()}")
    assert "已确认" in page.locator(f"#day-{day.isoformat()}").inner_text()
    _fits(page)
    page.screenshot(path=screenshot_dir / "rooms-week-member-phone.png", full_page=True)
    page.goto(reverse("places:room_month", args=[room.pk]) + f"?month={day:%Y-%m}")
    _fits(page)
    page.screenshot(path=screenshot_dir / "rooms-month-member-phone.png", full_page=True)
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
