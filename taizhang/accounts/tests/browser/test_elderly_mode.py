"""Elderly mode (适老化) measured in the browser on the member pages, against the national guideline's basics
(《互联网网站适老化通用设计规范》): text at least 18 px, contrast at least 4.5:1, tap targets at least 44 px.

Everything is computed in the page with getComputedStyle and getBoundingClientRect (Playwright's evaluate),
on a desktop and a 390 px phone, with large text on and with large text plus high contrast.
"""

import datetime

import pytest
from django.urls import reverse

from taizhang.accounts.models import User
from taizhang.members.services import note_add

pytestmark = pytest.mark.browser

MIN_FONT_PX = 18
MIN_CONTRAST = 4.5
MIN_TARGET_PX = 44

# One script: every visible text, its font size and contrast; every visible control and its box.
MEASURE = r"""
() => {
  const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = [255, 255, 255, 1]; for (let i = layers.length - 1; i >= 0; i--) bg = blend(layers[i], bg); return bg; };
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== "hidden" && s.display !== "none" && !el.closest("[hidden],.visually-hidden,.dropdown-menu:not(.show),.collapse:not(.show)"); };
  const texts = [], targets = [];
  for (const el of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION"].includes(el.tagName) || !visible(el)) continue;
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent.trim()).join("");
    if (own) { const s = getComputedStyle(el); const fg = parse(s.color); const bg = background(el);
      const c = blend(fg, bg); const L1 = lum(c), L2 = lum(bg);
      texts.push({text: own.slice(0, 30), tag: el.tagName, cls: el.className && el.className.baseVal === undefined ? el.className : "",
                  size: parseFloat(s.fontSize), contrast: (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05)}); }
    if (el.matches("a[href], button, select, textarea, input:not([type=hidden]), [role=button]")) {
      let box = el;
      if (el.matches("input[type=checkbox], input[type=radio]")) box = el.closest(".form-check") || el.closest("label") || el;
      const r = box.getBoundingClientRect();
      targets.push({text: (el.innerText || el.value || el.name || "").trim().slice(0, 30), tag: el.tagName, w: r.width, h: r.height});
    }
  }
  return {texts, targets, scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth};
}
"""


def member_pages(cast):
    return [
        reverse("home"),
        reverse("members:detail", args=[cast.me.pk]),
        reverse("members:change_request", args=[cast.me.pk]),
        reverse("activities:list"),
        reverse("content:study_list"),
        reverse("content:my_notes"),
        reverse("points:mine"),
    ]


def problems(result, *, min_contrast=MIN_CONTRAST):
    found = []
    for t in result["texts"]:
        if t["size"] < MIN_FONT_PX - 0.01:
            found.append(f"font {t['size']:.1f}px <{t['tag']} class={t['cls']!r}> {t['text']}")
        if t["contrast"] < min_contrast:
            found.append(f"contrast {t['contrast']:.2f} <{t['tag']} class={t['cls']!r}> {t['text']}")
    for c in result["targets"]:
        if c["h"] < MIN_TARGET_PX - 0.5 or c["w"] < MIN_TARGET_PX - 0.5:
            found.append(f"target {c['w']:.0f}x{c['h']:.0f} <{c['tag']}> {c['text']}")
    if result["scrollWidth"] > result["width"] + 1:
        found.append(f"page wider than the screen: {result['scrollWidth']} > {result['width']}")
    return found


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("contrast", [False, True], ids=["large", "large+contrast"])
def test_member_pages_meet_the_elderly_basics(live_cast, new_page, sign_in, screenshot_dir, viewport, contrast):
    cast = live_cast
    note_add(actor=cast.east_secretary, member=cast.me, noted_on=datetime.date(2024, 4, 1), text="积极参加志愿服务",
             shared=True)
    User.objects.filter(pk=cast.plain_member.pk).update(large_text=True, high_contrast=contrast)
    page = new_page(viewport)
    sign_in(page, cast.plain_member)
    report = {}
    for url in member_pages(cast):
        page.goto(url)
        assert page.evaluate("document.documentElement.classList.contains('tz-large')"), url
        found = problems(page.evaluate(MEASURE), min_contrast=7 if contrast else MIN_CONTRAST)
        if found:
            report[url] = found[:15]
        name = url.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(screenshot_dir / f"elderly-{'contrast-' if contrast else ''}{viewport}-{name}.png"),
                        full_page=True)
    assert not report, report


def test_the_choice_is_made_with_the_button_and_kept_in_a_new_browser(live_cast, new_page, sign_in):
    cast = live_cast
    page = new_page("phone")
    sign_in(page, cast.plain_member)
    page.goto(reverse("members:detail", args=[cast.me.pk]))
    page.click(".navbar-toggler")
    button = page.locator("[data-tz-display=large_text]")
    assert "未开启" in button.inner_text()
    with page.expect_navigation():
        button.click()
    assert page.url.endswith(reverse("members:detail", args=[cast.me.pk]))
    assert page.evaluate("document.documentElement.classList.contains('tz-large')")
    assert parse_px(page.evaluate("getComputedStyle(document.body).fontSize")) >= MIN_FONT_PX
    other = new_page("desktop")  # another browser: a fresh context, no storage shared with the first
    sign_in(other, cast.plain_member)
    assert other.evaluate("document.documentElement.classList.contains('tz-large')")
    assert "已开启" in other.locator("[data-tz-display=large_text]").inner_text()


def parse_px(value: str) -> float:
    return float(value.removesuffix("px"))
