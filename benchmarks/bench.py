"""Issue 10's benchmark (run by hand, not in CI): build a tier on PostgreSQL, time every page of the issue's
table through Django's test client and print ONE table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/taizhang_bench \
        .venv/bin/python benchmarks/bench.py --members 20000 --out var/bench/bench-20000.json

(``make bench`` does this with BENCH_MEMBERS and BENCH_URL.) The database must exist; it is migrated and wiped.

The tier: the committee "基准测试党委" with ``--members`` members in the issue's proportions per member (200,000
members: 495,000 flow events, 9,780 activities, 4.6 M attendance rows, 6.2 M point entries, 2.3 M study reads;
``ledger_scale.build_committee`` and ``activities_scale.add_activities``, bulk COPY, roster spells written by
the projection's own functions) and, beside it, the 186-member committee "小党委" with its own admin. Building
the 20,000-member tier takes about a minute on 2 busy cores; the 200,000-member one about ten times that.
``--reuse`` times an existing tier.

Each page is requested ``--warmup`` times, then ``--repeat`` times (default 7), as the committee admin
(bench_admin), the 东部 branch secretary (bench_east) and, for the peer (Django's admin changelist of Member),
a superuser (bench_super). Also the reports dashboard (issue 14, goal 300 ms) and the JSON API's members list,
initials search and roster (issue 15; goals as the ledger list, its search and the home page), read with the
login's session. Per page and role: p50
and p95 of the wall time, the queries of one request, their SQL time (measured around every ``execute`` with
``connection.execute_wrapper``), the page's size, the ratio p95 / (SQL ms + the floor's p50) and pass/fail: p95 within the issue's goal and the ratio within 1.5 (the
peer passes when the ledger list's p95 is at most a third of its own).

The many-committee ratio: 小党委's pages timed inside the tier and in a database that holds only that committee
(``--alone-url``, created if missing and rebuilt every run in a few seconds from the same seeds, so it is the
same committee), in ``--rounds`` alternating rounds (default 3) so that the load of a shared machine falls on
both alike; the ratio inside / alone of the p50 over all rounds must stay within 1.2. ``--no-alone`` skips it.

Growth between tiers: ``--compare-tiers 20000,200000`` builds each tier in turn in the same database (the last
one stays) and prints the growth per page; ``--compare A.json B.json`` compares two saved runs (``--out``).
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic needed to time pages

import django  # noqa: E402

django.setup()

import activities_scale  # noqa: E402
import ledger_scale  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

BIG = {"name": "基准测试党委", "prefix": "bench", "seed": 1, "activity_seed": 2}
SMALL = {"name": "小党委", "prefix": "small", "seed": 7, "activity_seed": 8, "members": 186}
AS_OF = "2022-06-30"
REPORT = ("2022-01-01", "2025-12-31")  # four years
PARTICIPATION = ("2025-01-01", "2025-12-31")  # one year
RATIO_GOAL = 1.5  # p95 within 1.5 × (SQL ms + floor)
COMMITTEE_RATIO_GOAL = 1.2
PEER_FACTOR = 3  # the ledger list at least 3× faster than the admin changelist


# --- the pages -----------------------------------------------------------------------------------------------


def pages_for(user, committee):
    """[(key, label, url, goal ms)] of issue 10's table for ``user`` in ``committee``: the ids (a member of 东部,
    a past committee-wide activity, a committee-wide study item) are chosen by rule, so the same committee built
    twice gets the same pages."""
    from taizhang.activities.models import Activity, StudyItem
    from taizhang.members.models import Member

    east = Member.objects.filter(committee=committee, branch__code="east").order_by("pk").values_list("pk", flat=True)
    member = east[min(100, east.count() - 1)]
    activity = (Activity.objects.filter(committee=committee, audience_kind="committee", cancelled=False,
                                        starts_at__lt=timezone.now()).order_by("-starts_at", "-pk").first())
    item = StudyItem.objects.filter(committee=committee, audience_kind="committee").order_by("-published_at").first()
    return [
        ("ledger", "ledger list, default", "/members/", 100),
        ("initials", "ledger search by initials (wl)", "/members/?q=wl", 50),
        ("name", "ledger search by name (王丽)", "/members/?q=王丽", 100),
        ("member", "member page", f"/members/{member}/", 100),
        ("home", "home dashboard, today", "/", 200),
        ("home_as_of", f"home dashboard as of {AS_OF}", f"/?as_of={AS_OF}", 200),
        ("activity", "activity page, committee-wide", f"/activities/{activity.pk}/", 200),
        ("not_read", "study item not-read list, committee", f"/study/{item.pk}/readers/", 200),
        ("report", "activity report, four years", f"/reports/activities/?date_from={REPORT[0]}&date_to={REPORT[1]}",
         1000),
        ("participation", "points participation, one year",
         f"/points/participation/?date_from={PARTICIPATION[0]}&date_to={PARTICIPATION[1]}", 1000),
        ("dashboard", "dashboard (看板), today", "/reports/dashboard/", 300),
        ("dashboard_as_of", f"dashboard (看板) as of {AS_OF}", f"/reports/dashboard/?day={AS_OF}", 300),
        # issue 15: the JSON API's members list and roster, with the pages' targets (session auth, like a
        # same-origin call; a token would add one indexed lookup)
        ("api_members", "API members list, default", "/api/v1/members/", 100),
        ("api_initials", "API members search by initials (wl)", "/api/v1/members/?q=wl", 50),
        ("api_roster", f"API roster counts as of {AS_OF}", f"/api/v1/roster/?as_of={AS_OF}", 200),
        ("api_roster_members", f"API roster members as of {AS_OF}", f"/api/v1/roster/members?as_of={AS_OF}", 100),
        ("floor", "framework floor (trivial logged-in page)", "/accounts/password/", None),
    ]


PEER = ("peer", "peer: Django admin changelist of Member", "/bench-admin/members/member/", None)


class SqlTimer:
    """``connection.execute_wrapper``: counts the queries and sums the time spent in ``execute``."""

    def __init__(self):
        self.queries, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def p95(samples):
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def measure(client, url, *, repeat, warmup, slow):
    """Time ``url``: warm-up, then ``repeat`` requests (2 when the warm-up alone took more than ``slow`` s)."""
    started = time.perf_counter()
    response = None
    for _ in range(warmup):
        response = client.get(url)
    if response is not None and response.status_code != 200:
        return {"status": response.status_code}
    if warmup and time.perf_counter() - started > slow * warmup:
        repeat = min(repeat, 2)
    walls, sqls, queries, size = [], [], [], 0
    for _ in range(repeat):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            t0 = time.perf_counter()
            response = client.get(url)
            walls.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            return {"status": response.status_code}
        sqls.append(timer.seconds * 1000)
        queries.append(timer.queries)
        size = len(response.content)
    return {"status": 200, "n": repeat, "p50": statistics.median(walls), "p95": p95(walls),
            "sql_ms": statistics.median(sqls), "queries": max(queries), "kb": size / 1024, "samples": walls}


def merge_rounds(rounds):
    """One row per page from the rows of several rounds: p50 and p95 over all their samples."""
    merged = {}
    for rows in rounds:
        for r in rows:
            key = (r["page"], r["role"])
            if key not in merged or r["status"] != 200:
                merged[key] = dict(r)
            elif merged[key]["status"] == 200:
                m = merged[key]
                m["samples"] = m["samples"] + r["samples"]
                m["n"], m["p50"], m["p95"] = len(m["samples"]), statistics.median(m["samples"]), p95(m["samples"])
    return list(merged.values())


def time_pages(users, *, repeat, warmup, slow, only=""):
    """Time every page for each (role label, user, committee); returns the rows of the table."""
    rows = []
    with override_settings(DEBUG=False):
        for role, user, committee in users:
            client = Client()
            client.force_login(user)
            pages = [PEER] if role == "superuser" else pages_for(user, committee)
            if role == "superuser":
                pages.append(("floor", "framework floor (trivial logged-in page)", "/accounts/password/", None))
            for key, label, url, goal in pages:
                if only and key != "floor" and not any(part in key for part in only.split(",")):
                    continue
                print(f"  {role:<10} {label} …", end="", flush=True)
                result = measure(client, url, repeat=repeat, warmup=warmup, slow=slow)
                print(f" {result.get('p50', 0):.0f} ms" if result["status"] == 200 else f" HTTP {result['status']}")
                rows.append({"page": key, "label": label, "role": role, "url": url, "goal_ms": goal} | result)
    judge(rows)
    return rows


def judge(rows):
    """Ratio to (SQL + floor) and pass/fail, in place."""
    floors = {r["role"]: r["p50"] for r in rows if r["page"] == "floor" and r["status"] == 200}
    ledger_admin = next((r for r in rows if r["page"] == "ledger" and r["role"] == "admin" and r["status"] == 200),
                        None)
    for r in rows:
        if r["status"] != 200:
            r["result"] = f"HTTP {r['status']}"
            continue
        floor = floors.get(r["role"], 0.0)
        r["ratio"] = r["p95"] / (r["sql_ms"] + floor) if r["page"] != "floor" else None
        if r["page"] == "floor":
            r["result"], r["goal"] = "—", "—"
        elif r["page"] == "peer":
            r["goal"] = f"list ≥{PEER_FACTOR}× faster"
            if ledger_admin is None:
                r["result"] = "—"
            else:
                r["faster"] = r["p95"] / ledger_admin["p95"]
                r["result"] = (f"pass ({r['faster']:.1f}×)" if r["faster"] >= PEER_FACTOR
                               else f"FAIL ({r['faster']:.1f}×)")
        else:
            r["goal"] = f"{r['goal_ms']} ms"
            missed = [what for what, bad in (("p95", r["p95"] > r["goal_ms"]), ("ratio", r["ratio"] > RATIO_GOAL))
                      if bad]
            r["result"] = "pass" if not missed else "FAIL " + "+".join(missed)


# --- printing ------------------------------------------------------------------------------------------------


def _width(text):
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E7F else 1 for c in str(text))


def render_table(header, lines):
    widths = [max(_width(x) for x in col) for col in zip(header, *lines, strict=True)]

    def fmt(line):
        cells = []
        for i, (cell, w) in enumerate(zip(line, widths, strict=True)):
            pad = " " * (w - _width(cell))
            cells.append(f"{cell}{pad}" if i < 2 or i == len(line) - 1 else f"{pad}{cell}")
        return "  ".join(cells).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    return "\n".join(out + [fmt(line) for line in lines])


def markdown_table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in line) + " |" for line in lines])


def _ms(value):
    return "—" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


PAGE_HEADER = ["page", "role", "p50 ms", "p95 ms", "n", "queries", "SQL ms", "ratio", "KB", "goal (p95)", "result"]


def page_lines(rows):
    lines = []
    for r in rows:
        if r["status"] != 200:
            lines.append([r["label"], r["role"], "—", "—", "—", "—", "—", "—", "—",
                          "—" if r["goal_ms"] is None else f"{r['goal_ms']} ms", r["result"]])
            continue
        lines.append([r["label"], r["role"], _ms(r["p50"]), _ms(r["p95"]), r["n"], r["queries"], _ms(r["sql_ms"]),
                      "—" if r["ratio"] is None else f"{r['ratio']:.2f}", f"{r['kb']:,.0f}", r["goal"], r["result"]])
    return lines


COMMITTEE_HEADER = ["page (小党委, its admin)", "alone p50", "inside p50", "ratio p50", "alone p95", "inside p95",
                    "ratio p95", "result"]


def committee_lines(alone, inside):
    lines = []
    by_page = {r["page"]: r for r in alone}
    for r in inside:
        a = by_page.get(r["page"])
        if a is None or r["status"] != 200 or a["status"] != 200:
            lines.append([r["label"], "—", "—", "—", "—", "—", "—", "HTTP error"])
            continue
        ratio50, ratio95 = r["p50"] / a["p50"], r["p95"] / a["p95"]
        verdict = "—" if r["page"] == "floor" else "pass" if ratio50 <= COMMITTEE_RATIO_GOAL else "FAIL"
        lines.append([r["label"], _ms(a["p50"]), _ms(r["p50"]), f"{ratio50:.2f}", _ms(a["p95"]), _ms(r["p95"]),
                      f"{ratio95:.2f}", verdict])
    return lines


GROWTH_HEADER = ["page", "role", "p50 A", "p50 B", "growth p50", "p95 A", "p95 B", "growth p95", "queries A→B"]


def growth_lines(a_rows, b_rows):
    by_key = {(r["page"], r["role"]): r for r in a_rows}
    lines = []
    for b in b_rows:
        a = by_key.get((b["page"], b["role"]))
        if a is None or a["status"] != 200 or b["status"] != 200:
            continue
        lines.append([b["label"], b["role"], _ms(a["p50"]), _ms(b["p50"]), f"{b['p50'] / a['p50']:.1f}×",
                      _ms(a["p95"]), _ms(b["p95"]), f"{b['p95'] / a['p95']:.1f}×", f"{a['queries']}→{b['queries']}"])
    return lines


def write_out(path, result):
    """``--out``: Markdown when the name ends in .md, JSON otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".md":
        text = [f"# Benchmark: {result['tier']}", "", markdown_table(PAGE_HEADER, page_lines(result["rows"]))]
        if result.get("committee"):
            text += ["", f"## Many committees: 小党委 alone vs inside the tier (goal: ratio of p50 ≤ "
                         f"{COMMITTEE_RATIO_GOAL})", "",
                     markdown_table(COMMITTEE_HEADER, committee_lines(result["committee"]["alone"],
                                                                      result["committee"]["inside"]))]
        path.write_text("\n".join(text) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"\nwritten to {path}")


# --- building ------------------------------------------------------------------------------------------------


META = "bench_meta"


def _meta_set(key, value):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META} (key text PRIMARY KEY, value text)")
        cursor.execute(f"INSERT INTO {META} VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       [key, json.dumps(value, ensure_ascii=False, default=str)])


def _meta_get(key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT value FROM {META} WHERE key = %s", [key])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def build_one(spec, members):
    tier = ledger_scale.build_committee(members, name=spec["name"], prefix=spec["prefix"], seed=spec["seed"])
    tier |= activities_scale.add_activities(tier["admin"], committee=tier["committee"], seed=spec["activity_seed"])
    return tier


def build_tier(members, *, small=True):
    """Wipe the database and build the tier (the big committee, then 小党委 beside it, and the superuser)."""
    from taizhang.accounts.models import User

    def committees():
        big = build_one(BIG, members)
        if small:
            build_one(SMALL, SMALL["members"])
        User.objects.create_superuser("bench_super", password="x")
        return big

    call_command("migrate", "--noinput", verbosity=0)
    started = time.perf_counter()
    print(f"building the tier: {members} members + 小党委 ({SMALL['members']}) …")
    big = ledger_scale.rebuild(committees)
    renew_generations()
    seconds = time.perf_counter() - started
    counts = {k: big[k] for k in ("members", "events", "activities", "attendance", "points", "reads")}
    _meta_set("tier", {"members": members, "build_seconds": round(seconds, 1), "counts": counts,
                       "built_at": timezone.now().isoformat(timespec="seconds")})
    print(f"built in {seconds:.0f} s ({seconds / 60:.1f} min)")


def renew_generations():
    """Every committee's data generations anew (``core.generations``): the tier was written by COPY, behind the
    services' back, and a committee without generations is never cached."""
    from taizhang.core import generations
    from taizhang.organisation.models import Committee

    generations.renew_all(Committee.objects.values_list("pk", flat=True))


def tier_summary():
    from taizhang.activities.models import Activity, Attendance, StudyRead
    from taizhang.members.models import FlowEvent, Member, RosterSpell
    from taizhang.organisation.models import Committee
    from taizhang.points.models import PointEntry

    big = Committee.objects.get(name=BIG["name"])
    counts = {
        "members": Member.objects.filter(committee=big).count(),
        "events": FlowEvent.objects.filter(member__committee=big).count(),
        "spells": RosterSpell.objects.filter(committee=big).count(),
        "activities": Activity.objects.filter(committee=big).count(),
        "attendance": Attendance.objects.filter(activity__committee=big).count(),
        "points": PointEntry.objects.filter(committee=big).count(),
        "reads": StudyRead.objects.filter(item__committee=big).count(),
    }
    meta = _meta_get("tier") or {}
    text = (f"{counts['members']:,} members, {counts['events']:,} flow events ({counts['spells']:,} spells), "
            f"{counts['activities']:,} activities, {counts['attendance']:,} attendance rows, "
            f"{counts['points']:,} point entries, {counts['reads']:,} study reads")
    if meta.get("build_seconds") is not None:
        text += f"; built in {meta['build_seconds'] / 60:.1f} min"
    return text, counts, meta


def users_of(spec):
    from taizhang.accounts.models import User
    from taizhang.organisation.models import Committee

    committee = Committee.objects.get(name=spec["name"])
    admin = User.objects.get(username=f"{spec['prefix']}_admin")
    east = User.objects.get(username=f"{spec['prefix']}_east")
    return committee, admin, east


# --- the alone database and other tiers (subprocesses with another DATABASE_URL) ----------------------------


def _database_url(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def ensure_database(url):
    name = urlsplit(url).path.lstrip("/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
            print(f"created database {name}")


def run_self(args, *, env_url=None):
    env = dict(os.environ)
    if env_url:
        env["DATABASE_URL"] = env_url
    subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, check=True)


def alone_only(args):
    """In the alone database: build 小党委 by itself (unless ``--reuse``), time its admin's pages (if ``--out``)."""
    if not args.reuse:
        call_command("migrate", "--noinput", verbosity=0)
        started = time.perf_counter()
        ledger_scale.rebuild(lambda: build_one(SMALL, SMALL["members"]))
        print(f"  built 小党委 alone in {time.perf_counter() - started:.1f} s")
    if args.out:
        committee, admin, _east = users_of(SMALL)
        rows = time_pages([("admin", admin, committee)], repeat=args.repeat, warmup=args.warmup, slow=args.slow,
                          only=args.only)
        Path(args.out).write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")


def compare(path_a, path_b):
    a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (path_a, path_b))
    print(f"A: {a['tier']}\nB: {b['tier']}\n")
    print(render_table(GROWTH_HEADER, growth_lines(a["rows"], b["rows"])))


# --- main ----------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20000, help="members of the tier's big committee")
    parser.add_argument("--reuse", action="store_true", help="time the tier already in the database")
    parser.add_argument("--repeat", type=int, default=7, help="timed requests per page (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed requests per page first")
    parser.add_argument("--slow", type=float, default=20,
                        help="a page whose warm-up takes longer than this (s) is timed only twice")
    parser.add_argument("--only", default="", help="time only the pages whose key contains this (comma-separated: any of these; and the floor)")
    parser.add_argument("--out", help="also write the table here (.md: Markdown, otherwise JSON)")
    parser.add_argument("--alone-url", help="database for 小党委 alone (default: this database's name + _alone)")
    parser.add_argument("--no-alone", action="store_true", help="skip the many-committee ratio")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of 小党委 inside / alone (each --repeat requests a page)")
    parser.add_argument("--compare-tiers", help="e.g. 20000,200000: build and time each tier, print the growth")
    parser.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="growth between two saved runs")
    parser.add_argument("--alone-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress lines show at once, also into a log file
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: DATABASE_URL=postgres://… (bulk COPY, and the tier is PostgreSQL's).")
    if args.compare:
        return compare(*args.compare)
    if args.alone_only:
        return alone_only(args)
    if args.compare_tiers:
        sizes = [int(s) for s in args.compare_tiers.split(",")]
        out_dir = Path(args.out).parent if args.out else Path("var/bench")
        paths = []
        for size in sizes:
            path = out_dir / f"bench-{size}.json"
            run_self(["--members", str(size), "--no-alone", "--repeat", str(args.repeat), "--warmup",
                      str(args.warmup), "--slow", str(args.slow), "--out", str(path)]
                     + (["--only", args.only] if args.only else []))
            paths.append(path)
        print()
        for a, b in zip(paths, paths[1:], strict=False):
            compare(a, b)
        return None

    if not args.reuse:
        build_tier(args.members)
    summary, counts, meta = tier_summary()
    print(f"\ntier: {summary}")
    committee, admin, east = users_of(BIG)
    from taizhang.accounts.models import User

    superuser = User.objects.get(username="bench_super")
    print(f"timing ({args.warmup} warm-up + {args.repeat} requests per page) …")
    rows = time_pages([("admin", admin, committee), ("secretary", east, committee), ("superuser", superuser, None)],
                      repeat=args.repeat, warmup=args.warmup, slow=args.slow, only=args.only)
    result = {"tier": summary, "counts": counts, "build_seconds": meta.get("build_seconds"), "repeat": args.repeat,
              "timed_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "rows": rows}

    if not args.no_alone:
        small_committee, small_admin, _ = users_of(SMALL)
        alone_url = args.alone_url or _database_url(os.environ["DATABASE_URL"],
                                                    connection.settings_dict["NAME"] + "_alone")
        ensure_database(alone_url)
        print(f"building 小党委 alone in {urlsplit(alone_url).path.lstrip('/')} …")
        run_self(["--alone-only"], env_url=alone_url)
        inside, alone = [], []
        for i in range(args.rounds):
            print(f"round {i + 1}/{args.rounds}: 小党委 inside the tier …")
            inside.append(time_pages([("admin", small_admin, small_committee)], repeat=args.repeat,
                                     warmup=args.warmup, slow=args.slow, only=args.only))
            print(f"round {i + 1}/{args.rounds}: 小党委 alone …")
            with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
                run_self(["--alone-only", "--reuse", "--repeat", str(args.repeat), "--warmup", str(args.warmup),
                          "--slow", str(args.slow), "--out", tmp.name] + (["--only", args.only] if args.only else []),
                         env_url=alone_url)
                alone.append(json.loads(Path(tmp.name).read_text(encoding="utf-8")))
        result["committee"] = {"alone": merge_rounds(alone), "inside": merge_rounds(inside)}

    print(f"\n== {summary}\n   p95 goal from issue 10; ratio = p95 / (SQL ms + floor p50), goal ≤ {RATIO_GOAL}\n")
    print(render_table(PAGE_HEADER, page_lines(rows)))
    if result.get("committee"):
        print(f"\n== many committees: 小党委 ({SMALL['members']} members) alone vs inside the tier; "
              f"goal: ratio of p50 ≤ {COMMITTEE_RATIO_GOAL}\n")
        print(render_table(COMMITTEE_HEADER, committee_lines(result["committee"]["alone"],
                                                             result["committee"]["inside"])))
    if args.out:
        write_out(args.out, result)
    return None


if __name__ == "__main__":
    main()
