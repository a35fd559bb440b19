"""The statistics reports in a real browser: the committee secretary reaches them from the 统计 menu, switches
the composition's dimensions, and opens the A4 print view (no console error, no CSP violation, fits a phone)."""

import re

import pytest
from django.urls import reverse


@pytest.mark.browser
def test_the_secretary_walks_the_reports_and_prints_one(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    page = new_page("desktop")
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, cast.admin)
    page.click("#nav-stats")
    with page.expect_navigation():
        page.click("#mainnav a[href='%s']" % reverse("reports:composition"))
    assert page.locator("#composition-total td").last.inner_text() == "6"
    page.select_option("#id_rows", "gender")
    page.select_option("#id_columns", "age_band")
    with page.expect_navigation():
        page.click("#report-form button[type=submit]")
    assert [t.strip() for t in page.locator("#composition-table tbody th").all_inner_texts()] == ["男", "女"]
    page.screenshot(path=screenshot_dir / "reports-composition.png", full_page=True)

    page.goto(reverse("reports:flow") + "?date_from=2018-01-01&date_to=2018-12-31")
    assert page.locator("#flow-closing td").inner_text() == "6"
    with page.expect_navigation():
        page.click("#report-print")
    assert re.search(r"view=print", page.url)
    assert page.locator("h1").inner_text() == "党员增减情况"
    assert page.locator("link[href*='reports_print.css']").count() == 1
    page.emulate_media(media="print")
    assert not page.locator(".toolbar").is_visible()
    page.pdf(path=str(screenshot_dir / "reports-flow.pdf"), format="A4")
    assert problems == []

    phone = new_page("phone")
    sign_in(phone, cast.east_secretary)
    phone.goto(reverse("reports:yearly"))
    assert "年度工作总结" in phone.locator("h1").inner_text()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=screenshot_dir / "reports-yearly-phone.png", full_page=True)
