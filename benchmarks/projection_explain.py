"""EXPLAIN the roster questions that read the roster projection (``RosterSpell``), on PostgreSQL (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/taizhang_bench \
        .venv/bin/python benchmarks/projection_explain.py --members 3000 [--activities 300] [--reuse]

Builds the ledger and the activities with ``ledger_scale.build`` and ``activities_scale.add_activities``
(the database is wiped first, unless ``--reuse``), then runs each question once, captures its SQL and
prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the queries that touch the spells, with the time each took:

* the as-of roster counts (home page, ``roster`` command) for the committee admin and a branch secretary;
* 应到 of a year's activities at once (the activity list's counts, ``expected_counts``);
* 应到 per member for a year (points participation and the reports, ``expected_rows``);
* 应到 of one branch activity (the tick list, ``expected_attendees``) and "is this member invited".
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import activities_scale  # noqa: E402
import ledger_scale  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def explain(label, fn, *, all_queries=False):
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        fn()
        took = (time.perf_counter() - started) * 1000
    queries = [q["sql"] for q in captured.captured_queries if "members_rosterspell" in q["sql"] or all_queries]
    print(f"\n=== {label}: {took:.1f} ms, {len(captured.captured_queries)} queries")
    for sql in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--activities", type=int, default=300)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL (DATABASE_URL=postgres://…).")

    from taizhang.accounts.models import User
    from taizhang.activities import selectors
    from taizhang.activities.models import Activity
    from taizhang.members.models import Member, RosterSpell
    from taizhang.members.selectors import roster_counts

    if args.reuse:
        admin, secretary = User.objects.get(username="bench_admin"), User.objects.get(username="bench_east")
    else:
        admin, secretary = ledger_scale.build(args.members)
        activities_scale.add_activities(admin, n_activities=args.activities)
    print(f"members {Member.objects.count()}, spells {RosterSpell.objects.count()}, "
          f"activities {Activity.objects.count()}")
    day = datetime.date(2022, 6, 30)
    explain("roster counts as of 2022-06-30, committee admin", lambda: roster_counts(admin, day))
    explain("roster counts as of 2022-06-30, east secretary", lambda: roster_counts(secretary, day))
    committee = admin.role_assignments.get(role="committee_admin").committee_id
    year = list(Activity.objects.filter(committee_id=committee, starts_at__year=2022).order_by("starts_at"))
    explain(f"应到 counts of the {len(year)} activities of 2022 (admin)", lambda: selectors.expected_counts(year, user=admin))
    explain(f"应到 counts of the {len(year)} activities of 2022 (east secretary)",
            lambda: selectors.expected_counts(year, user=secretary))
    explain("应到 per member, 2022 (points participation)", lambda: selectors.expected_rows(year, None, group_by="member"))
    branch_activity = next(a for a in year if a.audience_kind == "branch")
    explain("应到 of one branch activity (tick list)",
            lambda: selectors.expected_attendees(branch_activity).count())
    member = Member.objects.filter(branch_id=branch_activity.audience_branch_id).order_by("pk").first()
    explain("is one member invited (on that day)", lambda: selectors.is_invited(branch_activity, member, branch_activity.date))


if __name__ == "__main__":
    main()
