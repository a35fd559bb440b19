"""The tick list, 全部到 and the on-behalf sign-up picker never render the whole audience (issue 10): a
committee-wide activity expects every member, so the tick list pages (50 at a time, the search over all of
them), 全部到 names the first of the unmarked and records them all, and the on-behalf select offers the
first members or a search's results. Their counts come from SQL and their queries do not grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities import views
from taizhang.activities.models import Attendance, SignUp
from taizhang.activities.services import attendance_record, signup_create
from taizhang.activities.tests.factories import seed_types
from taizhang.activities.tests.factories_pages import activity_at, body, future, minutes_from_now
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(cast):
    """Starts in 10 minutes: check-in is open."""
    seed_types(cast)
    return activity_at(cast.admin, cast.committee, minutes_from_now(10), title="正在签到的集体学习")


def names(response):
    return [m.name for m, _att in response.context["rows"]]


def test_the_tick_list_pages_and_its_counts_are_those_of_everyone(client, cast, soon, monkeypatch):
    monkeypatch.setattr(views, "TICK_PAGE_SIZE", 4)
    attendance_record(actor=cast.admin, activity=soon, member=cast.me, status="present")
    client.force_login(cast.admin)
    url = reverse("activities:attendance", args=[soon.pk])
    first, second = client.get(url), client.get(url, {"page": 2})
    assert len(first.context["rows"]) == 4 and len(second.context["rows"]) == 2
    assert set(names(first)) | set(names(second)) == {m.name for m in cast.members}
    assert not set(names(first)) & set(names(second))
    assert first.context["counts"] == second.context["counts"] == {"expected": 6, "present": 1, "unmarked": 5}
    assert "page=2" in body(first)
    # the pager of the htmx list swaps the list alone
    fragment = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tick-list")
    assert "<html" not in body(fragment) and names(fragment) == names(second)
    # a search looks through every page
    assert names(client.get(url, {"q": "ly"})) == ["刘洋"]


def test_the_tick_list_costs_the_same_queries_for_a_bigger_audience(client, cast, soon):
    client.force_login(cast.admin)
    url = reverse("activities:attendance", args=[soon.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(60):
        member = make_member(cast.admin, cast.west, name=f"新党员{i}")
        if i % 2:
            attendance_record(actor=cast.admin, activity=soon, member=member, status="present")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["counts"] == {"expected": 66, "present": 30, "unmarked": 36}
    assert len(response.context["rows"]) == views.TICK_PAGE_SIZE
    assert len(many) <= len(few)


def test_all_present_names_the_first_and_records_every_unmarked_member(client, cast, soon, monkeypatch):
    monkeypatch.setattr(views, "TICK_PAGE_SIZE", 2)
    attendance_record(actor=cast.admin, activity=soon, member=cast.me, status="leave", absence_reason="illness")
    client.force_login(cast.admin)
    url = reverse("activities:attendance_all_present", args=[soon.pk])
    confirm = client.get(url)
    assert len(confirm.context["members"]) == 2 and confirm.context["n_unmarked"] == 5
    assert confirm.context["more"] == 3 and 'id="all-present-more"' in body(confirm)
    assert 'name="member"' not in body(confirm)
    response = client.post(url, {"all": "1"})
    assert response.status_code == 302
    statuses = dict(Attendance.objects.filter(activity=soon).values_list("member__name", "status"))
    assert statuses == {m.name: ("leave" if m == cast.me else "present") for m in cast.members}


def test_the_on_behalf_picker_offers_a_page_and_finds_the_others(client, cast, monkeypatch):
    monkeypatch.setattr(views, "PICKER_SIZE", 3)
    seed_types(cast)
    activity = future(cast.admin, cast.committee, title="党委集体学习")
    signup_create(actor=cast.admin, activity=activity, member=cast.me)
    client.force_login(cast.admin)
    response = client.get(reverse("activities:detail", args=[activity.pk]))
    choices = [value for value, _label in response.context["on_behalf_form"].fields["member"].widget.choices if value]
    assert len(choices) == 3 and response.context["n_candidates"] == 5  # everyone but the one signed up
    assert 'id="on-behalf-more"' in body(response)
    search = reverse("activities:signup_candidates", args=[activity.pk])
    found = client.get(search, {"q": "chen"}, HTTP_HX_REQUEST="true")
    assert "陈刚" in body(found) and "<html" not in body(found) and "赵丽华" not in body(found)
    assert "张伟明" not in body(client.get(search, {"q": "zwm"}))  # already signed up
    assert 'id="on-behalf-none"' in body(client.get(search, {"q": "zwm"}))
    # a member not offered on the first page is still accepted (the form checks every candidate)
    offered = {int(v) for v in choices}
    other = next(m for m in cast.members if m.pk not in offered and m != cast.me)
    client.post(reverse("activities:signup", args=[activity.pk]), {"member": other.pk})
    assert SignUp.objects.filter(activity=activity, member=other).exists()


def test_the_picker_search_is_for_staff_who_may_sign_up_others(client, cast):
    seed_types(cast)
    activity = future(cast.admin, cast.committee, title="党委集体学习")
    search = reverse("activities:signup_candidates", args=[activity.pk])
    client.force_login(cast.plain_member)
    assert client.get(search, {"q": "chen"}).status_code == 403
    client.force_login(cast.east_secretary)
    text = body(client.get(search, {"q": "chen"}))
    assert "陈刚" not in text  # a west member: not the east secretary's to sign up


def test_the_detail_page_costs_the_same_queries_with_more_candidates(client, cast):
    seed_types(cast)
    activity = future(cast.admin, cast.committee, title="党委集体学习")
    client.force_login(cast.admin)
    url = reverse("activities:detail", args=[activity.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(60):
        make_member(cast.admin, cast.east, name=f"新党员{i}")
    client.get(url)  # the new members gave the roster a new generation: 应到 is counted (and cached) again once
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["n_candidates"] == 66 and response.context["n_shown"] == views.PICKER_SIZE
    assert len(many) <= len(few)


def test_the_detail_page_lists_the_first_sign_ups_and_says_how_many_more(client, cast, monkeypatch):
    monkeypatch.setattr(views, "SIGNUPS_SHOWN", 4)
    seed_types(cast)
    activity = future(cast.admin, cast.committee, title="党委集体学习")
    for member in cast.members:
        signup_create(actor=cast.admin, activity=activity, member=member)
    client.force_login(cast.admin)
    response = client.get(reverse("activities:detail", args=[activity.pk]))
    assert len(response.context["signups"]) == 4 and response.context["signups_more"] == 2
    assert 'id="signups-more"' in body(response)


def test_the_sign_in_sheet_prints_sheet_after_sheet(client, cast, soon, monkeypatch):
    monkeypatch.setattr(views, "SHEET_ROWS", 4)
    client.force_login(cast.admin)
    url = reverse("activities:attendance_sheet", args=[soon.pk])
    first, second = client.get(url), client.get(url, {"page": 2})
    assert len(first.context["members"]) == 4 and len(second.context["members"]) == 2
    assert {m.name for m in first.context["members"]} | {m.name for m in second.context["members"]} == {
        m.name for m in cast.members}
    assert 'id="next-sheet"' in body(first) and '<td class="num">5</td>' in body(second)
    assert first.context["expected"] == second.context["expected"] == 6
