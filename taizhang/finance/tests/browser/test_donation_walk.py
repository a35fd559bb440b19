"""Donations in a real browser on a phone: the committee admin records a gift after the deadline and sees
the campaign's total and the late-gift total grow."""

import datetime

import pytest
from django.urls import reverse

from taizhang.finance import services
from taizhang.finance.models import Gift


@pytest.mark.browser
def test_a_late_gift_recorded_on_a_phone(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    campaign = services.campaign_create(actor=cast.admin, committee=cast.committee, title="支援家乡疫情防控捐款",
                                        purpose="为家乡疫情防控捐款", starts_on=datetime.date(2020, 1, 28),
                                        deadline=datetime.date(2020, 2, 10), target_fen=1_500_000)
    services.gift_record(actor=cast.admin, campaign=campaign, amount_fen=1_623_000, member=cast.me,
                         received_on=datetime.date(2020, 2, 3), method="wechat")
    page = new_page("phone")
    sign_in(page, cast.admin)
    page.goto(reverse("finance:campaign", args=[campaign.pk]))
    assert page.locator("#total").inner_text() == "16,230.00"
    page.select_option("#id_member", str(cast.east_members[1].pk))
    page.fill("#id_amount_fen", "3000")
    page.fill("#id_received_on", "2020-02-15")
    with page.expect_navigation():
        page.click("#gift-form button[type=submit]")
    assert "迟到捐款" in page.locator(".tz-messages").inner_text()
    assert page.locator("#total").inner_text() == "19,230.00"
    assert page.locator("#late-total").inner_text() == "3,000.00"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "finance-late-gift-phone.png", full_page=True)
    assert Gift.objects.filter(late=True).count() == 1
