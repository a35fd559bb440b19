"""Notices (issue 14): the bell's unread count, the notices page (paged, own notices only), mark read / all
read, the WeChat text, the reminder settings page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.reports.models import Channel, Notice, ReminderKind, ReminderOptOut
from taizhang.reports.notices import unread_count, wechat_text

pytestmark = pytest.mark.django_db
URL = reverse("reports:notices")


def notice(user, n=1, **kwargs):
    data = {"kind": ReminderKind.ACTIVITY, "title": f"活动提醒{n}", "body": "12月12日 9:30 党员之家",
            "link": "/activities/1/"} | kwargs
    return Notice.objects.create(recipient=user, event_key=f"activity:{n}:x", **data)


def test_bell_counts_unread_in_one_query(client, cast):
    for n in range(3):
        notice(cast.plain_member, n)
    notice(cast.admin, 9)
    Notice.objects.filter(event_key="activity:0:x").update(read_at="2026-12-01T00:00:00Z")
    with CaptureQueriesContext(connection) as ctx:
        assert unread_count(cast.plain_member) == 2
    assert len(ctx.captured_queries) == 1
    client.force_login(cast.plain_member)
    page = client.get(reverse("home")).content.decode()
    assert 'id="notices-unread"' in page and ">2</span>" in page.split('id="notices-unread"')[1][:200]
    client.force_login(cast.outsider)
    assert 'id="notices-unread"' not in client.get(reverse("home")).content.decode()


def test_page_shows_own_notices_only_with_the_wechat_text(client, cast):
    mine = notice(cast.plain_member, 1)
    notice(cast.admin, 2, title="书记的通知")
    client.force_login(cast.plain_member)
    page = client.get(URL).content.decode()
    assert "活动提醒1" in page and "书记的通知" not in page
    assert 'data-tz-copy="wechat-%d"' % mine.pk in page
    assert "<script>" not in page and " onclick=" not in page  # CSP: no inline script
    text = wechat_text(mine, "http://example.cn/")
    assert text.startswith("【活动提醒1】") and "http://example.cn/activities/1/" in text


def test_mark_read_and_all_read(client, cast):
    first, second = notice(cast.plain_member, 1), notice(cast.plain_member, 2)
    other = notice(cast.admin, 3)
    client.force_login(cast.plain_member)
    response = client.post(reverse("reports:notice_read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/activities/1/"
    first.refresh_from_db()
    assert first.read_at is not None and unread_count(cast.plain_member) == 1
    # somebody else's notice: not found, unchanged
    assert client.post(reverse("reports:notice_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
    assert client.post(reverse("reports:notices_read_all")).status_code == 302
    second.refresh_from_db()
    assert second.read_at is not None and unread_count(cast.plain_member) == 0
    assert unread_count(cast.admin) == 1
    assert client.get(reverse("reports:notices_read_all")).status_code == 405
    # a link to another site is never followed
    odd = notice(cast.plain_member, 4, link="//example.com/x")
    response = client.post(reverse("reports:notice_read", args=[odd.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == URL


def test_notices_page_query_count_does_not_grow(client, cast):
    client.force_login(cast.plain_member)
    notice(cast.plain_member, 0)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for n in range(1, 40):
        notice(cast.plain_member, n)
    with CaptureQueriesContext(connection) as many:
        page = client.get(URL)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.context["page"].paginator.count == 40 and len(page.context["rows"]) == 20


def test_reminder_settings_page(client, cast):
    client.force_login(cast.plain_member)
    page = client.get(reverse("reports:notice_preferences"))
    assert page.status_code == 200
    kinds = {kind for kind, _label, _cells in page.context["rows"]}
    assert ReminderKind.WORKLIST not in kinds  # a member has no worklist
    response = client.post(reverse("reports:notice_preferences"), {"activity:notice": "1", "study_day:notice": "1",
                                                                   "study_day:email": "1", "study_unread:email": "1"})
    assert response.status_code == 302
    off = set(ReminderOptOut.objects.filter(user=cast.plain_member).values_list("kind", "channel"))
    assert off == {(ReminderKind.ACTIVITY, Channel.EMAIL), (ReminderKind.STUDY_UNREAD, Channel.NOTICE),
                   (ReminderKind.WORKLIST, Channel.NOTICE), (ReminderKind.WORKLIST, Channel.EMAIL)} - {
        (ReminderKind.WORKLIST, Channel.NOTICE), (ReminderKind.WORKLIST, Channel.EMAIL)}
    assert AuditEntry.objects.filter(action="reminder_preferences.update", actor=cast.plain_member).count() == 1
    # saving the same again writes nothing
    client.post(reverse("reports:notice_preferences"), {"activity:notice": "1", "study_day:notice": "1",
                                                        "study_day:email": "1", "study_unread:email": "1"})
    assert AuditEntry.objects.filter(action="reminder_preferences.update").count() == 1


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302
