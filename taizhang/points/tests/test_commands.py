"""points_recompute and load_demo_points."""

import io

import pytest
from django.core.management import CommandError, call_command

from taizhang.activities.models import Attendance
from taizhang.points.models import PointEntry
from taizhang.points.tests.helpers import make_activity, present, seed_rules, total

pytestmark = pytest.mark.django_db


def test_points_recompute_command_is_idempotent(cast):
    seed_rules(cast)
    present(cast, make_activity(cast.admin, cast.committee), cast.me)
    # attendance written around the services (as an old database would have it): no entries yet
    other = make_activity(cast.admin, cast.committee, day=cast.committee.founded_on.replace(year=2026, month=7))
    Attendance.objects.create(activity=other, member=cast.me, status="present", method="staff",
                              recorded_by=cast.admin)
    out = io.StringIO()
    call_command("points_recompute", "--from", "2026-01-01", stdout=out)
    assert total(cast.me) == 2
    count = PointEntry.objects.count()
    call_command("points_recompute", stdout=io.StringIO())
    assert PointEntry.objects.count() == count


def test_points_recompute_checks_its_arguments(cast):
    with pytest.raises(CommandError):
        call_command("points_recompute", "--from", "2026-13-01")
    with pytest.raises(CommandError):
        call_command("points_recompute", "--committee", "没有这个党委")


def test_load_demo_points_needs_the_demo_and_refuses_production(db, settings):
    with pytest.raises(CommandError):
        call_command("load_demo_points", stdout=io.StringIO())
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo_points", stdout=io.StringIO())
