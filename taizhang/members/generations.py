"""The roster's generation (``core.generations.ROSTER``): what keys the cached roster counts (home page,
dashboard, care's elderly count).

``roster_changed`` is called in the transaction of every write that can change a committee's roster counts:
flow events and corrections (``projection`` calls it whenever it writes spells), registrations and imports (the
same), edits of a member (``member_update``) and contact dates (``member_contact_touch`` /
``member_contact_recompute``). Readers cache with ``core.generations.cached`` (the roster is its default kind).
"""

from taizhang.core import generations as core_generations
from taizhang.core.generations import ROSTER
from taizhang.members.models import Member


def roster_changed(committee_ids=(), *, member_ids=()) -> None:
    """Give the committees (``committee_ids``, and those of ``member_ids``) a new roster generation. One statement
    (an upsert), plus one to find the members' committees when only members are given."""
    ids = {c for c in committee_ids if c is not None}
    member_ids = [pk for pk in member_ids if pk is not None]
    if member_ids:
        ids |= set(Member.objects.filter(pk__in=member_ids).order_by().values_list("committee_id", flat=True).distinct())
    core_generations.changed(ROSTER, ids)

