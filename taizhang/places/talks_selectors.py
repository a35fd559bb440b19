"""Reads of the talks area (谈心谈话).

Two questions, each answered in one place:

* who sees THAT a talk took place (date, kind, place, who talked with whom, follow-up date):
  ``visible_talks`` — the talks with a member the user may edit (the committee secretary: all of the
  committee; a branch secretary: their branch), the talks the user held, and the talks whose content
  the user may read;
* who reads its CONTENT (topics, what was said, what was agreed): ``may_read_content`` for one talk and
  ``content_readable`` for a queryset — the talkers, the committee secretary (capability
  ``talks.read_all``) and the users the committee names (``TalkReader``). Nobody else: not a branch
  secretary who did not hold the talk, not the study member, not the admin posts (三员), and not the
  member talked with — a talk record is the organisation's working note (a 提醒谈话 or 批评教育 above
  all); the member was there and knows what was agreed. The committee may name a member as a reader.

The content itself is only decrypted by ``talks_services.talk_read_content``, which audits the read.
"""

import datetime

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from taizhang.core.permissions import (
    EDIT,
    VIEW,
    capability_committee_ids,
    has_capability,
    home_committee,
    restrict,
)
from taizhang.members.models import Member
from taizhang.members.selectors import roster_on
from taizhang.organisation.models import Branch
from taizhang.places.models.talks import DEFAULT_TARGET, Talk, TalkReader, TalkSettings

FOLLOW_UP_AHEAD_DAYS = 7  # a follow-up is "due" from this many days before its date on
TalkMember = Talk.members.through
TalkTalker = Talk.talkers.through


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.pk)


# --- who reads the content ------------------------------------------------------------------------------------


def may_read_content(user, talk) -> bool:
    """THE rule: may ``user`` read the content of ``talk``? The talkers, the committee secretary and the
    committee's named readers (see the module docstring). ``content_readable`` is the same rule for a
    queryset (a test proves they agree for every role)."""
    if not _active(user):
        return False
    if has_capability(user, "talks.read_all", talk.committee_id):
        return True
    if TalkTalker.objects.filter(talk_id=talk.pk, user_id=user.pk).exists():
        return True
    return TalkReader.objects.filter(committee_id=talk.committee_id, user_id=user.pk).exists()


def content_readable_q(user) -> Q:
    """``may_read_content`` as a Q over talks."""
    if not _active(user):
        return Q(pk__in=[])
    return (Q(committee_id__in=capability_committee_ids(user, "talks.read_all"))
            | Q(pk__in=TalkTalker.objects.filter(user_id=user.pk).values("talk_id"))
            | Q(committee_id__in=TalkReader.objects.filter(user_id=user.pk).values("committee_id")))


def content_readable(queryset, user):
    """The talks of ``queryset`` whose content ``user`` may read."""
    return queryset.filter(content_readable_q(user))


def reader_committee(user):
    """The (first) committee that names the user a reader of its talks, or None."""
    if not _active(user):
        return None
    reader = TalkReader.objects.filter(user_id=user.pk).select_related("committee").order_by("id").first()
    return reader.committee if reader else None


def is_named_reader(user, committee) -> bool:
    return _active(user) and TalkReader.objects.filter(committee=committee, user_id=user.pk).exists()


# --- who sees that a talk took place ----------------------------------------------------------------------------


def may_use_talks(user, committee) -> bool:
    """May the user open the talks pages of ``committee``: staff with ``talks.manage`` or a named reader."""
    return committee is not None and (has_capability(user, "talks.manage", committee.pk)
                                      or is_named_reader(user, committee))


def may_record(user, committee) -> bool:
    return committee is not None and has_capability(user, "talks.manage", committee.pk)


def visible_talks(user, *, committee=None):
    """The talks the user sees took place (see the module docstring), newest first."""
    if not _active(user):
        return Talk.objects.none()
    in_scope = TalkMember.objects.filter(member__in=restrict(Member.objects.all(), user, EDIT)).values("talk_id")
    qs = Talk.objects.filter(Q(pk__in=in_scope) | content_readable_q(user))
    if committee is not None:
        qs = qs.filter(committee=committee)
    return qs.order_by("-held_on", "-id")


def talk_get(user, pk):
    """One talk the user sees took place, with its members and talkers; None otherwise."""
    return (with_people(visible_talks(user), user).select_related("committee", "recorded_by")
            .filter(pk=pk).first())


def with_people(queryset, user):
    """Prefetch the talkers and, of the members talked with, those the viewer may see (a talk with members
    of two branches does not name the other branch's member to a branch secretary)."""
    members = restrict(Member.objects.all(), user, VIEW).select_related("branch").order_by("name_pinyin", "id")
    return queryset.prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"),
                                     "talkers").annotate(members_n=Count("members", distinct=True))


def readable_ids(user, talks) -> set:
    """Of these (already fetched) talks, the ids whose content the user may read: one query."""
    ids = [t.pk for t in talks]
    if not ids:
        return set()
    return set(content_readable(Talk.objects.filter(pk__in=ids), user).values_list("pk", flat=True))


# --- the yearly overview ------------------------------------------------------------------------------------------


def target_per_year(committee) -> int:
    """The committee's own target (talks per member and year): its ``TalkSettings``, else DEFAULT_TARGET."""
    value = TalkSettings.objects.filter(committee=committee).values_list("target_per_year", flat=True).first()
    return value or DEFAULT_TARGET


def _roster_day(year: int) -> datetime.date:
    today = timezone.localdate()
    return today if year >= today.year else datetime.date(year, 12, 31)


def roster_with_talks(user, committee, year: int):
    """The members on the roster (today, or on 31 December of a past year: the roster spells) whom the user
    may edit, each with ``talks_n``, the number of talks with them in ``year``."""
    counts = (TalkMember.objects.filter(member_id=OuterRef("pk"), talk__committee_id=committee.pk,
                                        talk__held_on__year=year)
              .order_by().values("member_id").annotate(n=Count("pk")).values("n"))
    qs = restrict(roster_on(None, _roster_day(year), committee=committee), user, EDIT)
    return qs.annotate(talks_n=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))


def overview(user, committee, year: int) -> dict:
    """Per branch: members on the roster, how many were talked with at least ``target`` times in ``year``,
    and the totals. Two queries whatever the size of the committee."""
    target = target_per_year(committee)
    qs = roster_with_talks(user, committee, year)
    rows = (qs.order_by().values("branch_on")
            .annotate(on_roster=Count("pk"), talked=Count("pk", filter=Q(talks_n__gte=target))))
    by_branch = {r["branch_on"]: r for r in rows}
    branches = Branch.objects.filter(pk__in=by_branch).order_by("sort_order", "id")
    lines = [{"branch": b, "on_roster": by_branch[b.pk]["on_roster"], "talked": by_branch[b.pk]["talked"],
              "not_yet": by_branch[b.pk]["on_roster"] - by_branch[b.pk]["talked"]} for b in branches]
    total = sum(line["on_roster"] for line in lines)
    talked = sum(line["talked"] for line in lines)
    return {"year": year, "target": target, "lines": lines, "on_roster": total, "talked": talked,
            "not_yet": total - talked, "percent": round(100 * talked / total) if total else 0}


def not_yet_talked(user, committee, year: int, *, branch=None, target: int | None = None):
    """The members on the roster the user may edit who were talked with fewer than the target times in
    ``year`` (an SQL queryset, to be paged); ``target``: the committee's, when the caller has read it already."""
    target = target if target is not None else target_per_year(committee)
    qs = roster_with_talks(user, committee, year).filter(talks_n__lt=target)
    if branch is not None:
        qs = qs.filter(branch_on=branch.pk)
    return qs.order_by("branch__sort_order", "name_pinyin", "id")


# --- follow-ups ---------------------------------------------------------------------------------------------------


def follow_ups_due(user, *, committee=None, today=None):
    """The talks the user held whose follow-up is not done and falls within FOLLOW_UP_AHEAD_DAYS (or is
    past), earliest first."""
    today = today or timezone.localdate()
    if not _active(user):
        return Talk.objects.none()
    qs = Talk.objects.filter(pk__in=TalkTalker.objects.filter(user_id=user.pk).values("talk_id"),
                             follow_up_done_on__isnull=True,
                             follow_up_on__lte=today + datetime.timedelta(days=FOLLOW_UP_AHEAD_DAYS))
    if committee is not None:
        qs = qs.filter(committee=committee)
    return qs.order_by("follow_up_on", "id")


def home_panel(*, user):
    """The talks card for those who hold talks: follow-ups due and this year's progress in their scope.
    A fixed number of queries; None for anyone who does not use the talks pages (answered from the cached
    roles, before the home committee's query: this runs on every home page)."""
    if not capability_committee_ids(user, "talks.manage"):
        return None
    committee = home_committee(user)
    if not may_record(user, committee):
        return None
    today = timezone.localdate()
    counts = follow_ups_due(user, committee=committee, today=today).aggregate(
        due=Count("pk"), overdue=Count("pk", filter=Q(follow_up_on__lt=today)))
    return {**counts, "this_year": visible_talks(user, committee=committee).filter(held_on__year=today.year).count()}


# --- counts for places_summary -------------------------------------------------------------------------------------


def summary_counts(committee) -> dict:
    """This area's part of ``places_summary``: counts only, never content."""
    year = timezone.localdate().year
    return {"talks_this_year": Talk.objects.filter(committee=committee, held_on__year=year).count()}
