"""Care in a real browser: a branch secretary plans the Double Ninth visits, records one visit with a gift
on a phone and sees the store go down."""

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.care import services
from taizhang.care.models import Visit
from taizhang.members.models import Member


@pytest.mark.browser
def test_a_branch_secretary_plans_double_ninth_and_records_a_visit_on_a_phone(new_page, live_cast, sign_in,
                                                                              screenshot_dir):
    cast = live_cast
    cup = services.item_create(actor=cast.admin, committee=cast.committee, name="杯子", unit="个", low_stock=2)
    services.stock_in(actor=cast.admin, item=cup, quantity=10, day=timezone.localdate(), supplier="文具店")
    li = Member.objects.get(name="李秀英")
    year = timezone.localdate().year

    page = new_page("phone")
    sign_in(page, cast.east_secretary)
    page.goto(reverse("care:plans"))
    page.select_option("#id_occasion", "double_ninth")
    page.fill("#id_year", str(year))
    with page.expect_navigation():
        page.click("#plan-form button[type=submit]")
    assert "重阳节走访慰问" in page.locator("h1").inner_text()
    assert page.locator("#coverage").inner_text().split() == ["计划", "1", "已走访", "0", "未走访", "1", "婉拒", "0"]
    page.screenshot(path=screenshot_dir / "care-plan-phone.png", full_page=True)

    page.click(f"#targets a[href*='member={li.pk}']")
    page.wait_for_selector("#visit-form")
    page.select_option("#id_members", [str(li.pk)])
    page.fill("#id_visitors", "东部支部书记、赵志远")
    page.fill("#id_talk", "老人身体硬朗，讲了入党时的经历。")
    page.fill("#id_needs", "希望社区上门测血压。")
    page.select_option("#id_gift_item_0", str(cup.pk))
    page.fill("#id_gift_quantity_0", "1")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "care-visit-form-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#visit-form button[type=submit]")
    assert "走访已登记" in page.locator(".tz-messages").inner_text()
    assert page.locator("#coverage").inner_text().split()[3] == "1"
    assert "杯子 1个" in page.locator("#plan-gifts").inner_text()

    page.goto(reverse("care:item", args=[cup.pk]))
    assert page.locator("#stock .tz-stat").inner_text() == "9"
    assert "李秀英" in page.locator("#movements").inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "care-store-phone.png", full_page=True)
    page.goto(reverse("care:elderly"))
    assert "李秀英" in page.locator("#elderly").inner_text() and "陈刚" not in page.locator("#elderly").inner_text()
    page.screenshot(path=screenshot_dir / "care-elderly-phone.png", full_page=True)
    page.goto(reverse("home"))
    assert "重阳节" in page.locator("#care-home").inner_text() or "春节" in page.locator("#care-home").inner_text()
    page.screenshot(path=screenshot_dir / "care-home-phone.png", full_page=True)
    visit = Visit.objects.get()
    assert visit.mode == "home" and list(visit.members.all()) == [li]
