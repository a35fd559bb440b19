"""Generations of a committee's data: what keys the caches of answers that only certain writes change.

A kind of data (``ROSTER``, ``ACTIVITIES``, ``POINTS``, ``CARE``) of a committee has a generation
(``models.DataGeneration``), replaced by ``changed(kind, committee_ids)`` in the transaction of every write that
can change that kind: the roster (flow events and corrections through the projection, registrations, imports,
edits of a member, contact dates: ``members.generations``), activities and attendance (``activities.services``),
point entries (``points.models.PointEntry``: every insert, the entries being append-only) and care (visits,
subscriptions: ``care.services``). A reader keys its cache with the generations of the kinds and committees it
reads (``cached``), so a committed write makes the next read compute afresh; a read racing a write at worst
caches fresh numbers under the old key, which nobody asks for again. A committee without a generation of a kind
(data written by other means, e.g. a bulk COPY, until its first write or ``rebuild_projections``) is never cached.
Caching is never by a timer: ``CACHE_SECONDS`` only lets unused keys go.
"""

import hashlib
import secrets

from django.core.cache import cache

from taizhang.core.models import DataGeneration

ROSTER = "roster"
ACTIVITIES = "activities"
POINTS = "points"
CARE = "care"
KINDS = (ROSTER, ACTIVITIES, POINTS, CARE)

CACHE_SECONDS = 7 * 24 * 3600


def changed(kind: str, committee_ids) -> None:
    """Give the committees ``committee_ids`` a new generation of ``kind``: one statement (an upsert)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of data: {kind}")
    _renew(committee_ids, [kind])


def renew_all(committee_ids) -> None:
    """Every kind of the committees anew (after data was written by other means: ``rebuild_projections``)."""
    _renew(committee_ids, KINDS)


def _renew(committee_ids, kinds) -> None:
    """New tokens for ``committee_ids`` × ``kinds``: one upsert."""
    ids = sorted({pk for pk in committee_ids if pk is not None})
    if not ids:
        return
    DataGeneration.objects.bulk_create(
        [DataGeneration(committee_id=pk, kind=kind, token=secrets.randbits(62)) for pk in ids for kind in kinds],
        update_conflicts=True, unique_fields=["committee", "kind"], update_fields=["token"],
    )


def snapshot(committee_ids, kinds=KINDS) -> dict:
    """{(committee id, kind): token} of ``committee_ids`` × ``kinds``: one query, for a page that caches several
    answers (pass it to ``cached`` as ``known``)."""
    ids = sorted(set(committee_ids))
    if not ids:
        return {}
    rows = DataGeneration.objects.filter(committee_id__in=ids, kind__in=sorted(set(kinds)))
    return {(pk, kind): token for pk, kind, token in rows.values_list("committee_id", "kind", "token")}


def stamps(committee_ids, kinds=(ROSTER,), known: dict | None = None) -> tuple | None:
    """((committee id, kind, token), …) of ``committee_ids`` × ``kinds`` in a stable order, or None when one of
    them has none yet (not cacheable). One query, none with ``known`` (a ``snapshot`` holding them)."""
    ids, kinds = sorted(set(committee_ids)), sorted(set(kinds))
    if not ids or not kinds:
        return None
    tokens = known if known is not None else snapshot(ids, kinds)
    found = [(pk, kind, tokens.get((pk, kind))) for pk in ids for kind in kinds]
    return None if any(token is None for _pk, _kind, token in found) else tuple(found)


def cached(name: str, parts, committee_ids, compute, kinds=(ROSTER,), known: dict | None = None):
    """``compute()``, cached under ``name``, ``parts`` (what else the answer depends on: the day, the user's
    scope, settings …) and the generations of ``kinds`` of ``committee_ids`` (the committees whose data it
    reads); computed every time while one of them has no generation. ``known``: a ``snapshot`` already read."""
    found = stamps(committee_ids, kinds, known)
    if found is None:
        return compute()
    text = "|".join([*(str(p) for p in parts), ",".join(f"{pk}:{kind}:{token}" for pk, kind, token in found)])
    key = f"{name}:{hashlib.sha256(text.encode()).hexdigest()}"  # short, and safe for any cache backend
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value
