"""Reads of the member ledger. Everything that returns people goes through ``restrict``."""

import datetime
import re
from collections import Counter

from django.conf import settings
from django.db import connections
from django.db.models import Count, F, FilteredRelation, Func, Prefetch, Q, TextField, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import crypto, generations
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.chinese import to_halfwidth
from taizhang.core.permissions import EDIT, VIEW, allows, committee_ids_for, restrict, user_scope
from taizhang.members.models import (
    OPEN_END,
    ROSTER_STATUSES,
    BehaviourNote,
    Category,
    ChangeRequest,
    ChangeRequestStatus,
    EventKind,
    FlowEvent,
    Household,
    Member,
    RosterSpell,
    Status,
)
from taizhang.organisation.models import Branch


def annotate_status(queryset, day: datetime.date | None = None):
    """Add ``status`` (and ``branch_on``) as of ``day`` from the flow history ("" and None before the
    member's first event).

    Today's state (``day`` None, today or later) is read through ``Member.current_event`` (a join); a past date joins
    the member's roster spell covering that day (``RosterSpell``, the projection of the events: at most
    one spell covers a day), so counts and lists on any day are one plain join, not a subquery per row. It also adds
    ``branch_on_name``, the name of the branch the member belonged to that day (see ``branch_name_on``).
    """
    if day is None or day >= timezone.localdate():
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
        branch_on_name=F("spell_on__branch__name"),
    )


def branch_name_on(member) -> str:
    """The name of the member's branch on the day their queryset was annotated for (today by default)."""
    return getattr(member, "branch_on_name", None) or member.branch.name


def member_queryset(user, purpose: str = VIEW, *, day: datetime.date | None = None):
    """The members ``user`` may see (or change), ready for lists and pages.

    ``status`` and ``branch_on`` (see ``annotate_status``) are today's, or those of ``day`` when a past
    date is given (the members themselves are everyone in scope: filter ``status`` for the roster).
    """
    qs = restrict(Member.objects.all(), user, purpose)
    return annotate_status(qs, day).select_related("branch", "district")


def restrict_members(user, purpose: str = VIEW):
    """The members ``user`` may see (or change), bare: no status, no joins (for counting)."""
    return restrict(Member.objects.all(), user, purpose)


def roster_on(user=None, day: datetime.date | None = None, *, committee=None):
    """The members on the roster on ``day`` (today when None), as counted by ``roster_counts``.

    Each carries ``status``, ``branch_on`` and (for a past day) ``branch_on_name`` as they stood that day
    (read them with ``branch_name_on``). With ``user`` only what that user may see; without (commands run
    by the operator) ``committee`` or every committee.
    """
    qs = Member.objects.all()
    if user is not None:
        qs = restrict(qs, user)
    if committee is not None:
        qs = qs.filter(committee=committee)
    qs = annotate_status(qs, day)
    return qs.filter(status__in=ROSTER_STATUSES).select_related("branch")


def member_get(user, pk, purpose: str = VIEW, *, request=None) -> Member:
    """One member if ``user`` may see it; otherwise 404, and the denial is logged."""
    member = member_queryset(user, purpose).select_related("party_group").filter(pk=pk).first()
    if member is None:
        if Member.objects.filter(pk=pk).exists():
            audit_log(
                actor=user,
                action="member.access_denied",
                object_type="members.member",
                object_id=str(pk),
                success=False,
                message=purpose,
                ip_address=client_ip(request),
            )
        raise Http404
    return member


def member_household(user, member: Member):
    """``member``'s household for ``user``: ``(label, housemates)``, both limited to the people ``user`` may
    see (a household shared with another branch never shows that branch's people); ``(None, [])`` if none."""
    if not member.household_id:
        return None, []
    household = with_visible_members(Household.objects.filter(pk=member.household_id), user).first()
    return household_label(household), [m for m in household.visible_members if m.pk != member.pk]


def household_queryset(user, purpose: str = VIEW, *, committee=None):
    """The households ``user`` may see (or choose, with EDIT): committee-wide roles every household of their
    committee; branch roles those with at least one member of their branch (households are named after
    people, so another branch's households are not offered). Ready for ``household_label``."""
    qs = Household.objects.all()
    if committee is not None:
        qs = qs.filter(committee=committee)
    qs = restrict(qs, user, purpose, committee="committee", branch="members__branch", member="members")
    return with_visible_members(Household.objects.filter(pk__in=qs.values("pk")), user)


def with_visible_members(households, user):
    """Annotate ``n_members`` and prefetch ``visible_members`` (those ``user`` may see) for ``household_label``."""
    visible = restrict(Member.objects.all(), user, VIEW).order_by("name_pinyin", "id").only("pk", "name", "household_id")
    return households.annotate(n_members=Count("members", distinct=True)).prefetch_related(
        Prefetch("members", queryset=visible, to_attr="visible_members")
    )


def household_label(household) -> str:
    """The household's name, unless it also holds people the viewer may not see: its name may name them
    (李秀英、赵丽华家), so then it is described by the visible members only."""
    visible = household.visible_members
    if household.n_members <= len(visible):
        return household.name
    names = "、".join(m.name for m in visible)
    if not names:
        return _("A household (its members are outside your scope)")
    return _("Household of %(names)s (with members outside your scope)") % {"names": names}


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


def search_members(queryset, text: str, *, numbers: bool = True):
    """Name, pinyin (full or initials), phone, or the last four characters of the ID number.

    ``numbers`` False (a viewer without DETAILS, see members/visibility.py) searches names only."""
    text = re.sub(r"\s+", "", to_halfwidth(text)).lower()
    if not text:
        return queryset
    if re.fullmatch(r"[a-z]+", text):
        # Latin letters are pinyin: prefix searches that the pattern indexes on these columns serve.
        q = Q(name_pinyin__startswith=text) | Q(name_initials__startswith=text)
    else:
        q = Q(name__icontains=text)
        queryset, q = _name_chars_prefilter(queryset, text, q)
    if not numbers:
        return queryset.filter(q)
    digits = text.replace("-", "").removeprefix("+86")
    if re.fullmatch(r"[\dx]{4}", digits):
        q |= Q(id_number_last4=digits.upper()) | Q(phone_last4=digits)
    if re.fullmatch(r"1\d{10}", digits):
        q |= Q(phone_hash=crypto.blind_index(digits))
    if re.fullmatch(r"\d{17}[\dx]", digits):
        q |= Q(id_number_hash=crypto.blind_index(digits.upper()))
    return queryset.filter(q)


def _name_chars_prefilter(queryset, text: str, q: Q):
    """On PostgreSQL, ``q`` (a name containing ``text``) narrowed first to the names holding every caseless
    character of ``text`` (Chinese characters), the question the GIN index ``members_member_name_chars``
    (migration 0009) answers; the LIKE then checks their order. Elsewhere ``q`` unchanged."""
    chars = list(dict.fromkeys(c for c in text if c.upper() == c.lower() and not c.isspace()))
    if not chars or connections[queryset.db].vendor != "postgresql":
        return queryset, q
    from django.contrib.postgres.fields import ArrayField

    name_chars = Func(F("name"), Value(None), function="string_to_array", output_field=ArrayField(TextField()))
    return queryset.alias(name_chars=name_chars), q & Q(name_chars__contains=chars)


def _spells_on(user, day: datetime.date | None, purpose: str = VIEW):
    """The roster spells valid on ``day`` (today when None), of the members ``user`` may see (``purpose``;
    None: everyone), scoped as ``member_queryset`` scopes the members. Today the open spells (``valid_to`` =
    ``OPEN_END``): the open spell's branch is the member's current branch (both follow the latest effective
    event), so the scope is read on the spell (the partial indexes ``roster_spell_open_*`` serve it); a past
    day the spells valid that day, scoped by the member's current branch."""
    spells = RosterSpell.objects.all()
    if day is None or day >= timezone.localdate():
        spells, branch = spells.filter(valid_to=OPEN_END), "branch"
    else:
        spells, branch = spells.filter(valid_from__lte=day, valid_to__gt=day), "member__branch"
    return spells if user is None else restrict(spells, user, purpose, branch=branch, member="member")


def roster_spell_count(user, purpose: str = VIEW, *, day: datetime.date | None = None, statuses=None,
                       branch=None) -> int:
    """How many members in ``user``'s scope had a status in ``statuses`` (any status when None: everyone
    already in the ledger) on ``day`` (today when None), in ``branch`` (that day's) if given — the count
    ``member_queryset(user, purpose, day=day)`` filtered the same way would give, read from the roster
    spells alone (no join to the members or their events; today's an index-only scan of the open spells,
    ``RosterSpell`` indexes ``roster_spell_open_*``). Cost grows with the members counted, not the database.

    The spells and their scope are ``_spells_on``'s."""
    spells = _spells_on(user, day, purpose)
    if statuses is not None:
        spells = spells.filter(status__in=list(statuses))
    if branch is not None:
        spells = spells.filter(branch=branch)
    return spells.count()


def roster_counts(user=None, day: datetime.date | None = None, *, committee=None) -> dict:
    """Roster counts on ``day`` from the roster spells: total, by branch, by category, by status (the members
    ``roster_on`` lists, counted by ``_spell_count_rows``).

    With ``user`` the counts are limited to what the user may see; without (commands run by the
    operator) they cover ``committee`` or every committee.
    """
    return _labelled(_spell_count_rows(user, day, {}, committee=committee), day, ())[0]


def home_counts(user, day: datetime.date | None = None) -> dict:
    """The home page's counts for ``user`` on ``day`` (None: today): ``roster_counts`` and, for today only (the
    page shows them only then; None for a past day), ``elderly`` (on the roster, aged ``ELDERLY_AGE`` or over,
    as ``filter_age_band`` "60plus") and ``contact_overdue`` (as ``contact_overdue``).

    The rows are ``_cached_count_rows``'s (cached under the generations); plus the branch names.
    """
    rows, day, extra_keys = _cached_count_rows(user, day)
    counts, sums = _labelled(rows, day, extra_keys)
    counts["elderly"] = sums["elderly"] if day is None else None
    counts["contact_overdue"] = sums["overdue"] if day is None else None
    return counts


def roster_totals(user, day: datetime.date | None = None) -> Counter:
    """``{branch id that day: n}``: the members on the roster on ``day`` (None: today) that ``user`` may see
    (VIEW), as ``roster_on(user, day)`` would count them grouped by ``branch_on`` — the home page's cached rows
    (``_cached_count_rows``), so after the first read of a generation it costs the one query of
    ``generations``. The API's roster members: their total and per-branch page groups."""
    rows, _day, _extra = _cached_count_rows(user, day)
    totals = Counter()
    for branch_id, _category, _status, n, *_more in rows:
        totals[branch_id] += n
    return totals


def _cached_count_rows(user, day: datetime.date | None) -> tuple[list, datetime.date | None, tuple]:
    """(rows, day, extra keys): ``_spell_count_rows`` of ``user``'s roster on ``day`` (None, today or later:
    today, with ``home_extra_counts``), and that day (None for today).

    One grouped query over the roster spells, cached under the user's scope, the day and the generations of the
    committees counted (``core.generations``, renewed by ``members.generations.roster_changed``: every write that changes the counts gives its committee a new
    one in its own transaction), so a cached answer is never stale; a member's own login is counted afresh."""
    today = timezone.localdate()
    if day is not None and day >= today:
        day = None
    extra = home_extra_counts(today, member="member__") if day is None else {}
    scope = user_scope(user, VIEW)

    def compute():
        return _spell_count_rows(user, day, extra)

    if scope.self_member or scope.empty:  # a member's own login: their scope is their own record
        rows = compute()
    else:
        parts = ["1", (day or today).isoformat(), today.isoformat(), sorted(scope.committee_ids),
                 sorted(scope.branch_ids), settings.ELDERLY_AGE, contact_warning_months()]
        rows = generations.cached("home-counts", parts, committee_ids_for(user, VIEW), compute)
    return rows, day, tuple(extra)


def home_extra_counts(today: datetime.date, *, member: str = "") -> dict:
    """The home page's further counts of roster rows (``_count_rows``'s ``extra``): ``elderly`` (60+ by birth
    date) and ``overdue`` (not lost, no contact for ``contact_warning_months``); ``member`` is the path from
    the rows to the member ("" when the rows are members, "member__" for roster spells)."""
    limit = contact_overdue_limit(today)
    return {
        "elderly": Count("pk", filter=Q(**{f"{member}birth_date__lte": years_ago(settings.ELDERLY_AGE, today)})),
        "overdue": Count("pk", filter=~Q(status=Status.LOST) & (Q(**{f"{member}last_contact_date__lte": limit})
                                                                | Q(**{f"{member}last_contact_date__isnull": True}))),
    }


def _spell_count_rows(user, day: datetime.date | None, extra: dict, *, committee=None) -> list[tuple]:
    """``_count_rows`` of ``roster_on(user, day, committee=committee)`` read from the roster spells instead of
    the flow events: the same rows (branch that day, category, status, n, *extra).

    The spells and their scope are ``_spells_on``'s (today the open spells: their status and branch are those
    of the member's latest effective event, which ``Member.current_event`` points at). Category, birth date
    and last contact come from the member row, joined by its primary key. No flow event is read: the cost
    follows the members counted, not the length of the flow history."""
    spells = _spells_on(user, day).filter(status__in=ROSTER_STATUSES)
    if user is not None:
        # the same scope said on the member row too (today the same members: the open spell's branch is the
        # member's branch), so the member side is read through its committee/branch index, not in full
        spells = restrict(spells, user, committee="member__committee", branch="member__branch", member="member")
    if committee is not None:
        spells = spells.filter(committee=committee)
    rows = (spells.order_by().values("status", branch_on=F("branch"), category=F("member__category"))
            .annotate(n=Count("pk"), **extra))
    return [(r["branch_on"], r["category"], r["status"], r["n"], *(r[k] for k in extra)) for r in rows]


def _count_rows(roster, extra: dict) -> list[tuple]:
    """[(branch id, category, status, n, *extra counts)]: one grouped pass over ``roster`` (at most branches ×
    categories × statuses rows); ``extra`` are further filtered counts of the same rows."""
    rows = roster.order_by().values("branch_on", "category", "status").annotate(n=Count("pk"), **extra)
    return [(r["branch_on"], r["category"], r["status"], r["n"], *(r[k] for k in extra)) for r in rows]


def _labelled(rows, day, extra_keys: tuple) -> tuple[dict, Counter]:
    """``roster_counts``'s dict from ``_count_rows``'s rows (summed three ways), and the sums of the extras."""
    day = day or timezone.localdate()
    by_branch, by_category, by_status, sums = Counter(), Counter(), Counter(), Counter({k: 0 for k in extra_keys})
    for branch_id, category, status, n, *more in rows:
        by_branch[branch_id] += n
        by_category[category] += n
        by_status[status] += n
        for k, value in zip(extra_keys, more, strict=True):
            sums[k] += value
    branches = {b.pk: b.name for b in Branch.objects.filter(pk__in=by_branch)} if by_branch else {}
    return {
        "as_of": day.isoformat(),
        "total": sum(by_status.values()),
        "by_branch": {branches[pk]: n for pk, n in sorted(by_branch.items())},
        "by_category": {str(Category(c).label): n for c, n in by_category.most_common()},
        "by_status": {str(Status(s).label): n for s, n in by_status.most_common()},
        "status_codes": dict(by_status),  # the same counts keyed by status code, for pages
    }, sums


def contact_warning_months() -> int:
    """DOMAIN_RULES "Flow": warn after this many months without contact (setting CONTACT_WARNING_MONTHS,
    default 5; staff record the loss of contact at 6)."""
    return settings.CONTACT_WARNING_MONTHS


def lost_contact_months() -> int:
    """DOMAIN_RULES "Flow": after this many months without contact a member counts as lost and staff record it
    (setting LOST_CONTACT_MONTHS, default 6): the worklist's and the dashboard's rule."""
    return settings.LOST_CONTACT_MONTHS


def contact_overdue(user, months: int | None = None, today: datetime.date | None = None):
    """Members on the roster (not already lost) with no contact for ``months`` months or more."""
    return filter_contact_overdue(member_queryset(user), months, today)


def contact_overdue_limit(today: datetime.date | None = None) -> datetime.date:
    """A last contact on or before this day is overdue ``today`` (None: today), by ``contact_warning_months``."""
    return _contact_limit(contact_warning_months(), today or timezone.localdate())


def _contact_limit(months: int, today: datetime.date) -> datetime.date:
    """The day ``months`` months before ``today``: a last contact on or before it is overdue."""
    return months_before(today, months)


def months_before(today: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months before ``today`` (the 28th when that month is shorter)."""
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    try:
        return today.replace(year=year, month=month)
    except ValueError:
        return today.replace(year=year, month=month, day=28)


def filter_contact_overdue(queryset, months: int | None = None, today: datetime.date | None = None):
    """Narrow a ``member_queryset`` to roster members (not already lost) without contact for ``months``."""
    today = today or timezone.localdate()
    months = contact_warning_months() if months is None else months
    limit = _contact_limit(months, today)
    return (
        queryset.filter(status__in=[s for s in ROSTER_STATUSES if s != Status.LOST])
        .filter(Q(last_contact_date__lte=limit) | Q(last_contact_date__isnull=True))
    )


def recent_events(user, limit: int = 10, *, day: datetime.date | None = None):
    """The latest flow events ``user`` may see: the latest recorded, or with ``day`` the latest that took
    effect on or before that day (what the flow history looked like then)."""
    events = restrict(FlowEvent.objects.all(), user, committee="member__committee", branch="member__branch", member="member")
    events = events.select_related("member", "recorded_by", "branch_after")
    if day is None:
        return events.order_by("-recorded_at", "-id")[:limit]
    return events.filter(effective_date__lte=day).order_by("-effective_date", "-id")[:limit]


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


def visible_notes(user, member: Member):
    """The behaviour notes ``user`` may read on ``member``'s page.

    Internal notes (the default) are for the staff who may change the member; the member sees only
    the notes shared with them (and never the internal ones, even when they are staff themselves).
    """
    notes = BehaviourNote.objects.filter(member=member).select_related("author")
    staff = allows(user, EDIT, committee_id=member.committee_id, branch_id=member.branch_id)
    if staff and member.user_id != getattr(user, "pk", None):
        return notes
    if member.user_id is not None and member.user_id == getattr(user, "pk", None):
        return notes.filter(shared=True)
    return notes.none()


def change_requests_to_decide(user, *, status: str | None = ChangeRequestStatus.PENDING):
    """Correction requests of members ``user`` may change (not their own), newest first; ``status`` None: all."""
    qs = restrict(ChangeRequest.objects.all(), user, EDIT, committee="member__committee", branch="member__branch",
                  member="member").exclude(member__user=user)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("member", "member__branch", "requested_by", "decided_by").order_by("-requested_at", "-id")


def change_request_get(user, pk) -> ChangeRequest:
    request = change_requests_to_decide(user, status=None).filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


# --- what accounts asks of the ledger about a login (``accounts.hooks``) -----------------------------------


def login_record(*, user) -> Member | None:
    """The ledger record linked to the login ``user``, or None."""
    return Member.objects.filter(user_id=user.pk).first()


def login_personal_values(*, user) -> list[str]:
    """The phone, ID number and birth date (``YYYYMMDD`` and ``YYYY-MM-DD``) of the login's record, which a
    password must not contain."""
    member = login_record(user=user)
    if member is None:
        return []
    values = [member.phone, member.id_number]
    if member.birth_date:
        values += [member.birth_date.strftime("%Y%m%d"), member.birth_date.strftime("%Y-%m-%d")]
    return values


def records_without_login(*, committee):
    """The records of ``committee`` with no login yet, to pick the person's record when giving the role
    "party member": only the name and branch (``record_choice_label``)."""
    return (Member.objects.filter(committee=committee, user__isnull=True).select_related("branch")
            .only("pk", "name", "branch__name").order_by("branch__sort_order", "name"))


def record_choice_label(member: Member) -> str:
    return f"{member.name} · {member.branch.name}"
