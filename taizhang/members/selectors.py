"""Reads of the member ledger. Everything that returns people goes through ``restrict``."""

import datetime
import re
from collections import Counter

from django.conf import settings
from django.db.models import Count, F, FilteredRelation, Q, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.audit import audit_log
from taizhang.core.chinese import to_halfwidth
from taizhang.core.permissions import VIEW, restrict
from taizhang.members.models import ROSTER_STATUSES, Category, EventKind, FlowEvent, Member, Status
from taizhang.organisation.models import Branch


def annotate_status(queryset, day: datetime.date | None = None):
    """Add ``status`` (and ``branch_on``) as of ``day`` from the flow history ("" and None before the
    member's first event).

    Today's state (``day`` None) is read through ``Member.current_event`` (a join); a past date joins
    the member's roster spell covering that day (``RosterSpell``, the projection of the events: at most
    one spell covers a day), so counts and lists on any day are one plain join, not a subquery per row.
    """
    if day is None:
        return queryset.annotate(
            status=Coalesce(F("current_event__status_after"), Value("")),
            branch_on=F("current_event__branch_after"),
        )
    return queryset.annotate(
        spell_on=FilteredRelation(
            "roster_spells",
            # the committee too, so the committee's index on the spells serves any number of committees
            condition=Q(roster_spells__committee_id=F("committee_id"), roster_spells__valid_from__lte=day,
                        roster_spells__valid_to__gt=day),
        ),
        status=Coalesce(F("spell_on__status"), Value("")),
        branch_on=F("spell_on__branch"),
    )


def member_queryset(user, purpose: str = VIEW):
    """The members ``user`` may see (or change), with current status, ready for lists and pages."""
    qs = restrict(Member.objects.all(), user, purpose)
    return annotate_status(qs).select_related("branch", "district")


def member_get(user, pk, purpose: str = VIEW, *, request=None) -> Member:
    """One member if ``user`` may see it; otherwise 404, and the denial is logged."""
    member = member_queryset(user, purpose).filter(pk=pk).first()
    if member is None:
        if Member.objects.filter(pk=pk).exists():
            audit_log(
                actor=user,
                action="member.access_denied",
                object_type="members.member",
                object_id=str(pk),
                success=False,
                message=purpose,
                ip_address=request.META.get("REMOTE_ADDR") if request else None,
            )
        raise Http404
    return member


def years_ago(years: int, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


AGE_BANDS = {
    "under35": (None, 35),
    "35-44": (35, 45),
    "45-59": (45, 60),
    "60plus": (60, None),
    "70plus": (70, None),
}


def filter_age_band(queryset, band: str, today: datetime.date | None = None):
    """Members whose age is in [low, high) today, expressed as birth-date bounds (index-friendly)."""
    low, high = AGE_BANDS[band]
    if band == "60plus":
        low = settings.ELDERLY_AGE
    if low is not None:
        queryset = queryset.filter(birth_date__lte=years_ago(low, today))
    if high is not None:
        queryset = queryset.filter(birth_date__gt=years_ago(high, today))
    return queryset


def search_members(queryset, text: str):
    """Name, pinyin (full or initials), phone, or the last four characters of the ID number."""
    text = re.sub(r"\s+", "", to_halfwidth(text)).lower()
    if not text:
        return queryset
    if re.fullmatch(r"[a-z]+", text):
        # Latin letters are pinyin: prefix searches that the pattern indexes on these columns serve.
        q = Q(name_pinyin__startswith=text) | Q(name_initials__startswith=text)
    else:
        q = Q(name__icontains=text)
    digits = text.replace("-", "").removeprefix("+86")
    if re.fullmatch(r"[\dx]{4}", digits):
        q |= Q(id_number_last4=digits.upper()) | Q(phone_last4=digits)
    if re.fullmatch(r"1\d{10}", digits):
        q |= Q(phone_hash=crypto.blind_index(digits))
    if re.fullmatch(r"\d{17}[\dx]", digits):
        q |= Q(id_number_hash=crypto.blind_index(digits.upper()))
    return queryset.filter(q)


def roster_counts(user=None, day: datetime.date | None = None, *, committee=None) -> dict:
    """Roster counts on ``day`` from the flow events: total, by branch, by category, by status.

    With ``user`` the counts are limited to what the user may see; without (commands run by the
    operator) they cover ``committee`` or every committee.
    """
    qs = Member.objects.all()
    if user is not None:
        qs = restrict(qs, user)
    if committee is not None:
        qs = qs.filter(committee=committee)
    today = timezone.localdate()
    qs = annotate_status(qs, None if day is None or day >= today else day).filter(status__in=ROSTER_STATUSES)
    day = day or today
    # One grouped pass (at most branches × categories × statuses rows), summed three ways here.
    by_branch, by_category, by_status = Counter(), Counter(), Counter()
    rows = qs.order_by().values("branch_on", "category", "status").annotate(n=Count("pk"))
    for row in rows.values_list("branch_on", "category", "status", "n"):
        branch_id, category, status, n = row
        by_branch[branch_id] += n
        by_category[category] += n
        by_status[status] += n
    branches = {b.pk: b.name for b in Branch.objects.filter(pk__in=by_branch)}
    return {
        "as_of": day.isoformat(),
        "total": sum(by_status.values()),
        "by_branch": {branches[pk]: n for pk, n in sorted(by_branch.items())},
        "by_category": {str(Category(c).label): n for c, n in by_category.most_common()},
        "by_status": {str(Status(s).label): n for s, n in by_status.most_common()},
        "status_codes": dict(by_status),  # the same counts keyed by status code, for pages
    }


CONTACT_WARNING_MONTHS = 5  # DOMAIN_RULES.md: warn at 5 months without contact, lost at 6


def contact_overdue(user, months: int = CONTACT_WARNING_MONTHS, today: datetime.date | None = None):
    """Members on the roster (not already lost) with no contact for ``months`` months or more."""
    return filter_contact_overdue(member_queryset(user), months, today)


def filter_contact_overdue(queryset, months: int = CONTACT_WARNING_MONTHS, today: datetime.date | None = None):
    """Narrow a ``member_queryset`` to roster members (not already lost) without contact for ``months``."""
    today = today or timezone.localdate()
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    try:
        limit = today.replace(year=year, month=month)
    except ValueError:
        limit = today.replace(year=year, month=month, day=28)
    return (
        queryset.filter(status__in=[s for s in ROSTER_STATUSES if s != Status.LOST])
        .filter(Q(last_contact_date__lte=limit) | Q(last_contact_date__isnull=True))
    )


def recent_events(user, limit: int = 10):
    events = restrict(FlowEvent.objects.all(), user, committee="member__committee", branch="member__branch", member="member")
    return events.select_related("member", "recorded_by", "branch_after").order_by("-recorded_at", "-id")[:limit]


def party_standing(timeline) -> str:
    """Party standing (党籍状态) from the effective suspended/restored events: normal, suspended, restored."""
    standing = _("Normal")
    for event in reversed(timeline):  # oldest first
        if event.is_voided or event.kind == EventKind.CORRECTION:
            continue
        if event.kind == EventKind.SUSPENDED:
            standing = _("Suspended")
        elif event.kind == EventKind.RESTORED:
            standing = _("Restored")
    return standing


def member_timeline(member: Member):
    """The member's events, newest first, with what each correction voided."""
    events = list(
        member.events.select_related("recorded_by", "branch_after", "from_branch", "corrects").order_by("-effective_date", "-id")
    )
    voided = {e.corrects_id for e in events if e.corrects_id}
    for event in events:
        event.is_voided = event.pk in voided
    return events
