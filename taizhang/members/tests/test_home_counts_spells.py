"""The home page's counts read from the roster spells (issue 10) equal the old reading from the flow events,
whatever the history: random histories (through the real services, as in test_projection.py) with random
birth dates, categories and last-contact dates, counted for a committee admin and a branch secretary, today
and as of a past day — total, by branch, by category, by status, 60+ and no contact."""

import datetime

from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from taizhang.members.models import Category, Member
from taizhang.members.selectors import (
    _count_rows,
    _labelled,
    home_counts,
    home_extra_counts,
    roster_counts,
    roster_on,
)
from taizhang.members.services import member_register
from taizhang.members.tests import test_projection
from taizhang.members.tests.factories import UserFactory, grant, make_committee, member_data

FOUNDED = test_projection.FOUNDED
BIRTHS = [datetime.date(1950, 1, 1), datetime.date(1966, 3, 9), datetime.date(1985, 7, 20), datetime.date(2000, 2, 29)]


def old_home_counts(user, day):
    """The home counts as they were read before the spells: the members joined to their current flow event
    (today) or to the spell of the day, grouped in one pass (``roster_on``)."""
    today = timezone.localdate()
    extra = home_extra_counts(today) if day is None else {}
    counts, sums = _labelled(_count_rows(roster_on(user, day), extra), day, tuple(extra))
    counts["elderly"] = sums["elderly"] if day is None else None
    counts["contact_overdue"] = sums["overdue"] if day is None else None
    return counts


def new_home_counts(user, day):
    cache.clear()  # the reading itself, not a cached answer
    return home_counts(user, day)


class SpellCountsEqualTheEvents(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.committee = make_committee(name="首页计数测试党委", founded_on=FOUNDED)
        cls.branches = [cls.committee.east, cls.committee.central, cls.committee.west]
        cls.admin = UserFactory(username="home_counts_admin")
        grant(cls.admin, "committee_admin", cls.committee)
        cls.secretary = UserFactory(username="home_counts_east")
        grant(cls.secretary, "branch_secretary", cls.committee, cls.committee.east)

    apply = test_projection.RandomHistories.apply

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        registrations=st.lists(
            st.tuples(st.integers(0, 2000), st.booleans(), st.integers(0, 2), st.sampled_from(BIRTHS),
                      st.sampled_from(list(Category)), st.one_of(st.none(), st.integers(0, 3000))),
            min_size=4, max_size=4),
        steps=st.lists(test_projection.step, max_size=14),
        past=st.integers(0, 3000),
    )
    def test_the_spell_counts_equal_the_event_counts(self, registrations, steps, past):
        today = timezone.localdate()
        members = []
        for i, (offset, reported, branch_index, birth, category, _contact) in enumerate(registrations):
            data = member_data(self.branches[branch_index], name=f"计数{i}", birth_date=birth, category=category)
            members.append(member_register(actor=self.admin, data=data, reported=reported,
                                           registered_on=min(FOUNDED + datetime.timedelta(days=offset), today)))
        for member_index, choice, gap, branch_index in steps:
            self.apply(members[member_index], choice, gap, branch_index)
        for member, (*_, contact) in zip(members, registrations, strict=True):
            last = None if contact is None else today - datetime.timedelta(days=contact)
            Member.objects.filter(pk=member.pk).update(last_contact_date=last)
        day = min(FOUNDED + datetime.timedelta(days=past), today - datetime.timedelta(days=1))
        for user in (self.admin, self.secretary):
            for when in (None, day):
                assert new_home_counts(user, when) == old_home_counts(user, when), (user.username, when)
        # the operator's counts (the roster command) too
        for when in (None, day):
            assert roster_counts(None, when, committee=self.committee) == _labelled(
                _count_rows(roster_on(None, when, committee=self.committee), {}), when, ())[0]


def test_the_counts_read_no_flow_event(client, cast):
    """Neither today's nor a past day's counts join the flow events (their cost follows the members counted,
    not the length of the flow history)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for day in (None, datetime.date(2020, 6, 30)):
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            counts = home_counts(cast.admin, day)
        assert counts["total"] > 0
        grouped = [q["sql"] for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
        assert len(grouped) == 1 and "members_flowevent" not in grouped[0], grouped
