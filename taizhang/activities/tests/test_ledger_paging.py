"""The attendance ledger on the activity page is paged (issue 10): a committee-wide activity expects
every member, so the page shows one page of them, its totals come from SQL, and its queries do not grow
with the audience."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities import views
from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.members.models import EventKind
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


def _page(client, activity, page=None):
    params = {"page": page} if page else {}
    return client.get(reverse("activities:detail", args=[activity.pk]), params)


def test_the_ledger_pages_and_keeps_its_totals(client, cast, monkeypatch):
    monkeypatch.setattr(views, "LEDGER_PAGE_SIZE", 4)
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    attendance_record(actor=cast.admin, activity=activity, member=cast.me, status="present")
    client.force_login(cast.admin)
    first = _page(client, activity)
    assert len(first.context["ledger_rows"]) == 4 and first.context["ledger"].expected == 6
    assert first.context["ledger"].present == 1 and first.context["ledger"].absent == 5
    second = _page(client, activity, 2)
    assert len(second.context["ledger_rows"]) == 2
    names = {r["member"].name for r in first.context["ledger_rows"] + second.context["ledger_rows"]}
    assert names == {m.name for m in cast.members}
    assert "page=2" in first.content.decode()


def test_the_ledger_costs_the_same_queries_for_a_bigger_audience(client, cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)
    client.force_login(cast.admin)
    _page(client, activity)
    with CaptureQueriesContext(connection) as few:
        _page(client, activity)
    for i in range(60):
        make_member(cast.admin, cast.west, name=f"新党员{i}")
    with CaptureQueriesContext(connection) as many:
        response = _page(client, activity)
    assert response.context["ledger"].expected == 66
    assert len(response.context["ledger_rows"]) == views.LEDGER_PAGE_SIZE
    assert len(many) <= len(few)


def test_the_expected_are_counted_once_from_the_spells_and_walk_ins_stay_apart(client, cast, monkeypatch):
    """应到 is one count over the roster spells (the pager reuses it) and the totals one grouped query over the
    activity's records; a walk-in from outside the audience is present but neither expected nor absent."""
    monkeypatch.setattr(views, "LEDGER_PAGE_SIZE", 4)
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, audience_kind="branch", audience_branch=cast.east)
    attendance_record(actor=cast.admin, activity=activity, member=cast.me, status="present")
    attendance_record(actor=cast.admin, activity=activity, member=cast.west_members[0], status="present")
    client.force_login(cast.admin)
    with CaptureQueriesContext(connection) as ctx:
        response = _page(client, activity)
    ledger = response.context["ledger"]
    assert (ledger.expected, ledger.present, ledger.absent, ledger.present_not_expected) == (3, 1, 2, 1)
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert sum("members_rosterspell" in sql and "activities_attendance" not in sql for sql in counts) == 1
    assert not any('FROM "members_member"' in sql for sql in counts)  # the pager does not count again
    rows = response.context["ledger_rows"]
    assert [r["expected"] for r in rows] == [True, True, True, False]  # one page: the three, then the walk-in


def test_every_page_lists_the_expected_in_the_ledgers_order_and_deeper_pages_cost_the_same(client, cast, monkeypatch):
    """The pages are read branch by branch (``selectors.expected_by_branch``): together they are the expected members
    in (branch order, pinyin, id) order, each once, for the admin and for a branch secretary; a deeper page
    costs the same queries however many members the committee has."""
    from taizhang.members.models import Member

    monkeypatch.setattr(views, "LEDGER_PAGE_SIZE", 3)
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)

    def pages(user):
        client.force_login(user)
        first = _page(client, activity)
        ids = []
        for number in first.context["ledger_page"].paginator.page_range:
            rows = _page(client, activity, number).context["ledger_rows"]
            ids += [r["member"].pk for r in rows if r["expected"]]
        return ids

    def ledger_order(branch=None):
        members = Member.objects.filter(committee=cast.committee, pk__in=[m.pk for m in cast.members])
        if branch is not None:
            members = members.filter(branch=branch)
        return list(members.order_by("branch__sort_order", "name_pinyin", "id").values_list("pk", flat=True))

    assert pages(cast.admin) == ledger_order()
    assert pages(cast.east_secretary) == ledger_order(cast.east)
    client.force_login(cast.admin)
    _page(client, activity, 2)
    with CaptureQueriesContext(connection) as few:
        _page(client, activity, 2)
    for i in range(30):
        make_member(cast.admin, cast.central, name=f"中部党员{i}")
    with CaptureQueriesContext(connection) as many:
        response = _page(client, activity, 2)
    assert len(response.context["ledger_rows"]) == 3
    assert len(many) <= len(few)


def test_the_cached_expected_count_follows_every_roster_write(client, cast):
    """应到 of a committee-wide activity is counted once per roster generation (``selectors.expected_count``):
    a second visit does not count the spells again, and a transfer out dated before the activity or a move to
    another branch (the secretary sees the branch's members as they are now) is on the next page at once."""
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee)  # DAY, 2026-06-12
    client.force_login(cast.east_secretary)
    assert _page(client, activity).context["ledger"].expected == 3
    with CaptureQueriesContext(connection) as ctx:
        assert _page(client, activity).context["ledger"].expected == 3
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert not any("members_rosterspell" in sql and "activities_attendance" not in sql for sql in counts)
    leaver, mover = cast.east_members[1], cast.east_members[2]
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2026, 1, 5), reason="组织关系转回青岛")
    assert _page(client, activity).context["ledger"].expected == 2
    flow_record_event(actor=cast.admin, member=mover, kind=EventKind.MOVED_BRANCH,
                      effective_date=datetime.date(2026, 8, 1), to_branch=cast.west, reason="搬家")
    assert _page(client, activity).context["ledger"].expected == 1  # expected on the day, now west's
    client.force_login(cast.admin)
    assert _page(client, activity).context["ledger"].expected == 5
