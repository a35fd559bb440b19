"""Benchmark organisational life (应到 / 实到) at scale (run by hand, not in CI).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h1 \
        .venv/bin/python benchmarks/activities_scale.py --members 186000

Builds the ledger with ``ledger_scale.build`` (N members, ~2.475 flow events each; the database is
wiped first), adds party groups, activities over several years (committee-wide, branch, party-group
and picked audiences), attendance rows for a sample of each audience, study items with reads and the
point entries they earn, in the proportions of issue 10's tier (``add_activities``), then times
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
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

YEAR = 2025


# The shape of the issue-10 tier per member (200,000 members: 9,780 activities, 4.6 M attendance rows,
# 6.2 M point entries, 2.3 M study reads); a small committee keeps at least MIN_ACTIVITIES activities.
ACTIVITIES_PER_MEMBER = 9780 / 200000
ATTENDANCE_PER_MEMBER = 4_600_000 / 200000
READS_PER_MEMBER = 2_300_000 / 200000
MIN_ACTIVITIES = 120
STUDY_ITEMS = 100
GROUP_SIZE = 25
ATTENDANCE_STATUS = (["present", "leave", "absent"], [0.78, 0.14, 0.08])


def add_activities(admin, n_activities=None, *, committee=None, seed=2):
    """Party groups, activities with attendance, study items with reads and the point entries they earn, for
    ``committee`` (the admin's committee by default) in the issue's proportions per member (see above). The big
    tables are written with COPY or INSERT … SELECT; ``n_activities`` overrides the proportional count."""
    from taizhang.activities import study_tallies
    from taizhang.activities.models import Activity, ActivityType, Attendance, StudyItem, StudyRead
    from taizhang.members.models import Member
    from taizhang.organisation.models import Branch, PartyGroup
    from taizhang.points.models import PointEntry, PointRule

    rng = random.Random(seed)
    t0 = time.perf_counter()
    if committee is None:
        committee = admin.role_assignments.get(role="committee_admin").committee
    types = list(ActivityType.objects.filter(committee=committee).order_by("pk"))
    branches = list(Branch.objects.filter(committee=committee).order_by("sort_order"))
    members = list(Member.objects.filter(committee=committee).order_by("pk").values_list("pk", "branch_id"))
    n = len(members)
    by_branch = {b.pk: [pk for pk, branch_id in members if branch_id == b.pk] for b in branches}

    # party groups of ~GROUP_SIZE members (at least three per branch), members assigned in one UPDATE
    groups, group_members = [], {}
    for branch in branches:
        count = max(3, round(len(by_branch[branch.pk]) / GROUP_SIZE))
        groups += [PartyGroup(branch=branch, name=f"第{i + 1}党小组") for i in range(count)]
    PartyGroup.objects.bulk_create(groups)
    assignment = []
    for branch in branches:
        own = [g for g in groups if g.branch_id == branch.pk]
        for pk in by_branch[branch.pk]:
            group = rng.choice(own)
            group_members.setdefault(group.pk, []).append(pk)
            assignment.append((pk, group.pk))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_group (member_id int, group_id int)")
        ledger_scale.copy_rows_table(cursor, "bench_group", ["member_id", "group_id"], assignment)
        cursor.execute("UPDATE members_member m SET party_group_id = g.group_id FROM bench_group g "
                       "WHERE g.member_id = m.id")
        cursor.execute("DROP TABLE bench_group")
    member_ids = [pk for pk, _b in members]
    took = {"groups": time.perf_counter() - t0}

    # activities: committee-wide 15 %, branch 50 %, party group 25 %, picked 10 %
    if n_activities is None:
        n_activities = max(MIN_ACTIVITIES, round(n * ACTIVITIES_PER_MEMBER))
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
    audience = {}
    picks = []
    for a in activities:
        if a.audience_kind == "committee":
            audience[a.pk] = member_ids
        elif a.audience_kind == "branch":
            audience[a.pk] = by_branch[a.audience_branch_id]
        elif a.audience_kind == "party_group":
            audience[a.pk] = group_members.get(a.audience_group_id, [])
        else:
            audience[a.pk] = rng.sample(member_ids, min(150, n))
            picks += [(a.pk, m) for m in audience[a.pk]]
    ledger_scale.copy_rows(Activity.picked_members.through, ["activity_id", "member_id"], picks)

    # attendance: ~80 % of a small audience; the rest of the per-member total over branch and committee-wide
    # activities (committee-wide ones 1.5× a branch one), never more than 80 % of the audience
    target = round(n * ATTENDANCE_PER_MEMBER)
    small = {a.pk: round(0.8 * len(audience[a.pk])) for a in activities if a.audience_kind in ("party_group", "picked")}
    weight = {a.pk: 1.5 if a.audience_kind == "committee" else 1.0
              for a in activities if a.audience_kind in ("committee", "branch")}
    per = max(0, target - sum(small.values())) / max(1, sum(weight.values()))
    size = small | {pk: min(round(per * w), round(0.8 * len(audience[pk]))) for pk, w in weight.items()}
    now = timezone.now()
    statuses, status_weights = ATTENDANCE_STATUS

    def attendance_rows():
        for a in activities:
            for m in rng.sample(audience[a.pk], size[a.pk]):
                status = rng.choices(statuses, status_weights)[0]
                yield (a.pk, m, status, "illness" if status == "leave" else "", "", None, "staff", False, admin.pk,
                       now, now)

    took["activities"] = time.perf_counter() - t0 - sum(took.values())
    n_attendance = ledger_scale.copy_rows(
        Attendance, ["activity_id", "member_id", "status", "absence_reason", "note", "checked_in_at", "method",
                     "walk_in", "recorded_by_id", "recorded_at", "updated_at"], attendance_rows())

    took["attendance"] = time.perf_counter() - t0 - sum(took.values())

    # study items (one a month or so since 2018: committee 70 %, branch 25 %, party group 5 %) and their reads
    items = []
    for i in range(STUDY_ITEMS):
        published = timezone.make_aware(datetime.datetime.combine(
            datetime.date(2018, 1, 5) + datetime.timedelta(days=32 * i), datetime.time(10)))
        roll = rng.random()
        item = StudyItem(committee=committee, title=f"学习资料 {i}", body="学习内容", published_at=published,
                         published_by=admin, month=published.date().replace(day=1))
        if roll < 0.7:
            item.audience_kind = "committee"
        elif roll < 0.95:
            item.audience_kind = "branch"
            item.audience_branch = rng.choice(branches)
        else:
            item.audience_kind = "party_group"
            item.audience_group = rng.choice(groups)
        items.append(item)
    StudyItem.objects.bulk_create(items)

    def item_audience(item):
        if item.audience_kind == "committee":
            return member_ids
        if item.audience_kind == "branch":
            return by_branch[item.audience_branch_id]
        return group_members.get(item.audience_group_id, [])

    rate = n * READS_PER_MEMBER / max(1, sum(len(item_audience(item)) for item in items))

    def read_rows():
        for item in items:
            people = item_audience(item)
            for m in rng.sample(people, min(len(people), round(rate * len(people)))):
                yield item.pk, m, min(now, item.published_at + datetime.timedelta(minutes=rng.randrange(60 * 24 * 60)))

    n_reads = ledger_scale.copy_rows(StudyRead, ["item_id", "member_id", "read_at"], read_rows())
    study_tallies.rebuild(committee_id=committee.pk)  # the copied reads counted as the read service counts them

    took["reads"] = time.perf_counter() - t0 - sum(took.values())

    # point entries, as the points services would have written them: attended +, absent without leave −, read +
    rules = {r.action: r for r in PointRule.objects.filter(committee=committee, activity_type__isnull=True)}
    with connection.cursor() as cursor:
        for status, action in (("present", "attended"), ("absent", "absent")):
            cursor.execute(
                "INSERT INTO points_pointentry (committee_id, member_id, rule_id, points, day, source, source_key, "
                "activity_id, subject, subject_type, created_by_id, created_at) "
                "SELECT a.committee_id, t.member_id, %s, %s, (a.starts_at AT TIME ZONE %s)::date, 'attendance', "
                "'attendance:' || a.id || ':' || t.member_id, a.id, a.title, ty.name, %s, now() "
                "FROM activities_attendance t JOIN activities_activity a ON a.id = t.activity_id "
                "JOIN activities_activitytype ty ON ty.id = a.activity_type_id "
                "WHERE a.committee_id = %s AND t.status = %s",
                [rules[action].pk, rules[action].points, settings.TIME_ZONE, admin.pk, committee.pk, status])
        cursor.execute(
            "INSERT INTO points_pointentry (committee_id, member_id, rule_id, points, day, source, source_key, "
            "subject, subject_type, created_by_id, created_at) "
            "SELECT i.committee_id, r.member_id, %s, %s, (r.read_at AT TIME ZONE %s)::date, 'study_read', "
            "'study_read:' || i.id || ':' || r.member_id, i.title, '', %s, now() "
            "FROM activities_studyread r JOIN activities_studyitem i ON i.id = r.item_id WHERE i.committee_id = %s",
            [rules["study_read"].pk, rules["study_read"].points, settings.TIME_ZONE, admin.pk, committee.pk])
    n_points = PointEntry.objects.filter(committee=committee).count()
    took["points"] = time.perf_counter() - t0 - sum(took.values())
    print(f"  {committee.name}: {len(activities)} activities, {n_attendance} attendance rows, {len(items)} study "
          f"items, {n_reads} reads, {n_points} point entries, {len(groups)} party groups "
          f"in {time.perf_counter() - t0:.1f}s ({', '.join(f'{k} {v:.0f}s' for k, v in took.items())})")
    return {"activities": len(activities), "attendance": n_attendance, "study_items": len(items), "reads": n_reads,
            "points": n_points, "groups": len(groups)}


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
    from taizhang.points import selectors as points_selectors

    if args.reuse:
        admin, secretary = User.objects.get(username="bench_admin"), User.objects.get(username="bench_east")
    else:
        admin, secretary = ledger_scale.build(args.members)
    if not Activity.objects.exists():
        add_activities(admin)
        ledger_scale.analyze()
    committee = admin.role_assignments.get(role="committee_admin").committee
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
