"""The QR check-in screen in a real browser: the code changes by itself (htmx polling, no inline script),
and the newest code checks a member in (issue 8)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.checkin import refresh_seconds
from taizhang.activities.models import ActivityType, Attendance
from taizhang.activities.services import activity_create
from taizhang.activities.tests.factories import seed_types


@pytest.mark.browser
def test_the_qr_screen_rotates_its_code(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    seed_types(cast)
    starts = timezone.now() + datetime.timedelta(minutes=10)
    activity = activity_create(
        actor=cast.admin, committee=cast.committee,
        activity_type=ActivityType.objects.get(committee=cast.committee, name="集体学习"),
        title="集体学习：二维码轮换", starts_at=starts, ends_at=starts + datetime.timedelta(hours=2),
    )
    screen = new_page("desktop")
    sign_in(screen, cast.admin)
    screen.goto(reverse("activities:qr", args=[activity.pk]))
    code = screen.locator("#qr-code [data-checkin-url]")
    first = code.get_attribute("data-checkin-url")
    assert screen.locator("#qr-code svg").is_visible()
    screen.screenshot(path=screenshot_dir / "activities-qr-screen.png", full_page=True)
    screen.wait_for_function(
        "first => { const el = document.querySelector('#qr-code [data-checkin-url]');"
        " return el && el.dataset.checkinUrl !== first; }",
        arg=first, timeout=(refresh_seconds() + 10) * 1000,
    )
    newest = code.get_attribute("data-checkin-url")
    assert newest != first

    phone = new_page("phone")
    sign_in(phone, cast.plain_member)
    phone.goto(newest)
    with phone.expect_navigation():
        phone.click("#checkin-button")
    assert "签到成功" in phone.locator("#checkin-result").inner_text()
    assert Attendance.objects.filter(activity=activity, member=cast.me, walk_in=False).exists()
