"""The ledger list's total (issue 10): read from the roster spells alone when only the day, branch and
status are chosen, so the default list costs the same for 6 members as for 200,000 — and always the number
of members the list itself holds, whoever asks and whatever is filtered."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.members.models import EventKind
from taizhang.members.services import flow_correct_latest, flow_record_event
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def history(cast):
    """Moves, an outflow, a transfer out, a corrected move and a member registered only in 2023."""
    by = cast.members_by_name
    flow_record_event(actor=cast.admin, member=by["赵丽华"], kind=EventKind.LEFT_BEIJING, effective_date=D(2020, 5, 1))
    flow_record_event(actor=cast.admin, member=by["陈刚"], kind=EventKind.MOVED_BRANCH, effective_date=D(2021, 1, 10),
                      to_branch=cast.east)
    flow_record_event(actor=cast.admin, member=by["王建国"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=D(2022, 6, 1), reason="转回青岛")
    moved = flow_record_event(actor=cast.admin, member=by["李秀英"], kind=EventKind.MOVED_BRANCH,
                              effective_date=D(2022, 3, 1), to_branch=cast.west)
    by["李秀英"].refresh_from_db()
    flow_correct_latest(actor=cast.admin, member=by["李秀英"], event=moved, reason="录错了支部")
    make_member(cast.admin, cast.east, name="孙新", registered_on=D(2023, 1, 1))
    return cast


def listed(client, params):
    """(the total the page shows, the members on all its pages)."""
    response = client.get(reverse("members:list"), {**params, "per_page": 100})
    assert response.status_code == 200
    page = response.context["page"]
    return page.paginator.count, {m.name for m in page.object_list}


@pytest.mark.parametrize("who", ["admin", "east_secretary", "west_secretary", "study"])
def test_the_total_is_the_number_of_members_listed(client, history, who):
    client.force_login(getattr(history, who))
    choices = [{}]
    choices += [{"status": s} for s in ("all", "active", "outflow", "transferred")]
    choices += [{"branch": b.pk} for b in (history.east, history.west)]
    choices += [{"branch": history.east.pk, "status": "all"}, {"q": "zlh"}, {"q": "丽"}, {"age": "60plus"}]
    choices += [{"as_of": day, **extra} for day in ("2020-12-31", "2022-12-31")
                for extra in ({}, {"status": "all"}, {"status": "outflow"}, {"branch": history.west.pk})]
    for params in choices:
        total, names = listed(client, params)
        assert total == len(names), params


def test_the_default_total_is_counted_from_the_roster_spells_alone_once_per_generation(client, cast):
    """No join of the members to their events: the open spells' index answers it (migration 0009); and it is
    counted once per roster generation (``MemberFilter.count``): the next request counts nothing, another
    filter counts its own, and a flow event is counted at once."""
    client.force_login(cast.admin)

    def counting(params):
        with CaptureQueriesContext(connection) as ctx:
            result = listed(client, params)
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"] and "members_member" not in q["sql"]
                  and "reports_notice" not in q["sql"]]  # (the navigation bar's bell counts the user's unread notices)
        return result, counts

    (total, names), counts = counting({})
    assert total == len(names) == 6
    assert len(counts) == 1 and "members_rosterspell" in counts[0]
    assert counting({}) == ((6, names), [])
    assert len(counting({"branch": cast.east.pk})[1]) == 1
    assert counting({"branch": cast.east.pk})[1] == []
    leaving = cast.members_by_name["王建国"]
    flow_record_event(actor=cast.admin, member=leaving, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=D(2024, 6, 1), reason="转回青岛")
    (total, names), counts = counting({})
    assert total == len(names) == 5 and leaving.name not in names and len(counts) == 1


def test_a_search_is_counted_over_the_members(client, cast):
    client.force_login(cast.admin)
    assert listed(client, {"q": "张伟"}) == (1, {"张伟明"})
    assert listed(client, {"q": "王张"}) == (0, set())  # both characters, but not in that order


def test_a_search_lists_its_matches_in_the_lists_order_and_its_queries_do_not_grow(client, cast):
    """A search is sorted by pinyin then id like the plain list (``MemberFilter.qs`` says the pinyin as an
    expression so that the search's own indexes find the rows), and a page of a search costs the same queries for more matches."""
    for i in range(7):
        make_member(cast.admin, cast.west, name=f"王丽{i}")
    client.force_login(cast.admin)

    def names(**params):
        response = client.get(reverse("members:list"), params)
        return [m.name for m in response.context["page"].object_list], response

    first, response = names(q="wl")
    from taizhang.members.models import Member

    expected = list(Member.objects.filter(committee=cast.committee, name__startswith="王丽")
                    .order_by("name_pinyin", "id").values_list("name", flat=True))
    assert first == expected and response.context["page"].paginator.count == 7
    with CaptureQueriesContext(connection) as few:
        names(q="wl")
    for i in range(10):
        make_member(cast.admin, cast.east, name=f"王琳{i}")
    names(q="wl")  # the search's total is counted once per roster generation (``MemberFilter._filtered_count``)
    with CaptureQueriesContext(connection) as many:
        names(q="wl")
    assert len(many) <= len(few)


def test_a_searchs_total_is_counted_once_until_a_write_changes_what_it_matches(client, cast):
    """Paging through a search counts it once (cached under the roster's generations, keyed by the viewer's
    scope and a hash of the filters, never the searched text); a rename, a registration or a flow event is
    counted at once, and each scope keeps its own count."""
    from taizhang.members.services import member_update
    from taizhang.members.tests.factories import update_data

    client.force_login(cast.admin)

    def counted(params, user=None):
        if user is not None:
            client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            total, names = listed(client, params)
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "members_member" in q["sql"]
                  and "members_changerequest" not in q["sql"]]
        return total, len(counts)

    assert counted({"q": "wang"}) == (1, 1)
    assert counted({"q": "wang"}) == (1, 0)
    assert counted({"q": "wang", "page": 1}) == (1, 0)
    member = cast.members_by_name["李秀英"]
    member_update(actor=cast.admin, member=member, expected_version=member.version,
                  data=update_data(member, name="王秀英"))
    assert counted({"q": "wang"}) == (2, 1)
    make_member(cast.admin, cast.west, name="王芳")
    assert counted({"q": "wang"}) == (3, 1)
    flow_record_event(actor=cast.admin, member=cast.members_by_name["王建国"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=D(2024, 6, 1), reason="转回青岛")
    assert counted({"q": "wang"}) == (2, 1)
    assert counted({"q": "wang"}, cast.west_secretary) == (1, 1)  # another scope: its own count
    assert counted({"q": "wang"}, cast.admin) == (2, 0)
    assert counted({"q": "wang", "status": "all"}) == (3, 1)
