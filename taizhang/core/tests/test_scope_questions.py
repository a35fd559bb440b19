"""The scope questions answered in core/permissions.py (issue 9), with the fixed cast."""

import pytest

from taizhang.core import permissions as perms
from taizhang.members.models import Member

pytestmark = pytest.mark.django_db


def test_committees_and_branches_for_the_cast(cast):
    c = cast
    assert perms.committee_ids_for(c.admin) == {c.committee.pk}
    assert perms.committee_ids_for(c.east_secretary) == {c.committee.pk}
    assert perms.committee_ids_for(c.plain_member) == set()
    assert perms.committee_ids_for(c.plain_member, include_self=True) == {c.committee.pk}
    assert set(perms.branches_for(c.admin)) == set(c.committee.branches.all())
    assert list(perms.branches_for(c.east_secretary)) == [c.east]
    assert list(perms.branches_for(c.plain_member)) == []
    assert perms.committee_wide(c.admin, c.committee)
    assert not perms.committee_wide(c.east_secretary, c.committee)
    assert perms.is_staff(c.east_secretary) and not perms.is_staff(c.plain_member)


def test_home_committee_and_own_member(cast):
    c = cast
    assert perms.home_committee(c.admin) == c.committee
    assert perms.home_committee(c.east_secretary) == c.committee
    assert perms.home_committee(c.plain_member) == c.committee
    own = perms.own_member(c.plain_member)
    assert own is not None and own.user_id == c.plain_member.pk
    assert perms.own_member(c.admin) is None
    assert perms.own_member(c.plain_member, committee=c.committee.pk + 1000) is None


def test_visible_to_is_the_restricted_ledger(cast):
    c = cast
    east = set(Member.objects.visible_to(c.east_secretary).values_list("branch_id", flat=True))
    assert east == {c.east.pk}
    assert Member.objects.visible_to(c.plain_member).count() == 1
    assert Member.objects.visible_to(c.plain_member, perms.EDIT).count() == 0
