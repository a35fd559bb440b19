"""The dated activity profile on the member page (行为特征)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.panels import activity_profile_context
from taizhang.activities.tests.factories import DAY, make_activity
from taizhang.activities.tests.factories_reports import PRESENT, record, report_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    return report_world(cast)


def test_profile_numbers(cast, world):
    panel = activity_profile_context(member=cast.members_by_name["李秀英"], user=cast.admin)
    assert panel["as_of"] == timezone.localdate()
    (recent_label, recent), (overall_label, overall) = panel["rows"]
    assert (overall.expected, overall.present, overall.leave, overall.absent, overall.rate_percent) == (2, 1, 1, 0, 50)
    assert panel["last_attended"] == DAY + datetime.timedelta(days=7)
    assert panel["types"] == [("党员大会", 1)]
    assert panel["report_url"].endswith("?preset=since_founding")


@pytest.mark.parametrize("who, shown, link", [
    ("admin", True, True), ("east_secretary", True, True), ("study", True, False), ("plain_member", True, False),
    ("west_secretary", False, False), ("outsider", False, False), ("auditor", False, False),
])
def test_who_sees_the_panel(cast, world, who, shown, link):
    panel = activity_profile_context(member=cast.me, user=getattr(cast, who))
    assert (panel is not None) == shown
    if panel is not None:
        assert bool(panel["report_url"]) == link


@pytest.mark.parametrize("who", ["admin", "east_secretary", "plain_member"])
def test_member_page_renders_the_panel(client, cast, world, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("members:detail", args=[cast.me.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="activity-profile"' in html and "党员大会 × 1" in html and "集体学习 × 1" in html
    assert 'id="profile-last">' + (DAY + datetime.timedelta(days=7)).isoformat() in html


def test_panel_queries_are_fixed_whatever_the_history(cast, world):
    member = cast.members_by_name["刘洋"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            activity_profile_context(member=member, user=cast.admin)
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        activity = make_activity(cast.admin, cast.committee, day=DAY - datetime.timedelta(days=30 * (i + 1)),
                                 title=f"集体学习 {i}")
        record(cast.admin, activity, (member, PRESENT))
    assert count() == before
    panel = activity_profile_context(member=member, user=cast.admin)
    assert panel["rows"][1][1].present == 6
