"""Benchmark organisational life (应到 / 实到) at scale (run by hand, not in CI).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h1 \
        .venv/bin/python benchmarks/activities_scale.py --members 186000

Builds the ledger with ``ledger_scale.build`` (N members, ~1.8 flow events each; the database is
wiped first), adds party groups, ~700 activities over several years (committee-wide, branch,
party-group and picked audiences) and attendance rows for a sample of each audience, then times
the pages that derive who was expected (应到) from the flow history:

* the staff activity list (20 per page) for the committee admin and a branch secretary;
* the participation report for one year;
* points participation for one year;
* the member page (with the activity profile panel).

``--reuse`` skips the build (the activities too, if they exist).
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

import ledger_scale  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

YEAR = 2025


def add_activities(admin, n_activities=700, seed=2):
    from taizhang.activities.models import Activity, ActivityType, Attendance
    from taizhang.activities.services import activity_types_seed
    from taizhang.members.models import Member
    from taizhang.organisation.models import Branch, Committee, PartyGroup

    rng = random.Random(seed)
    t0 = time.perf_counter()
    committee = Committee.objects.get()
    activity_types_seed(actor=admin, committee=committee)
    types = list(ActivityType.objects.filter(committee=committee))
    branches = list(Branch.objects.filter(committee=committee))
    groups = []
    for branch in branches:
        for i in range(30):
            groups.append(PartyGroup.objects.create(branch=branch, name=f"第{i + 1}党小组"))
    by_branch = {b.pk: [g for g in groups if g.branch_id == b.pk] for b in branches}
    members = list(Member.objects.values_list("pk", "branch_id"))
    updates = []
    for pk, branch_id in members:
        updates.append(Member(pk=pk, party_group_id=rng.choice(by_branch[branch_id]).pk))
    Member.objects.bulk_update(updates, ["party_group"], batch_size=5000)
    member_ids = [pk for pk, _b in members]
    start = datetime.date(2019, 1, 1)
    span = (datetime.date(2026, 10, 31) - start).days
    activities = []
    for i in range(n_activities):
        day = start + datetime.timedelta(days=rng.randrange(span))
        starts = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))
        roll = rng.random()
        a = Activity(committee=committee, activity_type=rng.choice(types), title=f"活动 {i}", starts_at=starts,
                     ends_at=starts + datetime.timedelta(hours=2), place="活动室", created_by=admin)
        if roll < 0.15:
            a.audience_kind = "committee"
        elif roll < 0.65:
            a.audience_kind = "branch"
            a.audience_branch = rng.choice(branches)
            a.organiser_branch = a.audience_branch
        elif roll < 0.9:
            a.audience_kind = "party_group"
            a.audience_group = rng.choice(groups)
            a.organiser_branch_id = a.audience_group.branch_id
        else:
            a.audience_kind = "picked"
        activities.append(a)
    Activity.objects.bulk_create(activities)
    through = Activity.picked_members.through
    picks = []
    for a in activities:
        if a.audience_kind == "picked":
            picks += [through(activity_id=a.pk, member_id=m) for m in rng.sample(member_ids, 150)]
    through.objects.bulk_create(picks, batch_size=5000)
    rows = []
    for a in activities:
        for m in rng.sample(member_ids, rng.randrange(50, 1200)):
            status = rng.choices(["present", "leave", "absent"], [8, 1, 1])[0]
            rows.append(Attendance(activity_id=a.pk, member_id=m, status=status, method="staff", recorded_by=admin,
                                   absence_reason="illness" if status == "leave" else ""))
        if len(rows) > 20000:
            Attendance.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Attendance.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    print(f"added {len(activities)} activities, {Attendance.objects.count()} attendance rows, "
          f"{len(groups)} party groups in {time.perf_counter() - t0:.1f}s")


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50000)
    parser.add_argument("--reuse", action="store_true", help="do not rebuild the data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="time only the lines whose label contains this text")
    parser.add_argument("--users", default="bench_admin,bench_east", help="whom to time as (usernames)")
    args = parser.parse_args()
    import config.urls  # noqa: F401  (load the code under test now, before the long build)
    from taizhang.accounts.models import User
    from taizhang.activities.models import Activity
    from taizhang.members.models import Member
    from taizhang.organisation.models import Committee
    from taizhang.points import selectors as points_selectors

    if args.reuse:
        admin, secretary = User.objects.get(username="bench_admin"), User.objects.get(username="bench_east")
    else:
        admin, secretary = ledger_scale.build(args.members)
    if not Activity.objects.exists():
        add_activities(admin)
    committee = Committee.objects.get()
    print(f"database: {connection.vendor}, members: {Member.objects.count()}, "
          f"activities: {Activity.objects.count()}")

    def timed(label, fn, repeat):
        if args.only in label:
            ledger_scale.timed(label, fn, repeat=repeat)

    r = args.repeat
    with override_settings(DEBUG=True):
        for user in [u for u in (admin, secretary) if u.username in args.users.split(",")]:
            client = Client()
            client.force_login(user)
            print(f"-- as {user.username}")
            timed("activity list (20 per page)", lambda c=client: get(c, "/activities/"), repeat=r)
            timed("activity list, page 5", lambda c=client: get(c, "/activities/?page=5"), repeat=r)
            timed(f"report summary {YEAR}",
                  lambda c=client: get(c, f"/reports/activities/?date_from={YEAR}-01-01&date_to={YEAR}-12-31"),
                  repeat=r)
            timed(f"points participation {YEAR} (selector)",
                  lambda u=user: points_selectors.participation(u, committee, YEAR), repeat=r)
            pk = Member.objects.filter(branch__code=Member.objects.first().branch.code).order_by("pk")
            pk = pk.values_list("pk", flat=True)[100]
            timed("member page (activity profile panel)", lambda c=client, pk=pk: get(c, f"/members/{pk}/"), repeat=r)


if __name__ == "__main__":
    main()
