"""The ledger walked through in a real browser (Debian chromium + Playwright), as the cast sees it.

Assertions use ids and data attributes, not translated text: the zh_Hans catalogue is still growing.
"""

import datetime
import json
import re

import pytest
from django.urls import reverse

from taizhang.members.models import Member
from taizhang.members.selectors import annotate_status
from taizhang.members.tests.factories import citizen_id, with_wrong_check_digit


def timeline_kinds(page):
    return page.locator("#timeline li[data-kind]").evaluate_all("els => els.map(e => e.dataset.kind)")


def record_flow(page, kind, day):
    """On a member page: open the flow action ``kind``, fill the date, confirm, submit; back on the member page."""
    detail_url = page.url
    page.click(f"a[data-kind={kind}]")
    page.wait_for_url(f"**/flow/{kind}/")
    assert page.locator("#flow-summary").is_visible()
    page.fill("#id_effective_date", day.isoformat())
    page.check("#id_confirm")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == detail_url, page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    assert page.locator(".tz-messages .alert-success").count() == 1


@pytest.mark.browser
def test_branch_secretary_walk(page, live_cast, sign_in):
    cast = live_cast
    me = cast.me
    sign_in(page, cast.east_secretary)

    # The ledger list; the search refreshes the table through htmx, without loading the page again.
    page.goto(reverse("members:list"))
    assert page.locator("#member-rows tbody tr").count() == 3
    page.evaluate("window.__sameDocument = true")
    page.locator("#id_q").press_sequentially("zwm", delay=30)
    page.wait_for_function("() => document.querySelectorAll('#member-rows tbody tr').length === 1")
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the page instead of using htmx"
    assert page.locator("#member-rows tbody tr").inner_text().count("张伟明") == 1
    assert "q=zwm" in page.url  # hx-push-url keeps the search in the address bar

    # Open him; edit the employer.
    with page.expect_navigation():
        page.click("#member-rows tbody tr a[href$='/members/%d/']" % me.pk)
    assert page.locator("h1").first.inner_text().startswith("张伟明")
    with page.expect_navigation():
        page.click(f"a[href='{reverse('members:edit', args=[me.pk])}']")
    assert page.locator("#member-form").is_visible()
    page.fill("#id_employer", "北京朝阳快递服务有限公司")
    with page.expect_navigation():
        page.click("#member-form button[type=submit]")
    errors = page.locator(".invalid-feedback, .alert-danger").all_inner_texts()
    assert page.url.endswith(reverse("members:detail", args=[me.pk])), errors
    assert page.locator(".tz-messages .alert-success").count() == 1
    assert "北京朝阳快递服务有限公司" in page.locator("main").inner_text()
    me.refresh_from_db()
    assert me.employer == "北京朝阳快递服务有限公司"

    # Outflow, then the return; the badge and the timeline follow.
    badge = page.locator("#member-status")
    assert "text-bg-success" in badge.get_attribute("class")
    active_label = badge.inner_text()
    assert timeline_kinds(page) == ["registered"]
    today = datetime.date.today()

    record_flow(page, "left_beijing", today - datetime.timedelta(days=60))
    assert "text-bg-warning" in badge.get_attribute("class")
    assert badge.inner_text() != active_label
    assert timeline_kinds(page) == ["left_beijing", "registered"]
    assert page.locator("a[data-kind=left_beijing]").count() == 0  # an open outflow cannot be opened twice

    record_flow(page, "returned", today - datetime.timedelta(days=5))
    assert "text-bg-success" in badge.get_attribute("class")
    assert badge.inner_text() == active_label
    assert timeline_kinds(page) == ["returned", "left_beijing", "registered"]
    assert annotate_status(Member.objects.filter(pk=me.pk)).get().status == "active"
    assert list(me.events.order_by("-effective_date", "-id").values_list("kind", flat=True)) == timeline_kinds(page)

    # Another branch's member by URL: the 404 page, without the name.
    west = cast.west_members[0]
    response = page.goto(reverse("members:detail", args=[west.pk]))
    assert response.status == 404
    assert page.locator("main .bi-search").count() == 1  # the site's own 404 page, inside the layout
    assert west.name not in page.content()


@pytest.mark.browser
def test_register_form_shows_field_errors(page, live_cast, sign_in):
    cast = live_cast
    sign_in(page, cast.admin)
    page.goto(reverse("members:create"))
    before = Member.objects.count()

    page.fill("#id_registered_on", "2024-05-06")
    page.fill("#id_name", "测试人")
    page.fill("#id_id_number", with_wrong_check_digit(citizen_id(datetime.date(1988, 8, 8), "M")))
    page.fill("#id_phone", "12345")
    page.select_option("#id_membership_type", "full")
    page.fill("#id_join_date", "2012-07-01")
    page.fill("#id_full_membership_date", "2013-07-01")
    page.select_option("#id_category", index=1)
    page.select_option("#id_branch", str(cast.east.pk))
    with page.expect_navigation():
        page.click("#member-form button[type=submit]")

    assert page.url.endswith(reverse("members:create"))
    assert page.locator(".invalid-feedback[data-field=id_number]").is_visible()
    assert page.locator(".invalid-feedback[data-field=phone]").is_visible()
    assert "is-invalid" in page.locator("#id_id_number").get_attribute("class")
    assert page.locator("#member-form .alert-danger").is_visible()
    # What was typed is kept.
    assert page.input_value("#id_name") == "测试人"
    assert Member.objects.count() == before


@pytest.mark.browser
def test_reveal_the_full_id_number(page, live_cast, sign_in):
    cast = live_cast
    member = cast.west_members[0]
    sign_in(page, cast.west_secretary)
    page.goto(reverse("members:detail", args=[member.pk]))
    masked = page.locator("#id-number").inner_text()
    assert member.id_number not in masked
    page.click("#id-number button")
    revealed = page.locator("#id-number .revealed")
    revealed.wait_for()
    assert revealed.inner_text() == member.id_number


def audit_rows(page):
    """(user name, action) of each entry in the audit table."""
    rows = page.locator("#audit-table tbody tr:has(td.tz-action)").evaluate_all(
        "rows => rows.map(r => [r.cells[1].innerText.trim(), r.cells[2].dataset.action])"
    )
    return [tuple(row) for row in rows]


@pytest.mark.browser
def test_auditor_finds_the_reveal_in_the_audit_log(new_page, live_cast, sign_in):
    cast = live_cast
    member = cast.west_members[1]
    secretary = sign_in(new_page(), cast.west_secretary)
    secretary.goto(reverse("members:detail", args=[member.pk]))
    secretary.click("#phone button")
    secretary.locator("#phone .revealed").wait_for()

    page = sign_in(new_page(), cast.auditor)
    page.goto(reverse("core:audit") + "?action=member.")
    rows = audit_rows(page)
    assert ("west_secretary", "member.reveal") in rows
    assert sum(1 for _user, action in rows if action == "member.create") == len(cast.members)
    # The filter form refreshes the table through htmx.
    page.evaluate("window.__sameDocument = true")
    page.fill("#id_action", "auth.login")
    page.locator("#id_action").dispatch_event("change")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#audit-table tbody tr')].every(r => r.cells[2].dataset.action.startsWith('auth.login'))"
    )
    assert page.evaluate("window.__sameDocument === true")
    assert {("west_secretary", "auth.login"), ("auditor", "auth.login")} <= set(audit_rows(page))


@pytest.mark.browser
def test_audit_log_lists_entries_without_a_filter(page, live_cast, sign_in):
    sign_in(page, live_cast.auditor)
    page.goto(reverse("core:audit"))
    assert audit_rows(page)


@pytest.mark.browser
def test_plain_member_on_a_phone_opens_their_own_record(new_page, live_cast, sign_in):
    cast = live_cast
    page = new_page("phone")
    sign_in(page, cast.plain_member)
    assert page.url.rstrip("/") == page.evaluate("location.origin")  # landed on the home page
    own_link = page.locator(f"main a[href='{reverse('members:detail', args=[cast.me.pk])}']")
    assert own_link.is_visible()
    with page.expect_navigation():
        own_link.click()
    assert page.locator("h1").first.inner_text().startswith("张伟明")
    assert page.locator("a[data-kind]").count() == 0  # no flow actions
    assert page.locator(f"a[href='{reverse('members:edit', args=[cast.me.pk])}']").count() == 0
    # The menu collapses behind the toggler and opens on tap.
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.tap()
    page.locator("#mainnav.show").wait_for()


def _overflow(page):
    """How many CSS pixels the page is wider than the viewport (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_screenshots(new_page, live_cast, sign_in, screenshot_dir, kind):
    """PNG screenshots for people to look at (test-artifacts/screenshots/, not in git); asserts only statuses.

    report-<kind>.json next to them gives, per page, how many pixels it is wider than the viewport and the
    Latin words in its text (candidates for untranslated strings).
    """
    cast = live_cast
    report = {}

    def shot(page, name, url=None):
        if url is not None:
            response = page.goto(url)
            assert response.status == 200, (url, response.status)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        report[name] = {
            "overflow_px": _overflow(page),
            "latin_words": sorted(set(re.findall(r"[A-Za-z]{3,}", page.inner_text("body")))),
        }
        page.screenshot(path=str(screenshot_dir / f"{name}-{kind}.png"), full_page=True)

    page = new_page(kind)
    shot(page, "login", reverse("accounts:login"))
    sign_in(page, cast.admin)
    me = cast.me
    shot(page, "home", reverse("home"))
    shot(page, "ledger-list", reverse("members:list"))
    shot(page, "member-detail", reverse("members:detail", args=[me.pk]))
    shot(page, "edit-form", reverse("members:edit", args=[me.pk]))
    shot(page, "flow-form", reverse("members:flow", args=[me.pk, "left_beijing"]))
    if kind == "phone":
        page.goto(reverse("home"))
        page.locator(".navbar-toggler").tap()
        page.locator("#mainnav.show").wait_for()
        page.wait_for_timeout(400)  # the collapse animation
        shot(page, "menu-open")

    auditor = new_page(kind)
    sign_in(auditor, cast.auditor)
    shot(auditor, "audit-log", reverse("core:audit"))
    shot(auditor, "audit-log-filtered", reverse("core:audit") + "?action=member.")

    (screenshot_dir / f"report-{kind}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
