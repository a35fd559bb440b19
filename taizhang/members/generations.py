"""Generations of the roster counts (issue 10): what keys the home page's cached counts.

A committee's generation (``models.RosterGeneration``) is replaced by ``roster_changed`` in the transaction
of every write that can change its roster counts: flow events and corrections (``projection`` calls it
whenever it writes spells), registrations and imports (the same), edits of a member (``member_update``) and
contact dates (``member_contact_touch`` / ``member_contact_recompute``). Readers take the generations of the
committees they count (``generations``) and key their cache with them, so a committed write makes the next
read compute afresh; a read racing a write at worst caches fresh counts under the old key, which nobody
asks for again. A committee without a generation yet (data written by other means, e.g. the benchmark's
COPY) is never cached.
"""

import secrets

from django.core.cache import cache

from taizhang.members.models import Member, RosterGeneration


def roster_changed(committee_ids=(), *, member_ids=()) -> None:
    """Give the committees (``committee_ids``, and those of ``member_ids``) a new generation. One statement
    (an upsert), plus one to find the members' committees when only members are given."""
    ids = {c for c in committee_ids if c is not None}
    member_ids = [pk for pk in member_ids if pk is not None]
    if member_ids:
        ids |= set(Member.objects.filter(pk__in=member_ids).order_by().values_list("committee_id", flat=True).distinct())
    if not ids:
        return
    RosterGeneration.objects.bulk_create(
        [RosterGeneration(committee_id=pk, token=secrets.randbits(62)) for pk in sorted(ids)],
        update_conflicts=True, unique_fields=["committee"], update_fields=["token"],
    )


def generations(committee_ids) -> tuple | None:
    """((committee id, token), …) of ``committee_ids``, or None when one of them has none yet (not cacheable)."""
    ids = sorted(set(committee_ids))
    if not ids:
        return None
    rows = sorted(RosterGeneration.objects.filter(committee_id__in=ids).values_list("committee_id", "token"))
    return tuple(rows) if len(rows) == len(ids) else None


CACHE_SECONDS = 7 * 24 * 3600  # only to let unused keys go: the generations keep the answers right


def cached(name: str, parts, committee_ids, compute):
    """``compute()``, cached under ``name``, ``parts`` (what else the answer depends on: the day, the user's
    scope …) and the generations of ``committee_ids`` (the committees whose members it counts), for answers
    that only roster writes change; computed every time while a committee has no generation."""
    stamps = generations(committee_ids)
    if stamps is None:
        return compute()
    key = "|".join([name, *(str(p) for p in parts), ",".join(f"{pk}:{token}" for pk, token in stamps)])
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
