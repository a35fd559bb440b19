"""The study read tallies (``models.StudyReadTally``): per study item and branch, how many members on the roster
today in that branch have read the item, so that the not-read list's totals (``content_selectors.
study_reader_totals``) read a few rows instead of counting an audience of 200,000 members against the reads.

The rule, one reading everywhere: a read is counted in the branch of its member's open roster spell
(``RosterSpell.valid_to`` = ``OPEN_END``) when that spell's status is on the roster (``ROSTER_STATUSES``), and
in no branch otherwise; the read row keeps where it is counted (``StudyRead.counted_branch``) so that a change
of the roster moves exactly the reads it concerns. (Today's roster is the open spells: flow events are never
dated after today, so the open spell is the one valid today — ``members.selectors._spells_on`` reads it so too.)

Writers, each in its caller's transaction:
* ``read_added`` — ``content_services.study_item_mark_read``, for the new read;
* ``follow_roster`` — listens to ``members.hooks.spells_changed``: the roster projection rewrote some members'
  spells (a flow event, a correction, a rebuild), so their reads may count in another branch or in none;
* ``rebuild`` — ``manage.py rebuild_projections`` (``members.hooks.projection_rebuild``): recompute from the
  reads and the spells, repair what differs.
"""

from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext

from taizhang.activities.models import StudyRead, StudyReadTally
from taizhang.members.models import OPEN_END, ROSTER_STATUSES, Member, RosterSpell


def counting_branches(member_ids) -> dict:
    """{member id: the branch their reads count in} for the members of ``member_ids`` on the roster today."""
    if not isinstance(member_ids, QuerySet):
        member_ids = list(member_ids)
    return dict(RosterSpell.objects.filter(member_id__in=member_ids, valid_to=OPEN_END,
                                           status__in=ROSTER_STATUSES).values_list("member_id", "branch_id"))


def _apply(deltas: Counter) -> None:
    """Add ``deltas`` ({(item id, branch id): change}) to the tallies: the missing rows first, then one update
    per row that changes (adding in the database, so concurrent writers add up)."""
    deltas = {key: d for key, d in deltas.items() if d}
    if not deltas:
        return
    StudyReadTally.objects.bulk_create([StudyReadTally(item_id=i, branch_id=b) for i, b in sorted(deltas)],
                                       ignore_conflicts=True)
    for (item_id, branch_id), d in sorted(deltas.items()):
        StudyReadTally.objects.filter(item_id=item_id, branch_id=branch_id).update(read=F("read") + d)


def read_added(read: StudyRead) -> None:
    """Count the new ``read`` (just created, not counted yet) in its member's branch, if on the roster. Locks
    the member's row first, as the flow services do before they rewrite the spells, so the spell read here
    is the one a concurrent flow event leaves (or that event's ``follow_roster`` sees this read)."""
    list(Member.objects.select_for_update().filter(pk=read.member_id).values_list("pk", flat=True))
    branch_id = counting_branches([read.member_id]).get(read.member_id)
    if branch_id is None:
        return
    StudyRead.objects.filter(pk=read.pk).update(counted_branch_id=branch_id)
    read.counted_branch_id = branch_id
    _apply(Counter({(read.item_id, branch_id): 1}))


def follow_roster(*, member_ids) -> None:
    """The roster spells of ``member_ids`` were rewritten: count their reads where the new spells say (one
    query when none of them has read anything)."""
    reads = list(StudyRead.objects.filter(member_id__in=list(member_ids)).order_by()
                 .values_list("pk", "item_id", "member_id", "counted_branch_id"))
    if not reads:
        return
    now = counting_branches({member_id for _pk, _item, member_id, _b in reads})
    deltas, moved = Counter(), defaultdict(list)
    for pk, item_id, member_id, counted in reads:
        branch_id = now.get(member_id)
        if branch_id == counted:
            continue
        if counted is not None:
            deltas[(item_id, counted)] -= 1
        if branch_id is not None:
            deltas[(item_id, branch_id)] += 1
        moved[branch_id].append(pk)
    for branch_id, pks in moved.items():
        StudyRead.objects.filter(pk__in=pks).update(counted_branch_id=branch_id)
    _apply(deltas)


def _reads(committee_id=None):
    reads = StudyRead.objects.all()
    return reads if committee_id is None else reads.filter(item__committee_id=committee_id)


def _tallies(committee_id=None):
    tallies = StudyReadTally.objects.all()
    return tallies if committee_id is None else tallies.filter(item__committee_id=committee_id)


def computed_tallies(*, committee_id=None) -> dict:
    """{(item id, branch id): members who read} recomputed from the reads and the open roster spells (of one
    committee's items, or of all): the rule, read independently of ``StudyRead.counted_branch``."""
    rows = (_reads(committee_id).filter(member__roster_spells__valid_to=OPEN_END,
                                        member__roster_spells__status__in=ROSTER_STATUSES)
            .order_by().values_list("item_id", "member__roster_spells__branch_id").annotate(n=Count("pk")))
    return {(item_id, branch_id): n for item_id, branch_id, n in rows}


def stored_tallies(*, committee_id=None) -> dict:
    """{(item id, branch id): members who read} as the table holds them (rows of 0 left out)."""
    rows = _tallies(committee_id).exclude(read=0)
    return {(i, b): n for i, b, n in rows.values_list("item_id", "branch_id", "read")}


def wrongly_counted(*, committee_id=None) -> dict:
    """{the branch a read should count in (None: none): [read ids]} of the reads whose ``counted_branch``
    disagrees with the rule."""
    reads = _reads(committee_id)
    now = counting_branches(reads.order_by().values("member_id"))  # one query, with or without reads
    wrong = defaultdict(list)
    for pk, member_id, counted in reads.order_by().values_list("pk", "member_id", "counted_branch_id").iterator(
            chunk_size=CHUNK):
        if now.get(member_id) != counted:
            wrong[now.get(member_id)].append(pk)
    return wrong


CHUNK = 5000


def rebuild(*, committee_id=None) -> dict:
    """Recompute where each read counts and the tallies (of one committee's items, or of all) and repair what
    differs, in one transaction that first locks the tally rows (a read or a flow event recorded meanwhile
    waits for it). Running it on a consistent database changes nothing. Returns {"reads", "repaired_reads",
    "tallies", "repaired_tallies"}."""
    with transaction.atomic():
        list(_tallies(committee_id).select_for_update().values_list("pk", flat=True))
        wrong = wrongly_counted(committee_id=committee_id)
        for branch_id, pks in wrong.items():
            for start in range(0, len(pks), CHUNK):
                StudyRead.objects.filter(pk__in=pks[start:start + CHUNK]).update(counted_branch_id=branch_id)
        computed, stored = computed_tallies(committee_id=committee_id), stored_tallies(committee_id=committee_id)
        differ = {key: computed.get(key, 0) - stored.get(key, 0) for key in computed.keys() | stored.keys()}
        differ = {key: d for key, d in differ.items() if d}
        _apply(Counter(differ))
        return {"reads": _reads(committee_id).count(), "repaired_reads": sum(len(p) for p in wrong.values()),
                "tallies": len(computed), "repaired_tallies": len(differ)}


def rebuild_answer(*, committee_id) -> dict:
    """``members.hooks.projection_rebuild``'s listener: ``rebuild`` and the sentence the command prints."""
    counts = rebuild(committee_id=committee_id)
    text = gettext(
        "Study read tallies rebuilt from the reads and the roster: %(reads)d reads and %(tallies)d tallies "
        "checked; %(repaired_reads)d reads and %(repaired_tallies)d tallies did not match and were repaired."
    ) % counts
    return {"text": text, "counts": counts}
