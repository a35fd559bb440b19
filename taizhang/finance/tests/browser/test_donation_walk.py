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


@pytest.mark.browser
def test_an_expense_against_a_line_and_actual_against_budget(new_page, live_cast, sign_in, screenshot_dir):
    from taizhang.finance import budget as svc
    from taizhang.finance.models import Expense
    from taizhang.members.tests.factories import UserFactory, grant

    cast = live_cast
    treasurer = UserFactory(username="caiwu")
    grant(treasurer, "treasurer", cast.committee)
    budget = svc.budget_get_or_create(actor=treasurer, committee=cast.committee, year=2026)
    line = budget.lines.get(use__code="newspapers")
    svc.budget_line_set(actor=treasurer, line=line, planned_fen=400_000, reason="党委会通过年度预算")
    page = new_page("desktop")
    sign_in(page, treasurer)
    page.goto(reverse("finance:expense_create", args=[2026]))
    page.select_option("#id_line", str(line.pk))
    page.fill("#id_spent_on", "2026-01-10")
    page.fill("#id_amount_fen", "3744")
    page.fill("#id_payee", "中国邮政北京分公司")
    page.fill("#id_description", "为60岁以上党员家庭订阅《人民日报》")
    page.fill("#id_decision", "2025年12月支委会")
    page.fill("#id_decided_on", "2025-12-20")
    with page.expect_navigation():
        page.click("#expense-form button[type=submit]")
    expense = Expense.objects.get()
    admin = new_page("desktop")
    sign_in(admin, cast.admin)
    admin.goto(reverse("finance:budget", args=[2026]))
    with admin.expect_navigation():
        admin.click(f"[data-expense='{expense.pk}'] [data-action=approve]")
    row = admin.locator(f"[data-line='{line.pk}']")
    assert row.locator("[data-spent]").inner_text() == "3,744.00"
    assert row.locator("[data-rest]").inner_text() == "256.00"
    admin.screenshot(path=screenshot_dir / "finance-budget.png", full_page=True)
