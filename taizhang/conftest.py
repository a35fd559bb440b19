"""Browser-test plumbing (for every app's tests/browser/): Debian's chromium driven by Playwright against pytest-django's live server.

Run with ``make test-browser`` (or ``pytest -m browser``); ``make test`` deselects these tests.

    browser        one chromium for the whole session (CHROMIUM_PATH, default /usr/bin/chromium)
    new_page       factory: ``new_page("phone")`` -> a page in a fresh context (desktop 1366x900 / phone 390x844)
    page           a desktop page in a fresh context
    live_cast      the fixed cast (root conftest) in a transactional database, served by ``live_server``
    sign_in        ``sign_in(page, cast.admin)`` signs in through the real login form (password cast.password)

Every page also checks that the static files it asked for (CSS, JS, icon fonts) were served.

The pages run under the site's real Content-Security-Policy (no eval): give ``page.wait_for_function`` a
function, ``"() => …"``; a bare expression is eval'd in the page and refused.

Nothing here runs at import time: pytest imports this file even when ``-m "not browser"`` deselects
every test below it, so settings such as DJANGO_ALLOW_ASYNC_UNSAFE are only made by the fixtures.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def _async_unsafe_allowed():
    """Playwright's sync API keeps an asyncio loop in the main thread; tell Django the ORM calls there are fine."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_async_unsafe_allowed):
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.access(executable, os.X_OK):
        pytest.fail(f"{executable} is missing: apt-get install -y chromium fonts-noto-cjk", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_cast(_async_unsafe_allowed, transactional_db, live_server, cast):
    """The fixed cast, committed so the live server sees it (the flush afterwards passes the append-only
    triggers through the project's own ``flush`` command, taizhang/core/management/commands/flush.py)."""
    return cast


@pytest.fixture
def new_page(browser, live_server):
    contexts = []
    static_errors = []  # static files (CSS, JS, fonts) the pages asked for and did not get

    def on_response(response):
        if "/static/" in response.url and response.status >= 400:
            static_errors.append(f"{response.status} {response.url}")

    def on_request_failed(request):
        # A request the page itself abandoned (navigation, closing the context) is not a missing file.
        if "/static/" in request.url and "ERR_ABORTED" not in (request.failure or ""):
            static_errors.append(f"failed {request.url}: {request.failure}")

    def make(kind="desktop"):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **VIEWPORTS[kind])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not static_errors, f"static files did not load: {static_errors}"


@pytest.fixture
def screenshot_dir():
    """test-artifacts/screenshots/ at the top of the project (ignored by git)."""
    path = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(new_page):
    return new_page("desktop")


def login(page, user, password):
    """Sign in through the real form; returns the page on whatever the login redirected to."""
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert not re.search(r"/accounts/login/", page.url), f"login as {user.username} failed: {page.url}"
    return page


@pytest.fixture
def sign_in(live_cast):
    def do(page, user):
        return login(page, user, live_cast.password)

    return do
