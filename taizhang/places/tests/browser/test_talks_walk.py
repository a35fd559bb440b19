"""Talks in a real browser: the east branch secretary finds 李秀英 on the yearly overview, records a
reminder talk with her on a phone (the member picker), reads it on its own page; the west secretary
does not see it, the committee secretary reads it."""

import pytest
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.members.models import Member
from taizhang.places.models.talks import Talk


@pytest.mark.browser
def test_a_branch_secretary_records_a_talk_on_a_phone(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    li = Member.objects.get(name="李秀英")

    page = new_page("phone")
    sign_in(page, cast.east_secretary)
    page.goto(reverse("places:talk_overview"))
    assert "东部片区支部" in page.locator("#overview").inner_text()
    assert "李秀英" in page.locator("#not-yet").inner_text()
    page.screenshot(path=screenshot_dir / "talks-overview-phone.png", full_page=True)
    with page.expect_navigation():
        page.click(f"#not-yet a[href*='member={li.pk}']")
    page.wait_for_selector("#talk-form")
    assert "李秀英" in page.locator("#chosen-members").inner_text()
    page.fill("#search-members", "wang")
    page.wait_for_selector("#results-members [data-pick]")
    page.click("#results-members [data-pick]")
    page.wait_for_function("() => document.querySelectorAll('#chosen-members input').length === 2")
    page.select_option("#id_kind", "reminder")
    page.fill("#id_topics", "按时参加组织生活")
    page.fill("#id_content", "近两次主题党日未参加，说明了原因。")
    page.fill("#id_agreed", "下次按时参加")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "talks-form-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#talk-form button[type=submit]")
    assert "近两次主题党日未参加" in page.locator("#talk-content").inner_text()
    assert "李秀英" in page.locator("#talk-facts").inner_text() and "王建国" in page.locator("#talk-facts").inner_text()
    page.screenshot(path=screenshot_dir / "talks-detail-phone.png", full_page=True)
    talk = Talk.objects.get()
    assert AuditEntry.objects.filter(action="talk.read", object_id=str(talk.pk)).count() == 1

    page.goto(reverse("places:talk_list"))
    assert "李秀英" in page.locator("#talks").inner_text()
    assert "近两次" not in page.content()
    page.screenshot(path=screenshot_dir / "talks-list-phone.png", full_page=True)

    desk = new_page("desktop")
    sign_in(desk, cast.west_secretary)
    desk.goto(reverse("places:talk_list"))
    assert "李秀英" not in desk.locator("#talks").inner_text()
    desk2 = new_page("desktop")
    sign_in(desk2, cast.admin)
    desk2.goto(reverse("places:talk_detail", args=[talk.pk]))
    assert "近两次主题党日未参加" in desk2.locator("#talk-content").inner_text()
    desk2.screenshot(path=screenshot_dir / "talks-detail-admin.png", full_page=True)
