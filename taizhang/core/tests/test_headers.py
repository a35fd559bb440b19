"""Security headers on what the application serves: the Content-Security-Policy (no inline script anywhere,
so the policy can forbid it) and Cache-Control: no-store on every page and download with personal data.

The browser half (no CSP violation in chromium, htmx still working) is tests/browser/test_csp_walk.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from taizhang.activities import ics
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.members.tests.test_import import _upload, new_row, xlsx_bytes

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"(?<![\w-])on[a-z]{3,}\s*=\s*[\"']", re.I)
STYLE_ELEMENT = re.compile(r"<style\b([^>]*)>", re.I)
FORBIDDEN_ATTRIBUTES = re.compile(r"\bhx-headers\b|\bhx-on\b|hx-on:|javascript:|\bjs:", re.I)


def policy(response, header="Content-Security-Policy"):
    """The policy as {directive: [sources]}."""
    parts = (p.strip().split() for p in response[header].split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def template_files():
    dirs = [ROOT / "templates", *sorted(ROOT.glob("taizhang/*/templates"))]
    return sorted(f for d in dirs for f in d.rglob("*.html"))


# --- the templates: no inline script the policy would block -------------------------------------------------


def test_no_template_has_inline_script_or_event_handlers():
    found = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        found += [f"{name}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(text)]
        found += [f"{name}: {m.group(0)}" for m in EVENT_HANDLER.finditer(text)]
        found += [f"{name}: {m.group(0)}" for m in FORBIDDEN_ATTRIBUTES.finditer(text)]
        found += [f"{name}: {m.group(0)}" for m in STYLE_ELEMENT.finditer(text) if "csp_nonce" not in m.group(1)]
    assert not found, "move these into static/js (data-tz-… attributes, see static/js/taizhang.js):\n" + "\n".join(found)


# --- the policy itself -------------------------------------------------------------------------------------


def test_policy_allows_scripts_only_from_our_own_files(client):
    directives = policy(client.get(reverse("accounts:login")))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src-elem"]


def test_report_only_mode(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    response = client.get(reverse("accounts:login"))
    assert "Content-Security-Policy" not in response
    assert policy(response, "Content-Security-Policy-Report-Only")["script-src"] == ["'self'"]


@pytest.fixture
def activity(cast):
    seed_types(cast)
    return make_activity(cast.admin, cast.committee)


def pages(cast, activity):
    """(user, url) for the main pages of every part of the site."""
    me = cast.me
    return [
        (None, reverse("accounts:login")),
        (cast.admin, reverse("home")),
        (cast.admin, reverse("members:list")),
        (cast.admin, reverse("members:list") + "?q=zwm"),
        (cast.admin, reverse("members:detail", args=[me.pk])),
        (cast.admin, reverse("members:edit", args=[me.pk])),
        (cast.admin, reverse("members:create")),
        (cast.admin, reverse("members:import_upload")),
        (cast.admin, reverse("members:roster_print")),
        (cast.admin, reverse("activities:list")),
        (cast.admin, reverse("activities:create")),
        (cast.admin, reverse("activities:detail", args=[activity.pk])),
        (cast.admin, reverse("activities:edit", args=[activity.pk])),
        (cast.admin, reverse("activities:attendance", args=[activity.pk])),
        (cast.admin, reverse("activities:qr", args=[activity.pk])),
        (cast.admin, reverse("content:study_list")),
        (cast.admin, reverse("content:plans")),
        (cast.admin, reverse("activity_reports:summary")),
        (cast.admin, reverse("activity_reports:calendar")),
        (cast.admin, reverse("points:participation")),
        (cast.admin, reverse("points:rules")),
        (cast.admin, reverse("organisation:index")),
        (cast.plain_member, reverse("points:mine")),
        (cast.plain_member, reverse("activities:list")),
        (cast.auditor, reverse("core:audit")),
        (cast.sysadmin, reverse("accounts:users")),
    ]


def test_main_pages_carry_the_policy_and_no_inline_script(client, cast, activity):
    problems = []
    for user, url in pages(cast, activity):
        client.logout()
        if user:
            client.force_login(user)
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"{url}: status {response.status_code}")
            continue
        html = response.content.decode()
        directives = policy(response)
        if directives.get("script-src") != ["'self'"]:
            problems.append(f"{url}: script-src {directives.get('script-src')}")
        problems += [f"{url}: {m.group(0)}" for m in INLINE_SCRIPT.finditer(html)]
        problems += [f"{url}: {m.group(0)}" for m in EVENT_HANDLER.finditer(html)]
        for m in STYLE_ELEMENT.finditer(html):  # a <style> element only with this response's nonce
            nonce = re.search(r'nonce="([^"]+)"', m.group(1))
            if not nonce or f"'nonce-{nonce.group(1)}'" not in directives.get("style-src-elem", []):
                problems.append(f"{url}: {m.group(0)} without the response's nonce")
        if 'hx-headers' in html:
            problems.append(f"{url}: hx-headers")
        if 'name="csrf-token"' not in html and url != reverse("members:roster_print"):
            problems.append(f"{url}: no csrf-token meta for htmx")
    assert not problems, "\n".join(problems)


# --- Cache-Control: no-store --------------------------------------------------------------------------------


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


def test_every_page_fragment_and_download_says_no_store(client, cast, activity, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    missing = []

    def check(response, what):
        if response.status_code >= 500 or not no_store(response):
            missing.append(f"{what}: {response.status_code} Cache-Control={response.get('Cache-Control')!r}")

    for user, url in pages(cast, activity):
        client.logout()
        if user:
            client.force_login(user)
        check(client.get(url), url)

    client.force_login(cast.admin)
    check(client.get(reverse("members:list"), {"q": "zwm"}, HTTP_HX_REQUEST="true"), "ledger htmx fragment")
    check(client.get(reverse("members:export_xlsx")), "ledger export .xlsx")
    check(client.get(reverse("members:export_csv")), "ledger export .csv")
    check(client.get(reverse("members:import_template")), "import template")
    check(client.get(reverse("activity_reports:export_xlsx")), "activity report .xlsx")
    run = _upload(client, xlsx_bytes([new_row("甲"), new_row("乙", 所在党支部="不存在的支部")]))
    errors = client.get(reverse("members:import_errors", args=[run.pk]))
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd.openxmlformats")
    check(errors, "import error workbook")
    check(client.get(reverse("members:detail", args=[999999])), "404 page")
    client.force_login(cast.outsider)
    check(client.get(reverse("members:list")), "403 page")
    client.logout()
    # the calendar feed is fetched without a session but lists the member's activities
    check(client.get(reverse("activity_reports:ics", args=[ics.feed_token(cast.plain_member)])), ".ics feed")
    check(client.post(reverse("accounts:login"), {"username": "admin", "password": "wrong"}), "failed login")
    assert not missing, "\n".join(missing)


def test_static_files_keep_their_own_caching(client):
    response = client.get(settings.STATIC_URL + "css/taizhang.css")
    assert response.status_code == 200
    assert not no_store(response)
