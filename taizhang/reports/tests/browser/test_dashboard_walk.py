"""The dashboard in a real browser (Debian chromium): the committee admin and a branch secretary open the 看板
on a desktop and on a phone; every chart is drawn (an SVG inside each chart container), nothing is refused by
the Content-Security-Policy and no script fails; the page fits the phone; the print view draws its charts."""

import datetime
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.services import attendance_all_present
from taizhang.activities.tests.factories import make_activity, seed_types

SHOTS = Path("/work/shots")
WATCH = ("document.addEventListener('securitypolicyviolation', e => (window.__csp = window.__csp || [])"
         ".push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));")


def watch(page) -> list:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" or re.search(
        r"Content Security Policy|Refused to", m.text) else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.context.add_init_script(WATCH)
    return errors


def charts_drawn(page) -> int:
    page.wait_for_function("() => document.documentElement.dataset.tzCharts !== undefined")
    containers = page.locator("[data-tz-chart]")
    n = containers.count()
    for i in range(n):
        assert containers.nth(i).locator("svg").count() >= 1, f"chart {i} has no SVG"
    return n


def shot(page, screenshot_dir, name):
    page.screenshot(path=screenshot_dir / f"{name}.png", full_page=True)
    if SHOTS.is_dir():
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.browser
def test_the_dashboard_draws_every_chart_and_prints(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    seed_types(cast)
    day = timezone.localdate() - datetime.timedelta(days=20)
    activity = make_activity(cast.admin, cast.committee, day=day)
    attendance_all_present(actor=cast.admin, activity=activity, members=cast.members[:4])

    page = new_page("desktop")
    errors = watch(page)
    sign_in(page, cast.admin)
    page.click("#nav-stats")
    with page.expect_navigation():
        page.click("#nav-dashboard")
    assert page.locator("h1").inner_text() == "看板"
    drawn = charts_drawn(page)
    assert drawn == page.locator(".tz-panel").count() >= 5
    assert page.locator("#dashboard-roster").inner_text() == "6"
    shot(page, screenshot_dir, "dash-desktop-1366")

    with page.expect_navigation():
        page.click("#dashboard-print")
    assert charts_drawn(page) == drawn
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    shot(page, screenshot_dir, "dash-print")
    assert page.evaluate("() => window.__csp || []") == []
    assert errors == []

    phone = new_page("phone")
    phone_errors = watch(phone)
    sign_in(phone, cast.east_secretary)
    phone.goto(reverse("reports:dashboard"))
    charts_drawn(phone)
    assert phone.locator("#dashboard-roster").inner_text() == "3"
    assert "西部" not in phone.locator("#table-contact").inner_text()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(phone, screenshot_dir, "dash-phone-390")
    phone.fill("#id_day", "2018-02-01")
    with phone.expect_navigation():
        phone.click("#dashboard-form button[type=submit]")
    assert phone.locator("#dashboard-roster").inner_text() == "0"
    assert phone_errors == []
