"""Reads of reflections, discussion notes and study content. Everything is scoped by the user.

Who sees which notes (心得体会 / 讨论记录) of an activity:
* staff (committee or branch roles) who can see the activity: its discussion notes, and the
  reflections of the members they may see (a branch secretary: their branch's members);
* a member: their own reflections, and the discussion notes of activities they attended as part of
  the audience (a walk-in from outside it, ``Attendance.walk_in``, sees none: a forwarded check-in
  link must not open the discussion notes).
Withdrawn notes and removed attachments are seen by nobody (the audit log keeps them).

Study items: a member sees the items whose audience includes them (not withdrawn); staff with
``study.readers`` see the items of their committee (branch roles: items for the whole committee or
for their branch and its party groups), withdrawn ones included, with read counts of the members
they may see.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from taizhang.activities.models import (
    Activity,
    ActivityNote,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    NoteAttachment,
    NoteKind,
    StudyItem,
    StudyRead,
    StudyReadTally,
)
from taizhang.activities.selectors import activity_queryset, activity_scope_q, is_invited
from taizhang.core import generations
from taizhang.core.permissions import (
    EDIT,
    VIEW,
    committee_ids_for,
    committee_wide,
    has_capability,
    is_member_login,
    is_staff,
    own_member,
    restrict,
    scope_q,
    user_scope,
)
from taizhang.members import audience
from taizhang.members.models import OPEN_END, ROSTER_STATUSES, Member, RosterSpell
from taizhang.organisation.models import Branch, Committee

# --- notes ------------------------------------------------------------------------------------------------


def note_scope_q(user) -> Q:
    q = Q(pk__in=[])
    if is_staff(user):
        visible = Activity.objects.filter(activity_scope_q(user, VIEW)).values("pk")
        people = scope_q(user, VIEW, committee="member__committee", branch="member__branch", member="member")
        q |= Q(activity_id__in=visible) & (Q(kind=NoteKind.DISCUSSION) | (Q(kind=NoteKind.REFLECTION) & people))
    if is_member_login(user):
        attended = Attendance.objects.filter(member__user=user, status=AttendanceStatus.PRESENT,
                                             walk_in=False).values("activity_id")
        q |= Q(kind=NoteKind.REFLECTION, member__user=user)
        q |= Q(kind=NoteKind.DISCUSSION, activity_id__in=attended)
    return q


def note_queryset(user):
    """The notes ``user`` may read, newest first, with author, member and activity."""
    return (
        ActivityNote.objects.filter(note_scope_q(user), withdrawn=False)
        .select_related("member", "member__branch", "written_by", "activity", "activity__activity_type")
    )


def with_attachments(notes) -> list:
    """The notes as a list, each with ``files``: its attachments not removed (one extra query)."""
    notes = list(notes)
    by_note: dict[int, list] = {n.pk: [] for n in notes}
    if notes:
        for attachment in NoteAttachment.objects.filter(note_id__in=by_note, removed=False).order_by("id"):
            by_note[attachment.note_id].append(attachment)
    for note in notes:
        note.files = by_note[note.pk]
    return notes


def note_get(user, pk) -> ActivityNote:
    note = note_queryset(user).filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def attachment_get(user, pk) -> NoteAttachment:
    attachment = (
        NoteAttachment.objects.filter(pk=pk, removed=False, note__in=note_queryset(user).values("pk"))
        .select_related("note")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def my_notes(user):
    """The user's own reflections and the notes they wrote, newest first."""
    return note_queryset(user).filter(Q(member__user=user) | Q(written_by=user))


def may_write_reflection(user, activity: Activity) -> Member | None:
    """The user's own member record if they may write a reflection on ``activity`` (not cancelled):
    they checked in or attended it (even before the official start), or they were invited and it has started."""
    if activity.cancelled:
        return None
    member = own_member(user, activity.committee_id)
    if member is None:
        return None
    if Attendance.objects.filter(activity=activity, member=member, status=AttendanceStatus.PRESENT).exists():
        return member
    if activity.starts_at <= timezone.now() and is_invited(activity, member, activity.date):
        return member
    return None


def may_write_discussion(user, activity: Activity) -> bool:
    """Staff who may manage the activity (the organiser's committee or branch staff) keep its 讨论记录."""
    if activity.cancelled:
        return False
    return activity_queryset(user, EDIT).filter(pk=activity.pk).exists()


# --- study items ----------------------------------------------------------------------------------------


def study_scope_q(user) -> Q:
    """Which study items ``user`` may see (withdrawn ones only as staff)."""
    q = Q(pk__in=[])
    if has_capability(user, "study.readers") or has_capability(user, "study.publish"):
        scope = user_scope(user, VIEW)
        if scope.committee_ids:
            q |= Q(committee_id__in=scope.committee_ids)
        if scope.branch_ids:
            q |= Q(audience_kind=AudienceKind.COMMITTEE, committee_id__in=committee_ids_for(user, VIEW))
            q |= audience.for_branches_q(StudyItem, scope.branch_ids)
    member = own_member(user)
    if member is not None:
        q |= Q(committee_id=member.committee_id, withdrawn=False) & audience.for_member_q(StudyItem, member)
    return q


def study_queryset(user):
    return StudyItem.objects.filter(study_scope_q(user)).select_related(
        "audience_branch", "audience_group", "published_by"
    )


def study_get(user, pk) -> StudyItem:
    item = study_queryset(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def member_study_items(user, member: Member):
    """The items for ``member``, unread first, newest first, each with ``is_read``."""
    read = StudyRead.objects.filter(item=OuterRef("pk"), member=member)
    return (
        study_queryset(user).filter(withdrawn=False)
        .annotate(is_read=Exists(read))
        .order_by("is_read", "-published_at", "-id")
    )


def publish_committees(user):
    """The committees in which ``user`` may publish study items."""
    return [c for c in Committee.objects.order_by("pk") if has_capability(user, "study.publish", c)]


def may_publish(user, item_or_committee) -> bool:
    committee_id = getattr(item_or_committee, "committee_id", None) or getattr(item_or_committee, "pk", None)
    return has_capability(user, "study.publish", committee_id)


def study_audience_members(item: StudyItem, user=None):
    """The members on the roster today whose audience the item is for (应读); with ``user``, only the
    members that user may see (``members.audience.members_on``)."""
    return audience.members_on(item, user=user)


def in_study_audience(item: StudyItem, member: Member) -> bool:
    return study_audience_members(item).filter(pk=member.pk).exists()


def _in_audience(item: StudyItem, committee_id, branch_id, group_id) -> bool:
    """Whether a member of ``committee_id`` in ``branch_id`` and ``group_id`` is in ``item``'s audience (the
    one rule in ``members.audience``)."""
    key = audience.audience_key(item, item.audience_group.branch_id if item.audience_group_id else None)
    return key in audience.member_keys(committee_id, branch_id, group_id, None)


def _spells_today(committee_ids, user):
    """The roster spells covering today of the members of ``committee_ids`` that ``user`` may see."""
    today = timezone.localdate()
    spells = RosterSpell.objects.filter(committee_id__in=sorted(committee_ids), status__in=ROSTER_STATUSES,
                                        valid_from__lte=today, valid_to__gt=today)
    if not all(committee_wide(user, c, VIEW) for c in committee_ids):
        visible = restrict(Member.objects.filter(committee_id__in=committee_ids), user, VIEW)
        spells = spells.filter(member_id__in=visible.order_by().values("pk"))
    return spells


def study_read_counts(items, user) -> dict:
    """{item pk: (read, expected)} counting the members ``user`` may see; two grouped queries over today's
    roster spells for any number of items, whose rows are (committee, branch, party group) counts, so
    neither the work in Python nor what comes back grows with the number of members."""
    items = list(items)
    if not items:
        return {}
    spells = _spells_today({i.committee_id for i in items}, user).order_by()
    on_roster = spells.values_list("committee_id", "branch_id", "member__party_group_id").annotate(n=Count("pk"))
    reads = (spells.filter(member__study_reads__item_id__in=[i.pk for i in items])
             .values_list("member__study_reads__item_id", "committee_id", "branch_id", "member__party_group_id")
             .annotate(n=Count("pk")))
    on_roster, reads = list(on_roster), list(reads)
    counts = {}
    for item in items:
        expected = sum(n for c, b, g, n in on_roster if _in_audience(item, c, b, g))
        read = sum(n for i, c, b, g, n in reads if i == item.pk and _in_audience(item, c, b, g))
        counts[item.pk] = (read, expected)
    return counts


def _read_q(item: StudyItem, *, member: str = "pk"):
    """Whether the row's member (the field ``member``) has read ``item``: membership in the item's readers, one
    uncorrelated subquery the database hashes once (PostgreSQL's hashed SubPlan), where an EXISTS per row
    probed the reads' index once for each of the audience's members."""
    readers = StudyRead.objects.filter(item=item).values("member_id")
    return ExpressionWrapper(Q(**{f"{member}__in": readers}), output_field=BooleanField())


def study_readers(item: StudyItem, user):
    """The audience members the user may see (a queryset, to page or to stream to the exporter), each with
    ``read_at`` (None: not read) and ``is_read``; not read first, then by branch and name. ``has_read`` (an
    alias, not selected) asks the same per member (EXISTS): what a filter that stops at a page uses, an
    anti-join probing the reads' (item, member) index for the rows it reads instead of hashing every read of
    the item (``is_read``'s way, right for the whole list)."""
    reads = StudyRead.objects.filter(item=item, member=OuterRef("pk"))
    return (
        study_audience_members(item, user)
        .annotate(is_read=_read_q(item), read_at=Subquery(reads.values("read_at")[:1]))
        .alias(has_read=Exists(reads))
        .select_related("branch", "party_group")
        .order_by("is_read", "branch__sort_order", "name_pinyin", "id")
    )


@dataclass
class ReaderTotals:
    """Audience / read / not read of one branch (``branch_id`` None: all branches together)."""

    branch_id: int | None
    name: str
    audience: int = 0
    read: int = 0
    sort_order: int = 0  # the branch's

    @property
    def not_read(self) -> int:
        return self.audience - self.read

    @property
    def rate_percent(self) -> int | None:
        return round(self.read * 100 / self.audience) if self.audience else None


def roster_by_branch_today(committee_id) -> dict:
    """{branch id: members on the roster today} of a committee, from the open roster spells (an index-only
    count), cached under the committee's roster generation (``core.generations``, renewed by ``members.generations.roster_changed``: every write that changes
    the spells gives it a new one in its transaction)."""
    today = timezone.localdate()

    def compute():
        return dict(RosterSpell.objects.filter(committee_id=committee_id, valid_to=OPEN_END,
                                               status__in=ROSTER_STATUSES)
                    .order_by().values_list("branch_id").annotate(n=Count("*")))  # COUNT(*): index-only

    return generations.cached("roster-by-branch", [today.isoformat()], [committee_id], compute)


def _tallied_branches(item: StudyItem, user) -> list | None:
    """The branches whose members ``user`` sees all of, for ``item``'s totals from the tallies, or None when
    the totals must be counted (a party-group audience, or a scope that is not whole branches: a member's own
    login outside the branches of their role)."""
    if item.audience_kind not in (AudienceKind.COMMITTEE, AudienceKind.BRANCH):
        return None
    scope = user_scope(user, VIEW)
    branches = Branch.objects.filter(committee_id=item.committee_id)
    if item.committee_id not in scope.committee_ids:
        if scope.self_member:
            own = own_member(user, item.committee_id)
            if own is not None and own.branch_id not in scope.branch_ids:
                return None
        branches = branches.filter(pk__in=sorted(scope.branch_ids))
    if item.audience_kind == AudienceKind.BRANCH:
        branches = branches.filter(pk=item.audience_branch_id)
    tally = StudyReadTally.objects.filter(item=item, branch=OuterRef("pk")).values("read")[:1]
    return list(branches.annotate(n_read=Coalesce(Subquery(tally), 0)).order_by("sort_order", "id")
                .values_list("pk", "name", "sort_order", "n_read"))


def study_reader_totals(item: StudyItem, user) -> tuple[ReaderTotals, list[ReaderTotals]]:
    """(all, per branch in the branches' order): who should read the item (the members on the roster today
    in its audience that ``user`` may see) and how many of them read it.

    For the whole committee or one branch, with a scope of whole branches (a committee-wide role, a branch
    role), read from two projections: the roster per branch today (``roster_by_branch_today``) and the read
    tallies (``StudyReadTally``, ``activities.study_tallies``): a few rows, whatever the size of the audience.
    Otherwise one SQL aggregate over the roster spells of the audience today (``members.audience.spells_on``).
    """
    tallied = _tallied_branches(item, user)
    if tallied is not None:
        on_roster = roster_by_branch_today(item.committee_id)
        branches = [ReaderTotals(pk, name, on_roster[pk], n_read, sort_order)
                    for pk, name, sort_order, n_read in tallied if on_roster.get(pk)]
        total = ReaderTotals(None, "", sum(b.audience for b in branches), sum(b.read for b in branches))
        return total, branches
    return counted_reader_totals(item, user)


def counted_reader_totals(item: StudyItem, user) -> tuple[ReaderTotals, list[ReaderTotals]]:
    """``study_reader_totals`` counted from the roster spells and the reads (any audience, any scope)."""
    spells = audience.spells_on(item, user=user)
    rows = (spells.order_by().values("branch_id", "branch__name", "branch__sort_order")
            .annotate(audience=Count("pk"), read=Count("pk", filter=_read_q(item, member="member_id")))
            .order_by("branch__sort_order", "branch_id"))
    branches = [ReaderTotals(r["branch_id"], r["branch__name"], r["audience"], r["read"], r["branch__sort_order"])
                for r in rows]
    total = ReaderTotals(None, "", sum(b.audience for b in branches), sum(b.read for b in branches))
    return total, branches


# --- the home page card -----------------------------------------------------------------------------------


def home_panel(*, user):
    """The study card on the home page: unread items for members, links for publishers, readers and
    activity managers (recurring plans). Hidden from users with none of these. Three queries at most."""
    member = own_member(user)
    readers = has_capability(user, "study.readers")
    publisher = has_capability(user, "study.publish")
    planner = has_capability(user, "activities.manage")
    if member is None and not (readers or publisher or planner):
        return None
    unread = None
    published = None
    if member is not None:
        counts = member_study_items(user, member).order_by().aggregate(
            published=Count("pk"), unread=Count("pk", filter=Q(is_read=False)))
        published, unread = counts["published"], counts["unread"]
    return {"member": member, "unread": unread, "published": published, "readers": readers or publisher,
            "publisher": publisher, "planner": planner}
