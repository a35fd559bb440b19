"""Interest groups and contests in a real browser: a member joins the 书画 group on a phone and sees it on
their page; a judge scores the contest; the secretary gives the awards and opens the certificate list."""

import pytest
from django.urls import reverse

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.places import groups_services as services
from taizhang.places.models import ContestEntry, GroupMembership


@pytest.mark.browser
def test_a_member_joins_on_a_phone_and_the_contest_is_judged(new_page, live_cast, sign_in, screenshot_dir):
    cast = live_cast
    group = services.group_create(actor=cast.admin, committee=cast.committee, name="书画", description="以书会友",
                                  leader=cast.east_members[1])
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="书法比赛/笔会", title="翰墨颂党恩书法比赛")
    contest = services.contest_create(actor=cast.admin, activity=activity, categories="楷书,行书")
    services.contest_awards_set(actor=cast.admin, contest=contest, awards=[("一等奖", 1), ("二等奖", 1)])
    services.contest_judge_add(actor=cast.admin, contest=contest, user=cast.admin)
    for i, member in enumerate([cast.me, cast.east_members[2]]):
        services.contest_entry_add(actor=cast.admin, contest=contest, member=member, title=f"作品{i}", category="楷书")

    phone = new_page("phone")
    sign_in(phone, cast.plain_member)
    phone.goto(reverse("places:group_list"))
    with phone.expect_navigation():
        phone.click("#group-list a:has-text('书画')")
    with phone.expect_navigation():
        phone.click("#group-join")
    assert "书画" in phone.locator(".tz-messages").inner_text()
    assert "张伟明" in phone.locator("#group-members").inner_text()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=screenshot_dir / "groups-joined-phone.png", full_page=True)
    assert GroupMembership.objects.get(member=cast.me, group=group).left_on is None

    page = new_page("desktop")
    sign_in(page, cast.admin)
    page.goto(reverse("places:contest_score", args=[contest.pk]))
    entries = list(ContestEntry.objects.order_by("id"))
    page.fill(f"input[name=score_{entries[0].pk}]", "95")
    page.fill(f"input[name=score_{entries[1].pk}]", "88")
    with page.expect_navigation():
        page.click("#score-form button[type=submit]")
    with page.expect_navigation():
        page.click("#awards-give")
    results = page.locator("#contest-results").inner_text()
    assert "95.00" in results and "一等奖" in results and "二等奖" in results
    page.screenshot(path=screenshot_dir / "groups-contest-results.png", full_page=True)
    page.goto(reverse("places:contest_certificates", args=[contest.pk]))
    assert page.locator("#certificates").inner_text().index("张伟明") < page.locator("#certificates").inner_text().index("王建国")
    page.screenshot(path=screenshot_dir / "groups-certificates.png", full_page=True)

    phone.goto(reverse("members:detail", args=[cast.me.pk]))
    panel = phone.locator("#groups-panel").inner_text()
    assert "书画" in panel and "一等奖" in panel
    phone.screenshot(path=screenshot_dir / "groups-member-panel-phone.png", full_page=True)
