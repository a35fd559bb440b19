"""Points in a real browser on a phone-sized screen: a member submits a study record, the branch
secretary approves it, the member sees the points. Assertions use ids and data attributes."""

import pytest
from django.urls import reverse

from taizhang.points.models import RecordStatus, StudyRecord
from taizhang.points.tests.helpers import seed_rules


@pytest.mark.browser
def test_member_submits_and_secretary_approves_on_a_phone(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    seed_rules(cast)
    member_page = new_page("phone")
    sign_in(member_page, cast.plain_member)
    member_page.goto(reverse("points:mine"))
    assert member_page.locator("#points-total").inner_text() == "60"
    member_page.fill("#id_day", "2026-07-01")
    member_page.fill("#id_title", "学习《中国共产党章程》总纲")
    member_page.fill("#id_content", "通读总纲并写下心得体会。")
    with member_page.expect_navigation():
        member_page.click("#record-form button[type=submit]")
    record = StudyRecord.objects.get()
    assert member_page.locator(f"[data-record='{record.pk}']").get_attribute("data-status") == "pending"
    member_page.screenshot(path=screenshot_dir / "points-mine-phone.png", full_page=True)

    secretary_page = new_page("phone")
    sign_in(secretary_page, cast.east_secretary)
    secretary_page.goto(reverse("points:approvals"))
    secretary_page.screenshot(path=screenshot_dir / "points-approvals-phone.png", full_page=True)
    with secretary_page.expect_navigation():
        secretary_page.click(f"[data-record='{record.pk}'] [data-action=approve]")
    assert secretary_page.locator(".tz-messages .alert-success").count() == 1
    assert secretary_page.locator(f"#pending [data-record='{record.pk}']").count() == 0
    record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED

    member_page.reload()
    assert member_page.locator("#points-total").inner_text() == "62"
    assert member_page.locator(f"[data-record='{record.pk}']").get_attribute("data-status") == "approved"
