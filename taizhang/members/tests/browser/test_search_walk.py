"""In a real browser: typing a full phone number into the ledger search filters the table through htmx,
and the address bar (and so the history) shows a session key, never the number (issue 8)."""

import pytest
from django.urls import reverse


@pytest.mark.browser
def test_full_number_search_keeps_the_number_out_of_the_address_bar(page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    me = cast.me
    sign_in(page, cast.east_secretary)
    page.goto(reverse("members:list"))
    assert page.locator("#member-rows tbody tr").count() == 3
    page.evaluate("window.__sameDocument = true")
    page.locator("#id_q").press_sequentially(me.phone, delay=20)
    page.wait_for_function("() => document.querySelectorAll('#member-rows tbody tr').length === 1")
    page.wait_for_function("() => location.search.indexOf('s=') >= 0")
    assert page.evaluate("window.__sameDocument === true")
    assert me.phone not in page.url and me.phone[:7] not in page.url
    assert "张伟明" in page.locator("#member-rows tbody tr").inner_text()
    page.screenshot(path=screenshot_dir / "ledger-search-full-number.png", full_page=True)

    # Reloading the pushed URL gives the same result from the session; a name search is a plain link.
    page.reload()
    assert page.locator("#member-rows tbody tr").count() == 1
    page.locator("#id_q").fill("")
    page.locator("#id_q").press_sequentially("lxy", delay=30)
    page.wait_for_function("() => location.search.indexOf('q=lxy') >= 0")
    assert "李秀英" in page.locator("#member-rows tbody tr").inner_text()
