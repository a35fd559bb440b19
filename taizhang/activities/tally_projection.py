"""The tallies of complete past months, pre-aggregated (``models.MemberMonthTally``, issue 10, ARCHITECTURE
rule 13): the activity report and the points participation over years read a few rows per member instead of
matching millions of attendance rows and sorting every roster spell of the period again.

The one definition is ``tallies.tally_sql``: a month's rows are its ``x`` for that month (``months``: the
spells cut at the months' ends), written with ONE ``INSERT … SELECT`` per run of months; a year's rows
(``months`` 12) are the sum of its month rows. ``tally_sql`` here answers exactly what ``tallies.tally_sql``
answers for ALL of the committees' held activities of a period: the stored rows of the whole months before
the committees' ``TallyProjection.through`` (never the current month), UNION ALL'd into ``x`` with the live
tallies of everything else (the partial months at the period's edges, the months not projected yet, and
the activity kinds never projected).

Committee-wide, branch and picked activities are projected (``PROJECTED_KINDS``; the picks are fixed when
the activity is created). Party-group activities are always read live: whether a member is expected at one
depends on the member's CURRENT party group (no history; ``audience``), which a member edit changes for every
past month. So no write outside this app's services and the roster spells can change a stored row.

Kept current in the transaction of every write that changes a stored month:

* attendance written, checked in or corrected (``hooks.attendance_changed``): the members' rows of the month;
* an activity created, moved or cancelled (``activity_changed``, from ``services``): the month's rows of the
  members it may concern (the whole committee for a committee-wide activity, the branch's members on the
  roster in the month or the picked members, and anyone recorded at it);
* roster spells rewritten or new members' first spells written (``members.hooks.spells_changed`` and
  ``spells_inserted``, from ``members.projection``): every projected month of those members.

A month becomes "past" when the calendar says so; until ``advance`` (the periodic task, ``manage.py
rebuild_projections``) projects it, ``through`` stays behind and the month is computed live: a report is
never wrong when the projection is behind, only slower.
"""

import datetime

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from taizhang.activities import tallies
from taizhang.activities.models import Activity, Attendance, AudienceKind, MemberMonthTally, TallyProjection
from taizhang.core.months import add_months, month_start, months_between
from taizhang.members.models import Member, RosterSpell

PROJECTED_KINDS = (AudienceKind.COMMITTEE.value, AudienceKind.BRANCH.value, AudienceKind.PICKED.value)
CHUNK_MONTHS = 12  # months per INSERT … SELECT of a whole committee (the spells are cut per month: memory)


def enabled() -> bool:
    """Whether the reports read the projection (setting ``TALLY_PROJECTION``, default on; the property test
    turns it off to compare with the live computation)."""
    return getattr(settings, "TALLY_PROJECTION", True)


def current_month() -> datetime.date:
    return month_start(timezone.localdate())


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _projected_q(first: datetime.date, end: datetime.date) -> Q:
    """The activities whose tallies the rows of the months [first, end) hold (with ``cancelled=False``)."""
    return Q(audience_kind__in=PROJECTED_KINDS, starts_at__gte=_day_start(first), starts_at__lt=_day_start(end))


def projected_through(committee_ids) -> datetime.date | None:
    """The first month not projected for every one of ``committee_ids`` (never after the current month), or
    None when one of them has no projection yet. One query."""
    ids = set(committee_ids)
    found = dict(TallyProjection.objects.filter(committee_id__in=ids).values_list("committee_id", "through"))
    if not ids or len(found) < len(ids):
        return None
    return min(min(found.values()), current_month())


# --- reading ------------------------------------------------------------------------------------------------


def _stored_rows_sql(members, committee_ids, first: datetime.date, end: datetime.date) -> tuple[str, tuple]:
    """SELECT (mid, br, n, pr, lv, ex) of the stored rows of ``members`` for the months [first, end): the
    whole years inside as year rows, the other months as month rows."""
    q = tallies.q
    day = connection.ops.adapt_datefield_value
    scope, scope_params = tallies.sql_of(members.order_by().values("pk"))
    years_from = first if first.month == 1 else datetime.date(first.year + 1, 1, 1)
    years_to = datetime.date(end.year, 1, 1)
    if years_from < years_to:
        when = (f"((p.{q('months')} = 12 AND p.{q('month')} >= %s AND p.{q('month')} < %s) OR (p.{q('months')} = 1"
                f" AND ((p.{q('month')} >= %s AND p.{q('month')} < %s) OR (p.{q('month')} >= %s AND p.{q('month')} < %s))))")
        when_params = tuple(day(d) for d in (years_from, years_to, first, years_from, years_to, end))
    else:
        when = f"p.{q('months')} = 1 AND p.{q('month')} >= %s AND p.{q('month')} < %s"
        when_params = (day(first), day(end))
    ids = sorted(set(committee_ids))
    sql = (
        f"SELECT p.{q('member_id')}, p.{q('branch_id')}, p.{q('expected')}, p.{q('present')}, p.{q('leave')},"
        f" p.{q('extra')} FROM {tallies.table(MemberMonthTally)} p"
        f" WHERE p.{q('committee_id')} IN ({', '.join(['%s'] * len(ids))}) AND {when}"
        f" AND p.{q('member_id')} IN ({scope})"
    )
    return sql, tuple(ids) + when_params + scope_params


def tally_sql(activities, members, since: datetime.date, until: datetime.date, committee_ids) -> tuple[str, tuple]:
    """``tallies.tally_sql`` (same ``x``, same totals) for ``activities`` that are ALL the held (not cancelled,
    started) activities of ``committee_ids`` on days in [since, until]: the caller vouches for that (the
    projection holds every activity of the committee; a viewer who sees fewer must call ``tallies``). The
    whole months before ``projected_through`` are read from ``MemberMonthTally``, the rest live."""
    through = projected_through(committee_ids) if enabled() else None
    first = since if since.day == 1 else add_months(since, 1)
    after = until + datetime.timedelta(days=1)
    end = min(after if after.day == 1 else month_start(until), through) if through else None
    if end is None or first >= end:
        return tallies.tally_sql(activities, members, since, until, committee_ids)
    live = activities.exclude(_projected_q(first, end))
    stored = _stored_rows_sql(members, committee_ids, first, end)
    return tallies.tally_sql(live, members, since, until, committee_ids, extra=stored)


# --- writing ------------------------------------------------------------------------------------------------


def _execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(tallies.SETTINGS)
        cursor.execute(sql, params)


def _insert_months(committee_id: int, months: list[datetime.date], members) -> None:
    """Write the month rows of ``members`` (a Member queryset) for ``months`` (consecutive firsts of months):
    one INSERT … SELECT of ``tallies.tally_sql`` by month. The caller deleted the old ones."""
    q = tallies.q
    end = add_months(months[-1], 1)
    activities = Activity.objects.filter(Q(committee_id=committee_id, cancelled=False) & _projected_q(months[0], end))
    try:
        with_sql, params = tallies.tally_sql(activities, members, months[0], end - datetime.timedelta(days=1),
                                             [committee_id], months=months)
    except EmptyResultSet:
        return
    columns = ", ".join(q(c) for c in ("committee_id", "member_id", "branch_id", "month", "months", "expected",
                                       "present", "leave", "extra"))
    _execute(
        f"{with_sql} INSERT INTO {tallies.table(MemberMonthTally)} ({columns}) SELECT %s, x.mid, x.br, x.mo, 1,"
        f" SUM(x.n), SUM(x.pr), SUM(x.lv), SUM(x.ex) FROM x GROUP BY x.mid, x.br, x.mo",
        params + (committee_id,),
    )


def _insert_year(committee_id: int, year: int, members=None) -> None:
    """Write the year rows of ``year`` (of ``members``, a Member queryset, else everyone's) from its month
    rows, in place of the old ones."""
    q = tallies.q
    day = connection.ops.adapt_datefield_value
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    rows = MemberMonthTally.objects.filter(committee_id=committee_id, months=12, month=start)
    where, params = "", ()
    if members is not None:
        rows = rows.filter(member_id__in=members.order_by().values("pk"))
        scope, params = tallies.sql_of(members.order_by().values("pk"))
        where = f" AND {q('member_id')} IN ({scope})"
    rows.delete()
    columns = ", ".join(q(c) for c in ("committee_id", "member_id", "branch_id", "month", "months", "expected",
                                       "present", "leave", "extra"))
    _execute(
        f"INSERT INTO {tallies.table(MemberMonthTally)} ({columns}) SELECT {q('committee_id')}, {q('member_id')},"
        f" {q('branch_id')}, %s, 12, SUM({q('expected')}), SUM({q('present')}), SUM({q('leave')}), SUM({q('extra')})"
        f" FROM {tallies.table(MemberMonthTally)} WHERE {q('committee_id')} = %s AND {q('months')} = 1"
        f" AND {q('month')} >= %s AND {q('month')} < %s{where}"
        f" GROUP BY {q('committee_id')}, {q('member_id')}, {q('branch_id')}",
        (day(start), committee_id, day(start), day(end)) + tuple(params),
    )


def _runs(months: list[datetime.date], size: int | None) -> list[list[datetime.date]]:
    """``months`` (sorted) as runs of consecutive months, each at most ``size`` long and within one year."""
    runs = []
    for month in months:
        last = runs[-1] if runs else None
        if (last and add_months(last[-1], 1) == month and (size is None or len(last) < size)
                and last[0].year == month.year):
            last.append(month)
        else:
            runs.append([month])
    return runs


def _write(committee_id: int, months, through: datetime.date, member_ids=None, members=None) -> None:
    """Recompute the rows of ``months`` (those before ``through``) of the members (``member_ids``, a Member
    queryset ``members``, else the whole committee) and the year rows of their complete projected years."""
    months = sorted({month_start(m) for m in months if month_start(m) < through})
    if not months:
        return
    if member_ids is not None:
        member_ids = sorted(set(member_ids))
        if not member_ids:
            return
        members = Member.objects.filter(pk__in=member_ids)
    rows = MemberMonthTally.objects.filter(committee_id=committee_id, months=1, month__in=months)
    if members is not None:
        rows = rows.filter(member_id__in=members.order_by().values("pk"))
    rows.delete()
    for run in _runs(months, CHUNK_MONTHS if members is None else None):
        _insert_months(committee_id, run, members if members is not None else Member.objects.all())
    for year in sorted({m.year for m in months}):
        if datetime.date(year + 1, 1, 1) <= through:
            _insert_year(committee_id, year, members)


def _through_for_write(committee_id: int, months) -> datetime.date | None:
    """The committee's ``through`` for a write touching ``months``: read as is when every month is already
    projected; else after waiting for an ``advance`` that may be projecting them (its row lock), so a month it
    projects from a snapshot without this write is recomputed here."""
    marker = TallyProjection.objects.filter(committee_id=committee_id).values_list("through", flat=True)
    through = marker.first()
    if through is None:
        return None
    if any(month_start(m) >= through for m in months) and any(month_start(m) < current_month() for m in months):
        through = marker.select_for_update().first()
    return through


def refresh(committee_id: int, days, *, member_ids=None, members=None) -> None:
    """Recompute the stored months of ``days`` for ``member_ids`` (or the Member queryset ``members``, or the
    whole committee): in the caller's transaction, after its write."""
    days = list(days)
    through = _through_for_write(committee_id, days)
    if through is not None:
        _write(committee_id, days, through, member_ids=member_ids, members=members)


def activity_changed(activity: Activity, *days) -> None:
    """``activity`` was created, moved (from ``days``) or cancelled: recompute its month(s) for the members it
    may concern. Called by the activity services in their transaction."""
    if activity.audience_kind not in PROJECTED_KINDS:
        return
    days = [activity.date, *days]
    if activity.audience_kind == AudienceKind.COMMITTEE:
        refresh(activity.committee_id, days)
        return
    first = min(month_start(d) for d in days)
    end = add_months(max(days), 1)
    if activity.audience_kind == AudienceKind.BRANCH:
        audience = Q(pk__in=RosterSpell.objects.filter(
            committee_id=activity.committee_id, branch_id=activity.audience_branch_id, valid_from__lt=end,
            valid_to__gt=first).values("member_id"))
    else:
        audience = Q(pk__in=Activity.picked_members.through.objects.filter(activity=activity).values("member_id"))
    members = Member.objects.filter(audience | Q(pk__in=Attendance.objects.filter(activity=activity).values("member_id")))
    refresh(activity.committee_id, days, members=members)


def attendance_changed(*, activity, member_ids, actor) -> None:
    """Listener of ``hooks.attendance_changed``: the members' rows of the activity's month."""
    if activity.audience_kind in PROJECTED_KINDS:
        refresh(activity.committee_id, [activity.date], member_ids=member_ids)


def roster_spells_changed(*, member_ids) -> None:
    """Listener of ``members.hooks.spells_changed`` and ``spells_inserted``: every projected month of the members, from the
    first month of their stored rows or their spells."""
    member_ids = sorted(set(member_ids))
    if not member_ids or not TallyProjection.objects.exists():
        return
    committees = set(Member.objects.filter(pk__in=member_ids).values_list("committee_id", flat=True))
    committees |= set(MemberMonthTally.objects.filter(member_id__in=member_ids).values_list("committee_id", flat=True)
                      .distinct())
    # the members' first spell, whatever the committee (one query, not one per committee)
    first_spell = RosterSpell.objects.filter(member_id__in=member_ids).aggregate(m=Min("valid_from"))["m"]
    for committee_id in sorted(committees):
        through = _through_for_write(committee_id, [current_month() - datetime.timedelta(days=1)])
        if through is None:
            continue
        starts = [
            MemberMonthTally.objects.filter(committee_id=committee_id, member_id__in=member_ids)
            .aggregate(m=Min("month"))["m"],
            first_spell,
        ]
        starts = [s for s in starts if s is not None]
        if not starts:
            continue
        _write(committee_id, months_between(min(starts), add_months(through, -1)), through, member_ids=member_ids)


# --- projecting new months, rebuilding ------------------------------------------------------------------------


def advance(committee_id: int) -> int:
    """Project the committee's months that have become past (from its ``through``, or from its first projected
    activity when it has none yet) and move ``through`` to the current month; one transaction. The number of
    months projected."""
    target = current_month()
    with transaction.atomic():
        marker = TallyProjection.objects.select_for_update().filter(committee_id=committee_id).first()
        if marker is not None and marker.through >= target:
            return 0
        if marker is not None:
            start = marker.through
        else:
            first = (Activity.objects.filter(committee_id=committee_id, cancelled=False,
                                             audience_kind__in=PROJECTED_KINDS).aggregate(m=Min("starts_at"))["m"])
            start = min(month_start(timezone.localdate(first)), target) if first else target
            MemberMonthTally.objects.filter(committee_id=committee_id).delete()
        months = months_between(start, add_months(target, -1))
        _write(committee_id, months, target)  # the whole committee's month rows, then its complete years
        TallyProjection.objects.update_or_create(committee_id=committee_id, defaults={"through": target})
        return len(months)


def rebuild(committee_id: int) -> int:
    """Recompute the committee's projection from scratch (one transaction); the number of months projected."""
    with transaction.atomic():
        # without its marker, ``advance`` deletes the committee's rows and projects every month again
        TallyProjection.objects.filter(committee_id=committee_id).delete()
        return advance(committee_id)


def rebuild_answer(*, committee_id) -> dict:
    """Listener of ``members.hooks.projection_rebuild`` (``manage.py rebuild_projections``): ``rebuild`` the
    committee (every committee when None) and the sentence the command prints."""
    from taizhang.organisation.models import Committee

    ids = [committee_id] if committee_id is not None else Committee.objects.order_by("pk").values_list("pk", flat=True)
    months = sum(rebuild(pk) for pk in ids)
    return {"text": gettext("Activity tallies rebuilt: %(months)d complete past months projected.") % {"months": months},
            "counts": {"months": months}}


def advance_all() -> dict:
    """``advance`` every committee (the periodic task): {committee id: months projected}."""
    from taizhang.organisation.models import Committee

    return {pk: advance(pk) for pk in Committee.objects.order_by("pk").values_list("pk", flat=True)}
