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
import hashlib

from django.db import connection
from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone

from taizhang.activities.models import Activity, Attendance, AttendanceStatus, AudienceKind
from taizhang.core import generations
from taizhang.core.months import add_months
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


# PostgreSQL's memory for each sort and hash of one tally query (``SET LOCAL``, that query's transaction only):
# the default 4 MB made the sorts of a committee's spells and the hash of its attendance spill to disk.
WORK_MEM = "64MB"
# ... and no JIT compilation: the plans' costs (hundreds of thousands of rows) made PostgreSQL compile the
# query's expressions on every run, two seconds of a 200,000-member report, more than it saved.
SETTINGS = f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL jit = off"


def fetch(sql: str, params) -> list:
    """The rows of ``sql``; on PostgreSQL with ``SETTINGS`` (``WORK_MEM`` for its sorts and hashes, no JIT): sent
    with the query as one statement list (the parameters are bound on the client), which PostgreSQL runs as one
    transaction unless one is open already, so the settings end with the query's transaction and cost no round
    trip."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{SETTINGS}; {sql}", params)
            cursor.nextset()
            cursor.nextset()
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_cached(sql: str, params, cache_for=None) -> list:
    """``fetch``, cached under the query itself (its SQL and parameters) and the generations of the data it reads
    (``core.generations``): ``cache_for`` is (committee ids, kinds of data) — every table the query reads must be
    written only by the writes that renew those kinds of those committees (activities and attendance:
    ``ACTIVITIES``; the roster spells, the members, their stored tallies' members: ``ROSTER``; point entries:
    ``POINTS``). None: not cached. A query whose answer depends on the clock must carry it in its parameters."""
    if cache_for is None:
        return fetch(sql, params)
    committee_ids, kinds = cache_for
    digest = hashlib.sha256(repr((sql, tuple(params))).encode()).hexdigest()
    return generations.cached("tally-sql", [connection.vendor, digest], committee_ids, lambda: fetch(sql, params),
                              kinds=kinds)


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


def tally_sql(activities, members, since: datetime.date, until: datetime.date, committee_ids, *,
              months: list | None = None, extra: tuple[str, tuple] | None = None) -> tuple[str, tuple]:
    """The ``WITH`` clause of the tallies of ``members`` (a Member queryset) at ``activities`` (a queryset of
    activities on days in [since, until] of the committees ``committee_ids``). Its last table is

    ``x`` (mid, br, n, pr, lv, ex): per member and branch on the day, how many activities they were expected
    at (n), present and on leave at while expected (pr, lv), and present at while not expected (ex, walk-ins
    at an activity of their committee; their branch: the member's spell on the day, any status, else NULL).
    A member may have several rows per branch: the callers sum them.

    应到 is counted without pairing every member with every activity (2.9 million pairs for four years of
    20,000 members), nor every spell with every activity of its audience: the spells are cut to the period,
    and per audience key (the committee; the branch; the party group and branch) the days their spells start
    and end are sorted with the days of that key's activities, so a running count gives each spell its
    activities as the count at its end minus the count at its start (``running``); only picked activities
    are matched member by member. The attendance rows of the period are matched with the member's spell on
    the day and the activity's audience (``rx``) to tell expected from walk-in. So the work grows with the
    spells, the activities and the records (sorts and hash joins), not with their products.

    With ``months`` (the first days of consecutive months that make up [since, until]) ``x`` has one more
    column, ``mo``: the month of the activities counted in the row (the spells are cut at the months' ends),
    for ``tally_projection``. ``extra`` (SQL, params) is one more SELECT of ``x``'s columns, UNION ALL'd into
    it (the projected months of ``tally_projection.tally_sql``).

    Raises ``EmptyResultSet`` when ``members`` can hold nobody."""
    acts, acts_params = activities_sql(activities)
    spells, spells_params = audience.roster_spells_sql(members, since, until, committee_ids, group=True)
    # the same spells without the scope: for the attendance rows, already limited to the scope (the scope's
    # semi-join, multiplied with the committee's filter as if independent, made a small committee's spells
    # look like 2 rows among many committees' members, and their match with the records a nested loop)
    any_spells, any_params = audience.roster_spells_sql(None, since, until, committee_ids, group=True)
    scope, scope_params = sql_of(members.order_by().values("pk"))
    through = table(Activity.picked_members.through)
    att = table(Attendance)
    day = connection.ops.adapt_datefield_value
    first, after = day(since), day(until + datetime.timedelta(days=1))
    kind = {k: k.value for k in AudienceKind}
    present, leave = AttendanceStatus.PRESENT.value, AttendanceStatus.LEAVE.value
    # PostgreSQL: the spells are inlined where they are used (NOT MATERIALIZED), so the planner sees the table's
    # statistics instead of guessing a CTE scan at a few rows; the activities (a few hundred rows a year) are
    # read once with their local day (inlined, the time-zone conversion ran again for every attendance row
    # and every spell compared with it, and the attendance was read by a scan instead of by activity).
    inline = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    once = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    parts, params = [], []

    def add(sql, *values):
        parts.append(sql)
        params.extend(values)

    add(f"WITH a AS {once}({acts}),", *acts_params)
    add(f" s AS {inline}({spells}),", *spells_params)
    add(f" sa AS {inline}({any_spells}),", *any_params)
    # by month: ``mo`` (m, e) the months [m, e); the spells cut at their bounds, the activities matched with theirs
    mo = mj = mg = ""
    if months:
        cast = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
        bounds = [(day(m), day(add_months(m, 1))) for m in months]
        add(f" mo (m, e) AS (VALUES {', '.join(f'({cast}, {cast})' for _b in bounds)}),",
            *[d for pair in bounds for d in pair])
        add(" sp AS (SELECT s.mid, s.br, s.gid, s.cid, mo.m AS mo, CASE WHEN s.d0 < mo.m THEN mo.m ELSE s.d0 END AS f,"
            " CASE WHEN s.d1 > mo.e THEN mo.e ELSE s.d1 END AS t FROM s INNER JOIN mo ON s.d0 < mo.e AND mo.m < s.d1),")
        mo, mg = ", mo.m", ", mo.m"
        mj = " INNER JOIN mo ON mo.m <= a.day AND a.day < mo.e"
    else:
        add(" sp AS (SELECT s.mid, s.br, s.gid, s.cid, CASE WHEN s.d0 < %s THEN %s ELSE s.d0 END AS f,"
            " CASE WHEN s.d1 > %s THEN %s ELSE s.d1 END AS t FROM s),", first, first, after, after)
    ym, zm, zn = (", y.mo", ", mo", ", NULL") if months else ("", "", "")
    # 应到 per spell without a range join: per audience key, one stream ordered by day of the key's activities
    # and of the days its spells start (weight -1) and end (+1), a boundary sorting before the activities of
    # its own day; the running count of activities at a spell's end minus that at its start is the spell's
    # count. Sorts of spells + activities, where pairing spell ranges with activities grew with their product.
    def running(cols, audience, value, only=""):
        """The SELECT of (mid, br, n) of the spells for the activities of ``value``'s kind, whose audience key
        is the spell's ``cols`` and the activity's ``audience`` (``only``: which spells can be in one)."""
        keys = [f"k{i}" for i in range(len(cols))]
        spell_keys = ", ".join(f"{c} AS {k}" for c, k in zip(cols, keys, strict=True))
        add(f"SELECT y.mid, y.br{ym}, SUM(y.sg * y.c) AS n FROM (SELECT z.mid, z.br{zm}, z.sg, SUM(z.w) OVER"
            f" (PARTITION BY {', '.join(f'z.{k}' for k in keys)} ORDER BY z.d, z.w ROWS UNBOUNDED PRECEDING) AS c"
            f" FROM (SELECT {spell_keys}, mid, br{zm}, f AS d, 0 AS w, -1 AS sg FROM sp{only}"
            f" UNION ALL SELECT {', '.join(cols)}, mid, br{zm}, t, 0, 1 FROM sp{only}"
            f" UNION ALL SELECT {', '.join(audience)}, NULL, NULL{zn}, a.day, 1, 0 FROM a WHERE a.kind = %s) z) y"
            f" WHERE y.sg <> 0 GROUP BY y.mid, y.br{ym}", *([value] * only.count("%s") * 2), value)

    add(" ex AS (")
    # the committee's spells only when there is a committee-wide activity (a one-time filter: without one, as
    # when ``tally_projection`` reads the other kinds live, the sort of every spell is skipped)
    running(["cid"], ["a.acid"], kind[AudienceKind.COMMITTEE],
            " WHERE EXISTS (SELECT 1 FROM a WHERE a.kind = %s)")
    # branches and party groups: only the spells of those that have an activity in the period
    add(" UNION ALL ")
    running(["cid", "br"], ["a.acid", "a.abr"], kind[AudienceKind.BRANCH],
            " WHERE br IN (SELECT a.abr FROM a WHERE a.kind = %s)")
    add(" UNION ALL ")
    running(["cid", "gid", "br"], ["a.acid", "a.agr", "a.gbr"], kind[AudienceKind.PARTY_GROUP],
            " WHERE gid IN (SELECT a.agr FROM a WHERE a.kind = %s)")
    add(f" UNION ALL SELECT s.mid, s.br{mo}, COUNT(*) FROM a INNER JOIN {through} p ON p.{q('activity_id')} = a.aid"
        f" INNER JOIN s ON s.mid = p.{q('member_id')} AND s.cid = a.acid AND s.d0 <= a.day AND a.day < s.d1{mj}"
        f" WHERE a.kind = %s GROUP BY s.mid, s.br{mg}),", kind[AudienceKind.PICKED])
    # The picks are joined on (activity, member) for the activities of ``a`` only (an EXISTS became a hashed
    # scan of every committee's picks).
    add(f" rx AS (SELECT t.{q('member_id')} AS mid, t.{q('status')} AS st, a.day, a.acid, sa.br{mo}{' AS mo' if mo else ''}"
        f" FROM {att} t INNER JOIN a ON a.aid = t.{q('activity_id')}{mj}"
        f" LEFT JOIN {through} pp ON a.kind = %s AND pp.{q('activity_id')} = a.aid"
        f" AND pp.{q('member_id')} = t.{q('member_id')}"
        f" LEFT JOIN sa ON sa.mid = t.{q('member_id')} AND sa.cid = a.acid AND sa.d0 <= a.day AND a.day < sa.d1 AND"
        f" (a.kind = %s OR (a.kind = %s AND a.abr = sa.br) OR (a.kind = %s AND a.agr = sa.gid AND a.gbr = sa.br)"
        f" OR pp.{q('member_id')} IS NOT NULL)"
        f" WHERE t.{q('status')} IN (%s, %s) AND t.{q('member_id')} IN ({scope})),",
        kind[AudienceKind.PICKED], kind[AudienceKind.COMMITTEE], kind[AudienceKind.BRANCH],
        kind[AudienceKind.PARTY_GROUP], present, leave, *scope_params)
    xm, xe = (", ex.mo", ", rx.mo") if months else ("", "")
    add(f" x AS (SELECT ex.mid, ex.br{xm}, ex.n, 0 AS pr, 0 AS lv, 0 AS ex FROM ex WHERE ex.n > 0"
        f" UNION ALL SELECT rx.mid, rx.br{xe}, 0, SUM(CASE WHEN rx.st = %s THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN rx.st = %s THEN 1 ELSE 0 END), 0 FROM rx WHERE rx.br IS NOT NULL GROUP BY rx.mid, rx.br{xe}"
        f" UNION ALL SELECT rx.mid, rs.{q('branch_id')}{xe}, 0, 0, 0, COUNT(*) FROM rx"
        f" INNER JOIN {table(Member)} m ON m.{q('id')} = rx.mid AND m.{q('committee_id')} = rx.acid"
        f" LEFT JOIN {table(RosterSpell)} rs ON rs.{q('member_id')} = rx.mid AND rs.{q('valid_from')} <= rx.day"
        f" AND rx.day < rs.{q('valid_to')}"
        f" WHERE rx.br IS NULL AND rx.st = %s GROUP BY rx.mid, rs.{q('branch_id')}{xe}", present, leave, present)
    if extra is not None:
        add(f" UNION ALL {extra[0]}", *extra[1])
    add(")")
    return "".join(parts), tuple(params)



def branch_tallies(with_sql: str, params: tuple, cache_for=None) -> tuple[dict, int]:
    """({branch id: (expected, present, leave, extra)}, number of members with a row): one query."""
    sql = (
        f"{with_sql} SELECT 0, x.br, SUM(x.n), SUM(x.pr), SUM(x.lv), SUM(x.ex) FROM x GROUP BY x.br"
        f" UNION ALL SELECT 1, NULL, COUNT(DISTINCT x.mid), 0, 0, 0 FROM x"
    )
    branches, members = {}, 0
    for part, branch_id, n, pr, lv, ex in fetch_cached(sql, params, cache_for):
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


PM = (", pm AS (SELECT x.mid, SUM(x.n) AS n, SUM(x.pr) AS pr, SUM(x.lv) AS lv, SUM(x.ex) AS ex"
      " FROM x GROUP BY x.mid)")


def _member_select(sort: str, last_until) -> tuple[str, str, tuple]:
    """(SELECT of the member rows from ``pm`` as ``r``, its ORDER BY list, params) for ``member_rows``."""
    name = sort.lstrip("-")
    direction = " DESC" if sort.startswith("-") else ""
    last_sql, last_params = local_date_sql(f"MAX(ac.{q('starts_at')})")
    order = ", ".join(
        column.format(pinyin=text_order("r.pinyin"), branch=text_order("r.bname")) + direction
        for column in MEMBER_ORDER[name] + ["r.mid"]
    )
    sql = (
        f"SELECT m.{q('id')} AS mid, m.{q('name')} AS name, m.{q('name_pinyin')} AS pinyin,"
        f" COALESCE(b.{q('name')}, '') AS bname, pm.n AS n, pm.pr AS pr, pm.lv AS lv, pm.ex AS ex,"
        f" (SELECT {last_sql} FROM {table(Attendance)} t2"
        f" INNER JOIN {table(Activity)} ac ON ac.{q('id')} = t2.{q('activity_id')}"
        # the member's own committee's activities only (a member attends no other: services.attendance_*),
        # so the committee's index on the activities bounds the lookup whatever else the database holds
        f" WHERE t2.{q('member_id')} = m.{q('id')} AND ac.{q('committee_id')} = m.{q('committee_id')}"
        f" AND t2.{q('status')} = %s AND ac.{q('cancelled')} = %s"
        f" AND ac.{q('starts_at')} <= %s) AS last_day"
        f" FROM pm INNER JOIN {table(Member)} m ON m.{q('id')} = pm.mid"
        f" LEFT JOIN {table(Branch)} b ON b.{q('id')} = m.{q('branch_id')}"
    )
    params = last_params + (AttendanceStatus.PRESENT.value, False, connection.ops.adapt_datetimefield_value(last_until))
    return sql, order, params


def _member_tuple(mid, name, pinyin, bname, n, pr, lv, ex, last) -> tuple:
    n, pr, lv = int(n), int(pr), int(lv)
    return (int(mid), name, pinyin, bname, n, pr, lv, n - pr - lv, int(ex), as_date(last))


def member_rows(with_sql: str, params: tuple, *, sort: str, last_until, offset: int = 0,
                limit: int | None = None, cache_for=None) -> list[tuple]:
    """The member table sorted by ``sort`` (a ``MEMBER_ORDER`` key, ``-key`` descending), rows [offset,
    offset + limit) (all with limit None): (member pk, name, name_pinyin, branch name, expected, present,
    leave, absent, extra, last attended day). The last attended day is the local day of the member's latest
    present attendance at an activity not cancelled up to ``last_until`` (any activity, before the period
    too). One query."""
    select, order, select_params = _member_select(sort, last_until)
    sql = (f"{with_sql}{PM} SELECT r.mid, r.name, r.pinyin, r.bname, r.n, r.pr, r.lv, r.ex, r.last_day"
           f" FROM ({select}) r ORDER BY {order}")
    params = params + select_params
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params += (limit, offset)
    if limit is None:  # every row (the exports): streamed once, never kept in the cache
        cache_for = None
    return [_member_tuple(*row) for row in fetch_cached(sql, params, cache_for)]


def tallies_and_page(with_sql: str, params: tuple, *, sort: str, last_until, offset: int,
                     limit: int, cache_for=None) -> tuple[dict, int, list]:
    """``branch_tallies`` and one page of ``member_rows`` in ONE query (the tallies are computed once for
    both): ({branch id: (expected, present, leave, extra)}, number of member rows, [member row])."""
    select, order, select_params = _member_select(sort, last_until)
    sql = (
        f"{with_sql}{PM}, pg AS (SELECT r.*, ROW_NUMBER() OVER (ORDER BY {order}) AS pos FROM ({select}) r"
        f" ORDER BY {order} LIMIT %s OFFSET %s)"
        # the page first: PostgreSQL types a UNION pair by pair, and NULL against NULL would become text
        f" SELECT 2, pg.pos, pg.mid, pg.n, pg.pr, pg.lv, pg.ex, pg.name, pg.pinyin, pg.bname, pg.last_day FROM pg"
        f" UNION ALL SELECT 0, x.br, SUM(x.n), SUM(x.pr), SUM(x.lv), SUM(x.ex), NULL, NULL, NULL, NULL, NULL FROM x"
        f" GROUP BY x.br"
        f" UNION ALL SELECT 1, NULL, COUNT(*), 0, 0, 0, NULL, NULL, NULL, NULL, NULL FROM pm"
    )
    branches, members, page = {}, 0, []
    for part, key, a, n, pr, lv, ex, name, pinyin, bname, last in fetch_cached(
            sql, params + select_params + (limit, offset), cache_for):
        if part == 0:
            if key is not None:
                branches[key] = (int(a), int(n), int(pr), int(lv))
        elif part == 1:
            members = int(a)
        else:
            page.append((key, _member_tuple(a, name, pinyin, bname, n, pr, lv, ex, last)))
    return branches, members, [row for _pos, row in sorted(page, key=lambda item: item[0])]
