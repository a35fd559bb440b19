"""Benchmark the ledger at scale (run by hand, not in CI).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/taizhang_bench \
        .venv/bin/python benchmarks/ledger_scale.py --members 186000

Creates a committee with N members and ~2.475 events each (bulk COPY, bypassing the services for
speed; encryption is done once and reused since it does not affect query cost), then times the
pages and queries a secretary uses: the ledger list (default, search by initials, 60+ filter),
a member page, the home counts and an as-of roster. Use an empty database: it is wiped first.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

# The shape of the issue-10 tier per member (200,000 members: 495,000 flow events): ~2.475 events each.
EVENT_PLAN = {"reported": 0.7, "left_beijing": 0.35, "returned_of_left": 0.6, "moved_branch": 0.11,
              "lost_contact": 0.05, "restored_of_lost": 0.5, "ends": 0.03}
FIRST_DAY = datetime.date(2017, 9, 1)
LAST_DAY = datetime.date(2026, 11, 30)


def reserve_ids(model, count):
    """``count`` fresh primary keys of ``model`` from its sequence (PostgreSQL), for rows written by COPY."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model, columns, rows):
    """Write ``rows`` (tuples in the order of ``columns``) into ``model``'s table with COPY; returns the count."""
    with connection.cursor() as cursor:
        return copy_rows_table(cursor, model._meta.db_table, columns, rows)


def copy_rows_table(cursor, table, columns, rows):
    """COPY ``rows`` into ``table`` through a Django ``cursor`` (PostgreSQL, psycopg 3)."""
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    n = 0
    with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


@contextmanager
def bulk_load(models):
    """Load the benchmark's own rows fast: the non-unique indexes of ``models``' tables are dropped meanwhile and
    built again from their own definitions afterwards (kept in ``bench_dropped_index`` until then, so a run killed
    half-way has them restored by the next one), and the per-row foreign-key triggers are off for this session
    (``session_replication_role = replica``, for a superuser such as the local ``postgres``; the rows are
    consistent by construction). Unique constraints stay and are checked."""
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        restore_indexes(cursor)
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_dropped_index (name text PRIMARY KEY, definition text)")
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) AND NOT x.indisunique "
            "AND pg_table_is_visible(t.oid)", [tables])
        for name, definition in cursor.fetchall():
            cursor.execute("INSERT INTO bench_dropped_index VALUES (%s, %s) ON CONFLICT DO NOTHING", [name, definition])
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        try:
            cursor.execute("SET session_replication_role = replica")
        except DatabaseError as exc:  # not a superuser: the foreign keys are checked row by row
            print(f"  (foreign-key checks stay on: {exc})")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            started = time.perf_counter()
            restore_indexes(cursor)
            print(f"  indexes built again in {time.perf_counter() - started:.1f}s")


def restore_indexes(cursor):
    """Create the indexes ``bulk_load`` dropped (and has not built again yet)."""
    cursor.execute("SELECT to_regclass('bench_dropped_index')")
    if cursor.fetchone()[0] is None:
        return
    cursor.execute("SELECT name, definition FROM bench_dropped_index ORDER BY name")
    for name, definition in cursor.fetchall():
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is None:
            cursor.execute(definition)
        cursor.execute("DELETE FROM bench_dropped_index WHERE name = %s", [name])


def big_tables():
    """The models the tier fills in bulk (for ``bulk_load``)."""
    from taizhang.activities.models import Activity, Attendance, StudyRead
    from taizhang.members.models import FlowEvent, Member, RosterSpell
    from taizhang.points.models import PointEntry

    return [Member, FlowEvent, RosterSpell, Attendance, StudyRead, PointEntry, Activity.picked_members.through]


def rebuild(builder):
    """Wipe the database, run ``builder()`` with the big tables in bulk-load mode (``bulk_load``), then ANALYZE,
    project the activity tallies of the past months (the rows the services would have written had the history
    gone through them: ``tally_projection``) and ANALYZE again; returns what ``builder`` returned. Every build of
    the benchmarks (``build``, bench.py's tiers) goes this way."""
    from taizhang.activities import tally_projection

    call_command("flush", "--noinput", verbosity=0)
    with bulk_load(big_tables()):
        result = builder()
    analyze()
    tally_projection.advance_all()
    analyze()
    return result


def build(n):
    """Wipe the database and build the benchmark committee with ``n`` members; returns (admin, east secretary)."""
    tier = rebuild(lambda: build_committee(n))
    return tier["admin"], tier["secretary"]


def analyze():
    """Fresh planner statistics, as autovacuum would give after a bulk load."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def build_committee(n, *, name="基准测试党委", prefix="bench", seed=1):
    """Add a committee (through ``committee_create``: branches, districts, activity types, point rules) with
    ``n`` members and their flow history (~2.475 events each; bulk COPY, bypassing the services for speed;
    encryption is done once and reused since it does not affect query cost), its roster spells written by the
    projection's own functions, and its staff logins ``<prefix>_admin`` (committee admin) and ``<prefix>_east``
    (东部 branch secretary). Returns a dict with committee, admin, secretary, members, events."""
    from taizhang.accounts.models import RoleAssignment, User
    from taizhang.organisation.models import Branch, District
    from taizhang.organisation.services import committee_create

    committee = committee_create(actor=None, name=name, founded_on=FIRST_DAY)
    branches = list(Branch.objects.filter(committee=committee).order_by("sort_order"))
    districts = {b.pk: list(District.objects.filter(branch=b)) for b in branches}
    admin = User.objects.create_user(f"{prefix}_admin", password="x")
    RoleAssignment.objects.create(user=admin, role="committee_admin", committee=committee)
    secretary = User.objects.create_user(f"{prefix}_east", password="x")
    RoleAssignment.objects.create(user=secretary, role="branch_secretary", committee=committee, branch=branches[0])

    t0 = time.perf_counter()
    rng = random.Random(seed)
    events = 0
    for start in range(0, n, 5000):
        events += _add_members(committee, branches, districts, admin, rng, min(5000, n - start), offset=start,
                               prefix=prefix)
    with connection.cursor() as cursor:  # each member's newest event (ids follow recording order)
        cursor.execute(
            "UPDATE members_member m SET current_event_id = e.latest FROM "
            "(SELECT member_id, max(id) AS latest FROM members_flowevent GROUP BY member_id) e "
            "WHERE e.member_id = m.id AND m.committee_id = %s", [committee.pk])
    print(f"  {name}: {n} members, {events} flow events in {time.perf_counter() - t0:.1f}s")
    return {"committee": committee, "admin": admin, "secretary": secretary, "members": n, "events": events,
            "branches": branches}


def _history(rng, branches):
    """One member's flow history: [(kind, day, status after, branch after)] in date order."""
    plan = EVENT_PLAN
    branch = rng.choice(branches).pk
    day = FIRST_DAY + datetime.timedelta(days=rng.randrange(2000))
    out = []

    def step(kind, status, days=(30, 500)):
        nonlocal day
        nxt = day + datetime.timedelta(days=rng.randrange(*days))
        if nxt > LAST_DAY:
            return False
        day = nxt
        out.append((kind, day, status, branch))
        return True

    if rng.random() < plan["reported"]:
        out.append(("registered", day, "awaiting", branch))
        step("reported", "active", (7, 60))
    else:
        out.append(("registered", day, "active", branch))
    if rng.random() < plan["moved_branch"]:
        branch = rng.choice([b.pk for b in branches if b.pk != branch])
        step("moved_branch", "active")
    if rng.random() < plan["left_beijing"] and step("left_beijing", "outflow"):
        if rng.random() < plan["returned_of_left"]:
            step("returned", "active", (60, 700))
    if rng.random() < plan["lost_contact"] and step("lost_contact", "lost"):
        if rng.random() < plan["restored_of_lost"]:
            step("contact_restored", "active", (60, 400))
    if rng.random() < plan["ends"]:
        step(*rng.choice([("deceased", "deceased"), ("transferred_out", "transferred")]))
    return out


def _add_members(committee, branches, districts, admin, rng, count, *, offset, prefix):
    from taizhang.core import crypto
    from taizhang.core.chinese import pinyin_full, pinyin_initials
    from taizhang.members import projection
    from taizhang.members.models import FlowEvent, Member

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
    token_id = crypto.encrypt("370202198001010011")
    token_phone = crypto.encrypt("13800000000")
    batch, histories = [], []
    for j in range(count):
        i = offset + j
        name = rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.7 else "")
        history = _history(rng, branches)
        branch_id = history[-1][3]
        district = rng.choice(districts[branch_id])
        birth = datetime.date(1940 + rng.randrange(62), rng.randrange(1, 13), rng.randrange(1, 28))
        batch.append(Member(
            committee=committee, branch_id=branch_id, district=district, name=name,
            name_pinyin=pinyin_full(name), name_initials=pinyin_initials(name), gender=rng.choice("MF"),
            birth_date=birth, id_number_encrypted=token_id, id_number_hash=f"{prefix}h{i:012d}",
            id_number_prefix="3702", id_number_last4=f"{i % 10000:04d}", phone_encrypted=token_phone,
            phone_hash=f"{prefix}p{i:012d}", phone_prefix="138", phone_last4=f"{(i * 7) % 10000:04d}",
            membership_type="full", join_date=datetime.date(birth.year + 25, 7, 1),
            full_membership_date=datetime.date(birth.year + 26, 7, 1),
            category=rng.choice(["working", "resident", "stationed"]),
            last_contact_date=datetime.date(2026, 1, 1),
        ))
        histories.append(history)
    created = Member.objects.bulk_create(batch)
    n_events = sum(len(h) for h in histories)
    ids = iter(reserve_ids(FlowEvent, n_events))
    rows = []
    for m, history in zip(created, histories, strict=True):
        for kind, day, status, branch_id in history:
            rows.append(projection.EventRow(m.pk, next(ids), kind, day, status, branch_id, None))
    now = timezone.now()
    copy_rows(FlowEvent, ["id", "member_id", "kind", "effective_date", "recorded_at", "recorded_by_id", "reason",
                          "details", "status_after", "branch_after_id"],
              ((e.event_id, e.member_id, e.kind, e.effective_date, now, admin.pk, "", "{}", e.status_after,
                e.branch_after_id) for e in rows))
    # The roster projection, as the services would write it (bulk: the projection's own functions).
    projection.insert_spells(projection.spells_from_events(rows, {m.pk: m.committee_id for m in created}))
    return len(rows)


def timed(label, fn, repeat=5):
    samples = []
    for _ in range(repeat):
        reset_queries()
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"{label:<44} median {statistics.median(samples):8.1f} ms   max {max(samples):8.1f} ms   queries {len(connection.queries)}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50000)
    parser.add_argument("--reuse", action="store_true", help="do not rebuild the data")
    args = parser.parse_args()
    from taizhang.accounts.models import User
    from taizhang.members import selectors
    from taizhang.members.models import Member

    if args.reuse:
        admin, secretary = User.objects.get(username="bench_admin"), User.objects.get(username="bench_east")
    else:
        admin, secretary = build(args.members)
    print(f"database: {connection.vendor}, members: {Member.objects.count()}")
    with override_settings(DEBUG=True):
        for user in (admin, secretary):
            client = Client()
            client.force_login(user)
            print(f"-- as {user.username}")
            timed("ledger list (default: on the roster)", lambda c=client: c.get("/members/"))
            timed("ledger list, search initials 'wl'", lambda c=client: c.get("/members/?q=wl"))
            timed("ledger list, 60+ sorted by age", lambda c=client: c.get("/members/?age=60plus&sort=-age"))
            timed("ledger list page 50, 100 per page", lambda c=client: c.get("/members/?page=50&per_page=100"))
            pk = selectors.member_queryset(user).values_list("pk", flat=True).first()
            timed("member page", lambda c=client, pk=pk: c.get(f"/members/{pk}/"))
            timed("home page (counts by branch/category/status)", lambda c=client: c.get("/"))
            timed("roster as of 2020-01-01 (all)", lambda: selectors.roster_counts(None, datetime.date(2020, 1, 1)), repeat=3)


if __name__ == "__main__":
    main()
