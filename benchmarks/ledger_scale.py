"""Benchmark the ledger at scale (run by hand, not in CI).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/taizhang_bench \
        .venv/bin/python benchmarks/ledger_scale.py --members 186000

Creates a committee with N members and ~2.5 events each (bulk inserts, bypassing the services for
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


def build(n):
    from taizhang.accounts.models import RoleAssignment, User
    from taizhang.core import crypto
    from taizhang.core.chinese import pinyin_full, pinyin_initials
    from taizhang.members.models import Member
    from taizhang.organisation.models import DEFAULT_BRANCHES, Branch, Committee, District

    call_command("flush", "--noinput", verbosity=0)
    committee = Committee.objects.create(name="基准测试党委", founded_on=datetime.date(2017, 9, 1))
    branches, districts = [], []
    for order, (code, name, names) in enumerate(DEFAULT_BRANCHES):
        b = Branch.objects.create(committee=committee, code=code, name=name, sort_order=order)
        branches.append(b)
        for d in names:
            districts.append(District.objects.create(committee=committee, name=d, branch=b))
    admin = User.objects.create_user("bench_admin", password="x")
    RoleAssignment.objects.create(user=admin, role="committee_admin", committee=committee)
    secretary = User.objects.create_user("bench_east", password="x")
    RoleAssignment.objects.create(user=secretary, role="branch_secretary", committee=committee, branch=branches[0])

    rng = random.Random(1)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
    token_id = crypto.encrypt("370202198001010011")
    token_phone = crypto.encrypt("13800000000")
    t0 = time.perf_counter()
    batch, events = [], 0
    for i in range(n):
        name = rng.choice(surnames) + rng.choice(given) + (rng.choice(given) if rng.random() < 0.7 else "")
        district = rng.choice(districts)
        birth = datetime.date(1940 + rng.randrange(62), rng.randrange(1, 13), rng.randrange(1, 28))
        batch.append(Member(
            committee=committee, branch_id=district.branch_id, district=district, name=name,
            name_pinyin=pinyin_full(name), name_initials=pinyin_initials(name), gender=rng.choice("MF"),
            birth_date=birth, id_number_encrypted=token_id, id_number_hash=f"h{i:063d}",
            id_number_prefix="3702", id_number_last4=f"{i % 10000:04d}", phone_encrypted=token_phone,
            phone_hash=f"p{i:063d}", phone_prefix="138", phone_last4=f"{(i * 7) % 10000:04d}",
            membership_type="full", join_date=datetime.date(birth.year + 25, 7, 1),
            full_membership_date=datetime.date(birth.year + 26, 7, 1),
            category=rng.choice(["working", "resident", "stationed"]),
            last_contact_date=datetime.date(2026, 1, 1),
        ))
        if len(batch) == 5000:
            events += _flush(batch, admin, rng)
            batch = []
    if batch:
        events += _flush(batch, admin, rng)
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would give
        cursor.execute("ANALYZE")
    print(f"built {n} members, {events} events in {time.perf_counter() - t0:.1f}s")
    return admin, secretary


def _flush(batch, admin, rng):
    from taizhang.members.models import FlowEvent, Member

    created = Member.objects.bulk_create(batch)
    events = []
    for m in created:
        day = datetime.date(2017, 9, 1) + datetime.timedelta(days=rng.randrange(2000))
        events.append(FlowEvent(member_id=m.pk, kind="registered", effective_date=day, recorded_by=admin,
                                status_after="active", branch_after_id=m.branch_id))
        if rng.random() < 0.5:
            day2 = day + datetime.timedelta(days=rng.randrange(1, 900))
            events.append(FlowEvent(member_id=m.pk, kind="left_beijing", effective_date=day2, recorded_by=admin,
                                    status_after="outflow", branch_after_id=m.branch_id))
            if rng.random() < 0.6:
                events.append(FlowEvent(member_id=m.pk, kind="returned", effective_date=day2 + datetime.timedelta(days=90),
                                        recorded_by=admin, status_after="active", branch_after_id=m.branch_id))
    FlowEvent.objects.bulk_create(events)
    # The roster projection, as the services would write it (bulk: the benchmark's own fast path).
    from taizhang.members import projection

    projection.insert_spells(projection.spells_from_events(
        [projection.EventRow(e.member_id, e.pk, e.kind, e.effective_date, e.status_after, e.branch_after_id, None)
         for e in events],
        {m.pk: m.committee_id for m in created},
    ))
    latest = {}
    for e in events:  # appended in date order per member
        latest[e.member_id] = e.pk
    for m in created:
        m.current_event_id = latest[m.pk]
    Member.objects.bulk_update(created, ["current_event"], batch_size=5000)
    return len(events)


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
