"""Organisational life in a real browser, as the issue's walk: a member on a phone-sized screen signs up
for an activity, checks in with the QR link, writes a reflection with a photo and sees the points.
(The branch secretary approving a study record is taizhang/points/tests/browser/test_points_walk.py.)"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.checkin import checkin_token
from taizhang.activities.models import ActivityNote, ActivityType, Attendance, SignUp
from taizhang.activities.services import activity_create
from taizhang.points.models import PointEntry
from taizhang.points.tests.helpers import seed_rules

# the smallest valid PNG: 1×1 transparent
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.mark.browser
def test_member_on_a_phone_signs_up_checks_in_reflects_and_sees_points(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    seed_rules(cast)
    starts = timezone.now() + datetime.timedelta(minutes=10)  # sign-up still open, check-in already open
    activity = activity_create(
        actor=cast.admin,
        committee=cast.committee,
        activity_type=ActivityType.objects.get(committee=cast.committee, name="集体学习"),
        title="集体学习：学习党章",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="党员之家·一号会议室",
        capacity=30,
    )
    page = new_page("phone")
    sign_in(page, cast.plain_member)

    # 我的活动 → 报名
    page.goto(reverse("activities:list"))
    card = page.locator(f"#upcoming [data-activity='{activity.pk}']")
    assert "集体学习：学习党章" in card.inner_text()
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert SignUp.objects.get(activity=activity, member=cast.me).status == "signed_up"
    assert page.locator(f"#upcoming [data-activity='{activity.pk}'] form[action*='/cancel/']").count() == 1
    page.screenshot(path=screenshot_dir / "activities-mine-phone.png", full_page=True)

    # scan the QR code: the link opens, one tap checks in; a second scan says so
    link = reverse("activities:checkin", args=[activity.pk, checkin_token(activity)])
    page.goto(link)
    with page.expect_navigation():
        page.click("#checkin-button")
    assert "签到成功" in page.locator("#checkin-result").inner_text()
    page.screenshot(path=screenshot_dir / "activities-checkin-phone.png", full_page=True)
    page.goto(link)
    if page.locator("#checkin-button").count():
        with page.expect_navigation():
            page.click("#checkin-button")
    assert "已签到" in page.locator("#checkin-result").inner_text()
    attendance = Attendance.objects.get(activity=activity, member=cast.me)
    assert (attendance.status, attendance.method) == ("present", "qr")

    # the reflection with a photo, from the activity's page
    page.goto(reverse("activities:detail", args=[activity.pk]))
    page.locator("#write-reflection").click()
    page.wait_for_selector("#note-form")
    page.fill("#note-form textarea[name=text]", "重温党章，感到作为流动党员更要主动参加组织生活。")
    page.set_input_files("#note-form input[type=file]", files=[
        {"name": "学习现场.png", "mimeType": "image/png", "buffer": PNG},
    ])
    with page.expect_navigation():
        page.click("#note-form button[type=submit]")
    note = ActivityNote.objects.get(activity=activity, member=cast.me)
    assert note.kind == "reflection" and note.attachments.count() == 1
    assert "重温党章" in page.locator(f"#note-{note.pk}").inner_text()
    photo = page.locator(f"#note-{note.pk} img[alt='学习现场.png']")
    response = page.request.get(photo.get_attribute("src"))  # served through the checked view, as the member
    assert response.status == 200 and response.headers["content-type"] == "image/png" and response.body() == PNG
    page.screenshot(path=screenshot_dir / "activities-reflection-phone.png", full_page=True)

    # 我的积分: the attendance entry is there with its reason
    page.goto(reverse("points:mine"))
    entry = PointEntry.objects.get(member=cast.me, activity=activity)
    assert entry.points == 1
    entries = page.locator("#entries").inner_text()
    assert "集体学习：学习党章" in entries
    assert page.locator("#points-total").inner_text() == str(60 + 1)
    page.screenshot(path=screenshot_dir / "points-after-checkin-phone.png", full_page=True)
