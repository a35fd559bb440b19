"""EXPLAIN (ANALYZE, BUFFERS) the slowest queries of one page of a benchmark tier (by hand, PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_20k \
        .venv/bin/python benchmarks/page_explain.py /reports/activities/?date_from=2022-01-01 --user bench_admin

Requests the page once through Django's test client as ``--user`` (after ``--warmup`` untimed requests), times
every query of that request and prints the ``--top`` slowest with their plans (and ``--sql`` their text), so a
miss of ``bench.py``'s table can be traced to its query.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


class Recorder:
    """``connection.execute_wrapper``: every query of the request with its time."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(((time.perf_counter() - started) * 1000, sql, params))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--user", default="bench_admin")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--top", type=int, default=2, help="how many of the slowest queries to EXPLAIN")
    parser.add_argument("--sql", action="store_true", help="print each explained query's SQL too")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL (DATABASE_URL=postgres://…).")
    from taizhang.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=args.user))
    with override_settings(DEBUG=False):
        for _ in range(args.warmup):
            client.get(args.url)
        recorder = Recorder()
        with connection.execute_wrapper(recorder):
            started = time.perf_counter()
            response = client.get(args.url)
            wall = (time.perf_counter() - started) * 1000
    sql_ms = sum(ms for ms, _sql, _params in recorder.queries)
    print(f"{args.url} as {args.user}: HTTP {response.status_code}, {wall:.0f} ms, {len(recorder.queries)} queries, "
          f"SQL {sql_ms:.0f} ms, {len(response.content) / 1024:.0f} KB")
    for ms, sql, _params in sorted(recorder.queries, key=lambda q: -q[0])[:8]:
        print(f"  {ms:8.1f} ms  {' '.join(sql.split())[:150]}")
    for ms, sql, params in sorted(recorder.queries, key=lambda q: -q[0])[:args.top]:
        print(f"\n=== {ms:.1f} ms")
        if args.sql:
            with connection.cursor() as cursor:
                print(cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql)
        settings = []
        while sql.startswith("SET LOCAL"):  # the tallies' settings (activities.tallies.fetch): set them alike
            setting, sql = sql.split("; ", 1)
            settings.append(setting)
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
