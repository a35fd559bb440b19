"""The home page's counts (issue 10): one grouped query, cached under the committees' generations, and every
write that changes a count shows on the very next page (flow events, corrections, registrations, edits,
contact dates)."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import DataGeneration
from taizhang.members import services
from taizhang.members.models import Category, EventKind, Member
from taizhang.members.tests.factories import make_member, update_data

D = datetime.date
THEN = "2020-06-30"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def home(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"), params)
    assert response.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    return response.context, sum("GROUP BY" in s and "AS \"branch_on\"" in s for s in sql)


def test_the_counts_are_cached_and_a_flow_event_shows_on_the_next_page(client, cast):
    client.force_login(cast.admin)
    first, grouped = home(client)
    assert first["counts"]["total"] == 6 and grouped == 1
    again, grouped = home(client)
    assert again["counts"] == first["counts"] and grouped == 0  # answered from the cache

    services.flow_record_event(actor=cast.admin, member=cast.members_by_name["王建国"], kind=EventKind.TRANSFERRED_OUT,
                               effective_date=D(2024, 5, 6), reason="转出到外省")
    after, grouped = home(client)
    assert after["counts"]["total"] == 5 and grouped == 1
    assert after["counts"]["by_branch"][cast.east.name] == 2


def test_a_correction_and_a_registration_show_on_the_next_page(client, cast):
    client.force_login(cast.admin)
    assert home(client)[0]["counts"]["total"] == 6
    event = services.flow_record_event(actor=cast.admin, member=cast.members_by_name["刘洋"], kind=EventKind.DECEASED,
                                       effective_date=D(2024, 5, 6), reason="病故")
    assert home(client)[0]["counts"]["total"] == 5
    services.flow_correct_latest(actor=cast.admin, member=Member.objects.get(pk=event.member_id), event=event,
                                 reason="录错了人")
    assert home(client)[0]["counts"]["total"] == 6
    make_member(cast.admin, cast.west, birth_date=D(1950, 1, 1))
    context = home(client)[0]
    assert context["counts"]["total"] == 7


def test_a_backdated_event_changes_the_cached_count_of_a_past_day(client, cast):
    client.force_login(cast.admin)
    assert home(client, as_of=THEN)[0]["counts"]["total"] == 6
    assert home(client, as_of=THEN)[1] == 0  # cached
    services.flow_record_event(actor=cast.admin, member=cast.members_by_name["陈刚"], kind=EventKind.LEFT_BEIJING,
                               effective_date=D(2019, 4, 1), reason="回老家")
    context, grouped = home(client, as_of=THEN)
    assert grouped == 1 and context["counts"]["total"] == 6
    assert context["counts"]["status_codes"]["outflow"] == 1 and context["outflow"] == 1
    assert context["elderly"] is None and context["contact_overdue"] is None  # not shown for a past day


def test_an_edit_and_a_contact_date_change_the_category_and_no_contact_counts(client, cast):
    client.force_login(cast.admin)
    context = home(client)[0]
    assert context["elderly"] >= 1 and context["contact_overdue"] == 6  # registered in 2018, no contact since
    assert context["counts"]["status_codes"] and str(Category.STATIONED.label) not in context["counts"]["by_category"]
    services.member_contact_touch(member_ids=[m.pk for m in cast.members], day=timezone.localdate())
    assert home(client)[0]["contact_overdue"] == 0
    member = Member.objects.get(pk=cast.members_by_name["刘洋"].pk)
    services.member_update(actor=cast.admin, member=member, expected_version=member.version,
                           data=update_data(member, category=Category.STATIONED))
    assert home(client)[0]["counts"]["by_category"][str(Category.STATIONED.label)] == 1

    Member.objects.filter(pk__in=[m.pk for m in cast.members]).update(last_contact_date=D(2001, 1, 1))
    DataGeneration.objects.all().delete()  # a write behind the services' back: nothing is cached from now on
    context, grouped = home(client)
    assert context["contact_overdue"] == 6 and grouped == 1
    assert home(client)[1] == 1  # without a generation the counts are not cached
    services.member_contact_touch(member_ids=[member.pk], day=timezone.localdate())
    assert home(client)[0]["contact_overdue"] == 5


def test_a_branch_secretary_gets_their_own_counts_from_the_cache(client, cast):
    client.force_login(cast.admin)
    assert home(client)[0]["counts"]["total"] == 6
    client.force_login(cast.east_secretary)
    context, grouped = home(client)
    assert context["counts"]["total"] == 3 and grouped == 1  # another scope, another key
    assert home(client)[1] == 0
    assert context["contact_overdue"] is not None


def test_a_contact_that_changes_no_warning_keeps_the_cached_counts(client, cast):
    client.force_login(cast.admin)
    today = timezone.localdate()
    services.member_contact_touch(member_ids=[m.pk for m in cast.members], day=today - datetime.timedelta(days=7))
    assert home(client)[0]["contact_overdue"] == 0
    services.member_contact_touch(member_ids=[m.pk for m in cast.members], day=today)  # e.g. every QR check-in
    context, grouped = home(client)
    assert context["contact_overdue"] == 0 and grouped == 0  # still answered from the cache
