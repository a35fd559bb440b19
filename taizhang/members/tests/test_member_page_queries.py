"""The member page (issue 10): a fixed number of queries whatever the member's history and whatever the
committee holds besides, and the activity profile reads only this member's picks."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.models import AudienceKind
from taizhang.activities.panels import activity_profile_context
from taizhang.activities.tests.factories import make_activity
from taizhang.activities.tests.factories_reports import PRESENT, record, report_world
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event, note_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    """Activity types and a few activities with attendance (the reports' test world)."""
    return report_world(cast)


def page_queries(client, member):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("members:detail", args=[member.pk]))
    assert response.status_code == 200
    return ctx.captured_queries


@pytest.mark.parametrize("who", ["admin", "east_secretary"])
def test_the_member_page_query_count_does_not_grow_with_the_history(client, cast, world, who):
    client.force_login(getattr(cast, who))
    member = cast.members_by_name["李秀英"]
    # a picked audience reads its picks (one query per period of the profile): there from the start
    make_activity(cast.admin, cast.committee, title="座谈", audience_kind=AudienceKind.PICKED, picked_members=[cast.me])
    before = len(page_queries(client, member))
    for i in range(3):
        day = timezone.localdate() - datetime.timedelta(days=10 * (3 - i))  # after the member's last event
        flow_record_event(actor=cast.admin, member=member, kind=EventKind.CONTACTED, effective_date=day)
        note_add(actor=cast.admin, member=member, noted_on=day, text=f"走访记录 {i}")
        for audience in ({}, {"audience_kind": AudienceKind.PICKED, "picked_members": [member, cast.me]}):
            activity = make_activity(cast.admin, cast.committee, day=day, title=f"集体学习 {i}", **audience)
            record(cast.admin, activity, (member, PRESENT))
    assert len(page_queries(client, member)) == before


def test_the_party_group_comes_with_the_member(client, cast):
    client.force_login(cast.admin)
    queries = page_queries(client, cast.me)
    assert not any('FROM "organisation_partygroup" WHERE "organisation_partygroup"."id" =' in q["sql"] for q in queries)


def test_the_profile_reads_only_the_members_own_picks(cast, world):
    """Picked audiences of other members do not reach one member's profile (nor change it)."""
    me, other = cast.me, cast.members_by_name["李秀英"]
    before = activity_profile_context(member=me, user=cast.admin)["rows"][1][1]
    mine = make_activity(cast.admin, cast.committee, title="座谈", audience_kind=AudienceKind.PICKED,
                         picked_members=[me])
    make_activity(cast.admin, cast.committee, title="座谈 2", audience_kind=AudienceKind.PICKED,
                  picked_members=[other])
    record(cast.admin, mine, (me, PRESENT))
    with CaptureQueriesContext(connection) as ctx:
        panel = activity_profile_context(member=me, user=cast.admin)
    overall = panel["rows"][1][1]
    assert (overall.expected, overall.present) == (before.expected + 1, before.present + 1)
    picks = [q["sql"] for q in ctx.captured_queries if "activities_activity_picked_members" in q["sql"]]
    assert picks and all('"member_id" IN (SELECT' in sql for sql in picks)
