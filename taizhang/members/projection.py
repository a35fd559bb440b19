"""The roster projection: members' spells (``models.RosterSpell``) derived from their flow events.

One rule, ``spells_from_events``, turns a member's events (with the corrections among them) into
spells; it is pure (tuples in, tuples out) so the services, the bulk import, the data migration, the
rebuild command and the property-based test all use the very same reading:

* the effective history is the events without the corrections and without the events they voided
  (``FlowEventQuerySet.effective``), in (effective date, id) order;
* each effective event's state (status after, branch after) holds from its date until the date of the
  next effective event; two events on one day leave an empty interval, so the later one counts;
* neighbouring intervals with the same state are one spell; the last spell is open (``OPEN_END``).

Writers call ``project_members`` (or ``insert_spells`` for members they just created) in the
transaction that wrote the events, after the member row was locked, so the spells never disagree with
the events a committed transaction left behind.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection, transaction

from taizhang.members import generations, hooks
from taizhang.members.models import OPEN_END, EventKind, FlowEvent, Member, RosterSpell


class EventRow(NamedTuple):
    member_id: int
    event_id: int
    kind: str
    effective_date: datetime.date
    status_after: str
    branch_after_id: int
    corrects_id: int | None


class Spell(NamedTuple):
    member_id: int
    committee_id: int
    branch_id: int
    status: str
    valid_from: datetime.date
    valid_to: datetime.date


EVENT_FIELDS = list(EventRow._fields[:1]) + ["id"] + list(EventRow._fields[2:])


def spells_from_events(events: Iterable[EventRow], committee_of: dict) -> list[Spell]:
    """The spells of the members whose events (all of them, corrections included) are ``events``.

    ``committee_of`` maps each member id to the member's committee id. Spells come out ordered by
    member and ``valid_from``.
    """
    events = [EventRow(*e) for e in events]
    voided = {e.corrects_id for e in events if e.corrects_id is not None}
    history = defaultdict(list)
    for e in events:
        if e.kind != EventKind.CORRECTION and e.event_id not in voided:
            history[e.member_id].append(e)
    spells = []
    for member_id in sorted(history):
        effective = sorted(history[member_id], key=lambda e: (e.effective_date, e.event_id))
        own = []  # [status, branch, from] in order; the next one's from closes the previous one
        for e in effective:
            if own and own[-1][2] == e.effective_date:
                own.pop()  # an empty interval: the later event of the day counts
            if own and (own[-1][0], own[-1][1]) == (e.status_after, e.branch_after_id):
                continue  # the state did not change: the spell goes on
            own.append([e.status_after, e.branch_after_id, e.effective_date])
        committee_id = committee_of[member_id]
        for i, (status, branch_id, start) in enumerate(own):
            end = own[i + 1][2] if i + 1 < len(own) else OPEN_END
            spells.append(Spell(member_id, committee_id, branch_id, status, start, end))
    return spells


def computed_spells(member_ids=None, *, committee_id=None) -> list[Spell]:
    """The spells recomputed from the events now in the database (of ``member_ids``, or of one
    committee's members, or of everyone). Two queries."""
    members = Member.objects.all()
    if member_ids is not None:
        members = members.filter(pk__in=list(member_ids))
    if committee_id is not None:
        members = members.filter(committee_id=committee_id)
    committee_of = dict(members.values_list("pk", "committee_id"))
    if not committee_of:
        return []
    events = FlowEvent.objects.filter(member_id__in=list(committee_of)).order_by().values_list(*EVENT_FIELDS)
    return spells_from_events(events, committee_of)


def stored_spells(member_ids=None, *, committee_id=None) -> list[Spell]:
    """The spells as the table holds them, in the same order as ``spells_from_events``."""
    spells = RosterSpell.objects.all()
    if member_ids is not None:
        spells = spells.filter(member_id__in=list(member_ids))
    if committee_id is not None:
        spells = spells.filter(member__committee_id=committee_id)
    return [Spell(*row) for row in spells.order_by("member_id", "valid_from").values_list(*Spell._fields)]


def insert_spells(spells: list[Spell]) -> None:
    """Write ``spells`` (of members who have none yet): COPY on PostgreSQL, executemany on SQLite. Their
    committees get a new generation of their roster counts (``generations``), in this same transaction, and
    ``hooks.spells_inserted`` is sent."""
    if not spells:
        return
    _write_spells(spells)
    hooks.spells_inserted.send(member_ids=sorted({spell.member_id for spell in spells}))


def _write_spells(spells: list[Spell]) -> None:
    if not spells:
        return
    generations.roster_changed({spell.committee_id for spell in spells})
    table = connection.ops.quote_name(RosterSpell._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(RosterSpell._meta.get_field(f).column) for f in Spell._fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for spell in spells:
                    copy.write_row(spell)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(Spell._fields))})",
                               [tuple(spell) for spell in spells])


def replace_spells(member_ids, spells: list[Spell]) -> None:
    """Make ``spells`` the spells of ``member_ids`` (the caller holds their rows locked)."""
    member_ids = list(member_ids)
    if not member_ids:
        return
    RosterSpell.objects.filter(member_id__in=member_ids).delete()
    _write_spells(spells)
    left = set(member_ids) - {spell.member_id for spell in spells}
    if left:  # members left without spells (every event voided): their committees' counts change too
        generations.roster_changed(member_ids=left)
    hooks.spells_changed.send(member_ids=member_ids)  # e.g. the study read tallies follow the roster


def project_members(member_ids) -> None:
    """Rewrite the spells of ``member_ids`` from their events: called by every service that writes a
    flow event (or a correction) in the same transaction, after it locked the members' rows."""
    member_ids = list(member_ids)
    replace_spells(member_ids, computed_spells(member_ids))


def rebuild(*, committee_id=None, chunk: int = 5000) -> dict:
    """Recompute every spell (of one committee, or of all) from the events and repair the table where
    it differs. Members are taken in chunks of ``chunk``, each in its own transaction with the members'
    rows locked (as the flow services lock them), so memory stays bounded and no event recorded
    meanwhile is lost. Returns the counts the command prints."""
    members = Member.objects.order_by("pk")
    if committee_id is not None:
        members = members.filter(committee_id=committee_id)
    result = {"members": 0, "events": 0, "spells": 0, "repaired_members": 0}
    last = 0
    while True:
        with transaction.atomic():
            ids = list(members.filter(pk__gt=last).values_list("pk", flat=True)[:chunk])
            if not ids:
                break
            list(Member.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
            last = ids[-1]
            fresh = computed_spells(ids)
            stored = stored_spells(ids)
            if fresh != stored:
                by_member, now = defaultdict(list), defaultdict(list)
                for spell in fresh:
                    by_member[spell.member_id].append(spell)
                for spell in stored:
                    now[spell.member_id].append(spell)
                wrong = [pk for pk in ids if by_member.get(pk, []) != now.get(pk, [])]
                replace_spells(wrong, [s for pk in wrong for s in by_member.get(pk, [])])
                result["repaired_members"] += len(wrong)
            result["members"] += len(ids)
            result["events"] += FlowEvent.objects.filter(member_id__in=ids).count()
            result["spells"] += len(fresh)
    return result
