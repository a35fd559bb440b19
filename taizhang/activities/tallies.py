"""应到 / 实到 / 请假 / 缺席 as SQL aggregates (issue 10): the activity report's and the points participation's
tables, computed by the database for a whole scope and paged there.

The rule is the one of ``members.audience`` and ``selectors._expected_spans`` (which reads it in Python for a
few members): a member is expected (应到) at an activity when on its local day they were on the roster
(a ``RosterSpell`` with a roster status covering the day) in the activity's committee and the audience
includes them: the whole committee; the branch of the spell; a party group (the member's current group,
in the group's branch on the day); or the picked members. Here that rule is one join per audience kind
(``EXPECTED``), each an equality join the planner can hash, so the work grows with the expected pairs of
the scope, never with the other committees of the database (the spells are read through the index on
(committee, valid_from, valid_to) and the activities through the committee's).

``tally_sql`` gives the shared ``WITH`` clause; the callers add one aggregate query each: per branch (GROUP
BY) and per member (ORDER BY + LIMIT/OFFSET, or streamed without a limit for the exports).
"""

import datetime

from django.db import connection
from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone

from taizhang.activities.models import Activity, Attendance, AttendanceStatus, AudienceKind
from taizhang.members import audience
from taizhang.members.models import Member, RosterSpell
from taizhang.organisation.models import Branch


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return q(model._meta.db_table)


def sql_of(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def fetch(sql: str, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def as_date(value) -> datetime.date | None:
    """A date from the database (SQLite gives the dates of raw SQL as text)."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def text_order(expression: str) -> str:
    """``expression`` ordered by code point, like Python's sort (PostgreSQL's default collation is not)."""
    return f'{expression} COLLATE "C"' if connection.vendor == "postgresql" else expression


def local_date_sql(expression: str) -> tuple[str, tuple]:
    """SQL of the local date of the timestamp ``expression`` (the project's time zone)."""
    sql, params = connection.ops.datetime_cast_date_sql(expression, (), timezone.get_current_timezone_name())
    return sql, tuple(params)


def activities_sql(activities) -> tuple[str, tuple]:
    """The activities (a queryset) as columns aid, day (local date), acid, kind, abr, agr, gbr."""
    acts = activities.order_by().values(
        aid=F("id"), day=TruncDate("starts_at", tzinfo=timezone.get_default_timezone()), acid=F("committee_id"),
        kind=F("audience_kind"), abr=F("audience_branch_id"), agr=F("audience_group_id"),
        gbr=F("audience_group__branch_id"),
    )
    return sql_of(acts)


def tally_sql(activities, members, since: datetime.date, until: datetime.date, committee_ids) -> tuple[str, tuple]:
    """The ``WITH`` clause of the tallies of ``members`` (a Member queryset) at ``activities`` (a queryset of
    activities on days in [since, until] of the committees ``committee_ids``). It defines

    * ``a``: the activities; ``s``: the members' roster spells overlapping the period;
    * ``e`` (aid, mid, br): every expected pair with the member's branch on the day;
    * ``w`` (mid, day): attendances of members in scope at an activity of their committee where they were
      not expected (walk-ins, counted as extra);
    * ``x`` (mid, br, n, pr, lv, ex): per member and branch on the day, expected, present and on leave
      while expected, and walk-ins (their branch: the member's spell on the day, any status, else NULL).

    Raises ``EmptyResultSet`` when ``members`` can hold nobody."""
    acts, acts_params = activities_sql(activities)
    spells, spells_params = audience.roster_spells_sql(members, since, until, committee_ids, group=True)
    scope, scope_params = sql_of(members.order_by().values("pk"))
    through = Activity.picked_members.through
    att = table(Attendance)
    on_day = "s.cid = a.acid AND s.d0 <= a.day AND a.day < s.d1"
    sql = (
        f"WITH a AS ({acts}), s AS ({spells}),"
        f" e AS (SELECT a.aid, s.mid, s.br FROM a INNER JOIN s ON {on_day} WHERE a.kind = %s"
        f" UNION ALL SELECT a.aid, s.mid, s.br FROM a INNER JOIN s ON s.br = a.abr AND {on_day} WHERE a.kind = %s"
        f" UNION ALL SELECT a.aid, s.mid, s.br FROM a INNER JOIN s ON s.gid = a.agr AND s.br = a.gbr AND {on_day}"
        f" WHERE a.kind = %s"
        f" UNION ALL SELECT a.aid, s.mid, s.br FROM a INNER JOIN {table(through)} p ON p.{q('activity_id')} = a.aid"
        f" INNER JOIN s ON s.mid = p.{q('member_id')} AND {on_day} WHERE a.kind = %s),"
        f" w AS (SELECT t.{q('member_id')} AS mid, a.day FROM {att} t INNER JOIN a ON a.aid = t.{q('activity_id')}"
        f" INNER JOIN {table(Member)} m ON m.{q('id')} = t.{q('member_id')} AND m.{q('committee_id')} = a.acid"
        f" WHERE t.{q('status')} = %s AND t.{q('member_id')} IN ({scope}) AND NOT EXISTS"
        f" (SELECT 1 FROM e WHERE e.aid = t.{q('activity_id')} AND e.mid = t.{q('member_id')})),"
        f" x AS (SELECT e.mid, e.br, COUNT(*) AS n,"
        f" SUM(CASE WHEN t.{q('status')} = %s THEN 1 ELSE 0 END) AS pr,"
        f" SUM(CASE WHEN t.{q('status')} = %s THEN 1 ELSE 0 END) AS lv, 0 AS ex"
        f" FROM e LEFT JOIN {att} t ON t.{q('activity_id')} = e.aid AND t.{q('member_id')} = e.mid"
        f" GROUP BY e.mid, e.br"
        f" UNION ALL SELECT w.mid, rs.{q('branch_id')}, 0, 0, 0, COUNT(*) FROM w"
        f" LEFT JOIN {table(RosterSpell)} rs ON rs.{q('member_id')} = w.mid AND rs.{q('valid_from')} <= w.day"
        f" AND w.day < rs.{q('valid_to')} GROUP BY w.mid, rs.{q('branch_id')})"
    )
    params = (
        acts_params + spells_params
        + (AudienceKind.COMMITTEE.value, AudienceKind.BRANCH.value, AudienceKind.PARTY_GROUP.value,
           AudienceKind.PICKED.value)
        + (AttendanceStatus.PRESENT.value,) + scope_params
        + (AttendanceStatus.PRESENT.value, AttendanceStatus.LEAVE.value)
    )
    return sql, params


def branch_tallies(with_sql: str, params: tuple) -> tuple[dict, int]:
    """({branch id: (expected, present, leave, extra)}, number of members with a row): one query."""
    sql = (
        f"{with_sql} SELECT 0, x.br, SUM(x.n), SUM(x.pr), SUM(x.lv), SUM(x.ex) FROM x GROUP BY x.br"
        f" UNION ALL SELECT 1, NULL, COUNT(DISTINCT x.mid), 0, 0, 0 FROM x"
    )
    branches, members = {}, 0
    for part, branch_id, n, pr, lv, ex in fetch(sql, params):
        if part == 1:
            members = int(n)
        elif branch_id is not None:
            branches[branch_id] = (int(n), int(pr), int(lv), int(ex))
    return branches, members


# The member table's sort keys: expressions over ``member_rows``'s columns (ascending), like
# ``reports.MEMBER_SORTS``; the member's pk breaks ties.
MEMBER_ORDER = {
    "name": ["{pinyin}"],
    "branch": ["{branch}", "{pinyin}"],
    "expected": ["r.n", "{pinyin}"],
    "present": ["r.pr", "{pinyin}"],
    "leave": ["r.lv", "{pinyin}"],
    "absent": ["r.n - r.pr - r.lv", "{pinyin}"],
    "rate": ["CASE WHEN r.n > 0 THEN r.pr * 1.0 / r.n ELSE -1 END", "{pinyin}"],
    "last": ["CASE WHEN r.last_day IS NULL THEN 0 ELSE 1 END", "r.last_day", "{pinyin}"],
}


def member_rows(with_sql: str, params: tuple, *, sort: str, last_until, offset: int = 0,
                limit: int | None = None) -> list[tuple]:
    """The member table sorted by ``sort`` (a ``MEMBER_ORDER`` key, ``-key`` descending), rows [offset,
    offset + limit) (all with limit None): (member pk, name, name_pinyin, branch name, expected, present,
    leave, absent, extra, last attended day). The last attended day is the local day of the member's latest
    present attendance at an activity not cancelled up to ``last_until`` (any activity, before the period
    too). One query."""
    name = sort.lstrip("-")
    direction = " DESC" if sort.startswith("-") else ""
    last_sql, last_params = local_date_sql(f"MAX(ac.{q('starts_at')})")
    order = ", ".join(
        column.format(pinyin=text_order("r.pinyin"), branch=text_order("r.bname")) + direction
        for column in MEMBER_ORDER[name] + ["r.mid"]
    )
    sql = (
        f"{with_sql}, pm AS (SELECT x.mid, SUM(x.n) AS n, SUM(x.pr) AS pr, SUM(x.lv) AS lv, SUM(x.ex) AS ex"
        f" FROM x GROUP BY x.mid)"
        f" SELECT r.mid, r.name, r.pinyin, r.bname, r.n, r.pr, r.lv, r.ex, r.last_day FROM ("
        f"SELECT m.{q('id')} AS mid, m.{q('name')} AS name, m.{q('name_pinyin')} AS pinyin,"
        f" COALESCE(b.{q('name')}, '') AS bname, pm.n AS n, pm.pr AS pr, pm.lv AS lv, pm.ex AS ex,"
        f" (SELECT {last_sql} FROM {table(Attendance)} t2"
        f" INNER JOIN {table(Activity)} ac ON ac.{q('id')} = t2.{q('activity_id')}"
        f" WHERE t2.{q('member_id')} = m.{q('id')} AND t2.{q('status')} = %s AND ac.{q('cancelled')} = %s"
        f" AND ac.{q('starts_at')} <= %s) AS last_day"
        f" FROM pm INNER JOIN {table(Member)} m ON m.{q('id')} = pm.mid"
        f" LEFT JOIN {table(Branch)} b ON b.{q('id')} = m.{q('branch_id')}) r"
        f" ORDER BY {order}"
    )
    params = params + last_params + (
        AttendanceStatus.PRESENT.value, False, connection.ops.adapt_datetimefield_value(last_until))
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += (limit, offset)
    return [
        (mid, name_, pinyin, bname, int(n), int(pr), int(lv), int(n) - int(pr) - int(lv), int(ex), as_date(last))
        for mid, name_, pinyin, bname, n, pr, lv, ex, last in fetch(sql, params)
    ]
