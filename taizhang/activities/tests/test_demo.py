"""``load_demo_activities``: the story's four years exactly, a realistic mix after, attendance that
respects the roster; the report page and the points demo on top of it. The members, activities and
points demos are loaded once for the module inside a transaction that is rolled back at the end (the
audit log is append-only)."""

import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import User
from taizhang.activities import demo
from taizhang.activities.models import (
    STANDARD_ACTIVITY_TYPES,
    Activity,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    SignUp,
    SignUpStatus,
)
from taizhang.activities.studyday import study_day
from taizhang.core.models import AuditEntry
from taizhang.members.models import Member, Status
from taizhang.members.selectors import annotate_status, filter_contact_overdue
from taizhang.organisation.models import Committee
from taizhang.points.models import PointEntry, RecordStatus, StudyRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("load_demo", stdout=StringIO())
            overdue_before = set(filter_contact_overdue(annotate_status(Member.objects.all())).values_list("pk", flat=True))
            out = StringIO()
            call_command("load_demo_activities", stdout=out)
            points_out = StringIO()
            call_command("load_demo_points", stdout=points_out)
            yield {"output": out.getvalue(), "overdue_before": overdue_before, "points_output": points_out.getvalue()}
            transaction.set_rollback(True)


@pytest.fixture
def committee(demo_output):
    return Committee.objects.get(name=demo.COMMITTEE_NAME)


def summary(date_from, date_to) -> dict:
    out = StringIO()
    call_command("activity_summary", "--from", date_from, "--to", date_to, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_the_four_years_of_the_story_exactly(committee):
    result = summary("2017-09-01", "2021-08-31")
    assert result["by_type"] == {"集体学习": 16, "电影党课": 9, "主题党日": 12, "参观红色教育基地/展览": 5, "进社区志愿服务": 4}
    assert sum(result["by_type"].values()) == 46
    assert result["attendances"] > 46 * 10
    window = Activity.objects.filter(committee=committee, starts_at__lt=demo._at("2021-09-01", "00:00"))
    assert window.count() == 46  # nothing else, not even a cancelled one
    assert not Activity.objects.filter(starts_at__lt=demo._at("2017-09-01", "00:00")).exists()


def test_a_fuller_life_afterwards(committee):
    result = summary("2021-09-01", "2026-11-30")
    by_type = result["by_type"]
    assert set(by_type) == {name for name, _o, _n in STANDARD_ACTIVITY_TYPES}
    assert by_type["每月一学"] == 63  # every month from 2021-09 to 2026-11
    assert by_type["支部委员会"] >= 3 * 60 and by_type["党员大会"] >= 3 * 20
    # 每月一学 is held on the study day.
    for activity in Activity.objects.filter(committee=committee, activity_type__name="每月一学"):
        assert activity.date == study_day(activity.date.year, activity.date.month)
    assert Activity.objects.filter(committee=committee, cancelled=True).count() == 1
    assert Activity.objects.filter(committee=committee, starts_at__gte=demo._at("2026-12-01", "00:00")).count() == 0


def test_nobody_attends_off_the_roster_or_away(committee):
    activities = list(Activity.objects.filter(committee=committee, attendances__status=AttendanceStatus.PRESENT)
                      .distinct().order_by("starts_at")[::15])
    assert len(activities) > 30
    for activity in activities:
        present = set(activity.attendances.filter(status=AttendanceStatus.PRESENT).values_list("member_id", flat=True))
        active = set(annotate_status(Member.objects.filter(pk__in=present), activity.date)
                     .filter(status=Status.ACTIVE).values_list("pk", flat=True))
        assert present == active, activity
    # Nothing attended in the future, nothing recorded for upcoming activities.
    now = timezone.now()
    assert not Attendance.objects.filter(activity__ends_at__gt=now).exists()


def test_elderly_members_come_to_the_monthly_study_more(committee):
    counts = Counter()
    invited = Counter()
    rows = Attendance.objects.filter(activity__committee=committee, activity__activity_type__name="每月一学",
                                     status=AttendanceStatus.PRESENT).select_related("member", "activity")
    for row in rows:
        counts[row.member.age_on(row.activity.date) >= 60] += 1
    members = list(Member.objects.filter(committee=committee))
    day = datetime.date(2024, 6, 1)
    for m in members:
        invited[m.age_on(day) >= 60] += 1
    assert counts[True] / invited[True] > 2 * counts[False] / invited[False]


def test_sign_ups_waiting_lists_and_qr_check_ins(committee):
    signups = SignUp.objects.filter(activity__committee=committee)
    assert signups.filter(status=SignUpStatus.CANCELLED).exists()
    assert signups.filter(promoted_at__isnull=False).exists() or signups.filter(status=SignUpStatus.WAITLISTED).exists()
    for activity in Activity.objects.filter(committee=committee, capacity__isnull=False):
        assert activity.signups.filter(status=SignUpStatus.SIGNED_UP).count() <= activity.capacity
    assert Attendance.objects.filter(method=CheckInMethod.QR, member__user__username="dangyuan").exists()
    reasons = Counter(Attendance.objects.exclude(status=AttendanceStatus.PRESENT).values_list("absence_reason", flat=True))
    assert reasons["illness"] and reasons["work"] and reasons["out_of_beijing"]


def test_attendance_went_through_the_services(committee):
    assert AuditEntry.objects.filter(action__startswith="attendance.").count() == Attendance.objects.count()
    assert AuditEntry.objects.filter(action="activity.create").count() == Activity.objects.count()


def test_lost_contact_warnings_are_unchanged(demo_output):
    overdue = set(filter_contact_overdue(annotate_status(Member.objects.all())).values_list("pk", flat=True))
    assert overdue == demo_output["overdue_before"]


def test_running_twice_changes_nothing(committee):
    before = (Activity.objects.count(), Attendance.objects.count(), SignUp.objects.count(), AuditEntry.objects.count())
    out = StringIO()
    call_command("load_demo_activities", stdout=out)
    assert (Activity.objects.count(), Attendance.objects.count(), SignUp.objects.count(),
            AuditEntry.objects.count()) == before
    assert demo.COMMITTEE_NAME in out.getvalue()


def test_refuses_in_production(demo_output, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo_activities", stdout=StringIO())


# --- the report page and the points demo on the demo organisation ------------------------------------------


def test_first_four_years_on_the_report_page(client, committee):
    client.force_login(User.objects.get(username="shuji"))
    response = client.get(reverse("activity_reports:summary"), {"preset": "first_four_years"})
    assert response.status_code == 200
    by_type = {row["name"]: row["activities"] for row in response.context["by_type"]}
    assert by_type == {"集体学习": 16, "电影党课": 9, "主题党日": 12, "参观红色教育基地/展览": 5, "进社区志愿服务": 4}
    data = response.context["participation"]
    assert data.total.present == response.context["attendance_total"]
    assert len(data.branches) == 3


def test_branch_secretary_sees_only_their_branch_on_the_report_page(client, committee):
    client.force_login(User.objects.get(username="dongbu"))
    response = client.get(reverse("activity_reports:summary"), {"preset": "since_founding", "per_page": 100})
    assert response.status_code == 200
    assert {b.name for b, _t, _o in response.context["participation"].branches} == {"东部片区支部"}
    assert {r.branch for r in response.context["page"].object_list} <= {"东部片区支部"}


def test_points_demo_gives_entries_a_queue_for_dongbu_and_runs_only_once(client, committee):
    assert PointEntry.objects.filter(committee=committee, source="attendance").exists()
    pending = StudyRecord.objects.filter(member__committee=committee, status=RecordStatus.PENDING)
    assert pending.filter(member__branch__name="东部片区支部").exists()
    client.force_login(User.objects.get(username="dongbu"))
    page = client.get(reverse("points:approvals"))
    assert page.status_code == 200 and pending.filter(member__branch__name="东部片区支部").first().title in page.content.decode()
    before = (PointEntry.objects.count(), StudyRecord.objects.count(), AuditEntry.objects.count())
    call_command("load_demo_points", stdout=StringIO())
    assert (PointEntry.objects.count(), StudyRecord.objects.count()) == before[:2]
