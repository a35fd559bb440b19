"""Heart-to-heart talks: recording (bad input refused, nothing written), the yearly overview against the
committee's target, follow-ups and the home card, query counts of every list, the demo."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.members.panels import home_panels
from taizhang.members.tests.factories import make_member
from taizhang.places import talks_selectors, talks_services
from taizhang.places.models.talks import Talk, TalkKind

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _record(actor, cast, members, **kwargs):
    data = {"held_on": TODAY, "kind": TalkKind.HEART, "content": "谈话内容"}
    data.update(kwargs)
    return talks_services.talk_record(actor=actor, committee=cast.committee, members=members, **data)


def _post(client, members, **kwargs):
    data = {"members": [m.pk for m in members], "held_on": TODAY.isoformat(), "kind": TalkKind.REMINDER,
            "place": "谈心角", "topics": "按时参加组织生活", "content": "说了原因", "agreed": "下次按时参加",
            "follow_up_on": ""}
    data.update(kwargs)
    return client.post(reverse("places:talk_create"), data)


def test_a_branch_secretary_records_a_talk_through_the_page(client, cast):
    client.force_login(cast.east_secretary)
    assert client.get(reverse("places:talk_create")).status_code == 200
    response = _post(client, [cast.east_members[1]], talkers=[cast.admin.pk],
                     follow_up_on=(TODAY + datetime.timedelta(days=3)).isoformat())
    talk = Talk.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("places:talk_detail", args=[talk.pk])
    assert set(talk.talkers.all()) == {cast.east_secretary, cast.admin}
    assert list(talk.members.all()) == [cast.east_members[1]]
    assert talk.kind == TalkKind.REMINDER and talk.agreed == "下次按时参加"
    assert AuditEntry.objects.filter(action="talk.create", actor=cast.east_secretary).count() == 1


def test_a_future_date_is_refused_with_a_chinese_message_and_nothing_written(client, cast):
    client.force_login(cast.east_secretary)
    response = _post(client, [cast.east_members[1]], held_on=(TODAY + datetime.timedelta(days=1)).isoformat())
    assert response.status_code == 400
    assert "谈话日期" in response.content.decode() and "未来" in response.content.decode()
    assert not Talk.objects.exists() and not AuditEntry.objects.filter(action="talk.create").exists()


def test_a_member_outside_the_scope_is_refused(client, cast):
    with pytest.raises(ValidationError) as exc:
        _record(cast.east_secretary, cast, [cast.east_members[1], cast.west_members[0]])
    assert "members" in exc.value.message_dict
    client.force_login(cast.east_secretary)
    response = _post(client, [cast.west_members[0]])
    assert response.status_code == 400
    assert not Talk.objects.exists()


def test_other_bad_input_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        _record(cast.admin, cast, [], follow_up_on=TODAY - datetime.timedelta(days=1),
                talkers=[cast.study])
    assert set(exc.value.message_dict) == {"members", "follow_up_on", "talkers"}
    assert not Talk.objects.exists()


def test_the_overview_counts_against_the_committee_target(client, cast):
    by = cast.members_by_name
    _record(cast.east_secretary, cast, [by["李秀英"], by["王建国"]])
    _record(cast.east_secretary, cast, [by["李秀英"]])
    _record(cast.admin, cast, [by["陈刚"]], held_on=datetime.date(TODAY.year - 1, 3, 1))  # last year
    summary = talks_selectors.overview(cast.admin, cast.committee, TODAY.year)
    lines = {line["branch"].name: (line["on_roster"], line["talked"]) for line in summary["lines"]}
    assert lines == {"东部片区支部": (3, 2), "中部片区支部": (1, 0), "西部片区支部": (2, 0)}
    assert (summary["target"], summary["on_roster"], summary["talked"]) == (1, 6, 2)
    not_yet = {m.name for m in talks_selectors.not_yet_talked(cast.admin, cast.committee, TODAY.year)}
    assert not_yet == {"张伟明", "刘洋", "赵丽华", "陈刚"}
    # the committee sets its target to two talks a year: only 李秀英 reaches it
    client.force_login(cast.admin)
    client.post(reverse("places:talk_target"), {"target_per_year": "2"})
    assert talks_selectors.target_per_year(cast.committee) == 2
    assert talks_selectors.overview(cast.admin, cast.committee, TODAY.year)["talked"] == 1
    assert AuditEntry.objects.filter(action="talk.settings").exists()
    # the branch secretary sees their branch only; last year counts last year's talks
    east = talks_selectors.overview(cast.east_secretary, cast.committee, TODAY.year)
    assert [(line["branch"].name, line["talked"]) for line in east["lines"]] == [("东部片区支部", 1)]
    assert talks_selectors.overview(cast.admin, cast.committee, TODAY.year - 1)["talked"] == 0  # target 2
    page = client.get(reverse("places:talk_overview")).content.decode()
    assert "刘洋" in page and f'{reverse("places:talk_create")}?member={by["刘洋"].pk}' in page


def test_only_the_committee_secretary_sets_the_target(client, cast):
    client.force_login(cast.east_secretary)
    client.post(reverse("places:talk_target"), {"target_per_year": "3"})
    assert talks_selectors.target_per_year(cast.committee) == 1


def test_follow_ups_due_and_the_home_card(client, cast):
    by = cast.members_by_name
    due = _record(cast.east_secretary, cast, [by["李秀英"]], held_on=TODAY - datetime.timedelta(days=20),
                  follow_up_on=TODAY - datetime.timedelta(days=1))
    _record(cast.east_secretary, cast, [by["王建国"]], follow_up_on=TODAY + datetime.timedelta(days=60))  # later
    _record(cast.admin, cast, [by["王建国"]], follow_up_on=TODAY)  # the admin's, not the east secretary's
    assert list(talks_selectors.follow_ups_due(cast.east_secretary)) == [due]
    cards = {p["key"]: p["context"] for p in home_panels(user=cast.east_secretary)}
    assert cards["places.talks"] == {"due": 1, "overdue": 1, "this_year": 3}
    assert "places.talks" not in {p["key"] for p in home_panels(user=cast.plain_member)}
    client.force_login(cast.east_secretary)
    assert "李秀英" in client.get(reverse("places:talk_follow_ups")).content.decode()
    client.post(reverse("places:talk_follow_up_done", args=[due.pk]))
    assert not talks_selectors.follow_ups_due(cast.east_secretary).exists()
    home = client.get(reverse("home")).content.decode()
    assert 'id="talks-home"' in home


@pytest.fixture
def many_talks(cast):
    def add(n):
        for i in range(n):
            member = make_member(cast.admin, cast.east, name=f"谈话对象{Talk.objects.count():03d}")
            _record(cast.admin, cast, [member, cast.east_members[1]], talkers=[cast.east_secretary],
                    follow_up_on=TODAY, held_on=TODAY - datetime.timedelta(days=i % 5))
    return add


@pytest.mark.parametrize("name", ["places:talk_list", "places:talk_follow_ups", "places:talk_overview"])
def test_list_query_counts_do_not_grow(client, cast, many_talks, name):
    many_talks(2)
    client.force_login(cast.east_secretary)
    url = reverse(name)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    many_talks(12)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_member_search_query_count_does_not_grow(client, cast, many_talks):
    many_talks(2)
    client.force_login(cast.east_secretary)
    url = reverse("places:talk_member_search")
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "谈话对象000"})
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"q": "谈话对象"})
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count("data-pick=") == 2


def test_the_menu_shows_talks_to_those_allowed(client, cast):
    client.force_login(cast.east_secretary)
    assert reverse("places:talk_list") in client.get(reverse("home")).content.decode()
    client.force_login(cast.plain_member)
    assert reverse("places:talk_list") not in client.get(reverse("home")).content.decode()
