"""Test helpers for points: the default rules for the cast's committee and attendance shortcuts."""

import datetime

from taizhang.activities.models import AttendanceStatus
from taizhang.activities.services import attendance_correct, attendance_record
from taizhang.activities.tests.factories import DAY, at, make_activity, seed_types
from taizhang.points.models import PointEntry, PointRule
from taizhang.points.services import point_rules_seed

__all__ = ["DAY", "at", "make_activity", "seed_rules", "present", "absent", "leave", "correct", "total", "rule"]


def seed_rules(cast, effective_from=datetime.date(2017, 9, 1)) -> dict:
    seed_types(cast)
    point_rules_seed(actor=cast.admin, committee=cast.committee, effective_from=effective_from)
    return {r.name: r for r in PointRule.objects.filter(committee=cast.committee)}


def rule(cast, name) -> PointRule:
    return PointRule.objects.filter(committee=cast.committee, name=name).order_by("-version").first()


def present(cast, activity, member):
    return attendance_record(actor=cast.admin, activity=activity, member=member, status=AttendanceStatus.PRESENT)


def absent(cast, activity, member, reason="work"):
    return attendance_record(actor=cast.admin, activity=activity, member=member, status=AttendanceStatus.ABSENT,
                             absence_reason=reason)


def leave(cast, activity, member):
    return attendance_record(actor=cast.admin, activity=activity, member=member, status=AttendanceStatus.LEAVE,
                             absence_reason="illness", now=activity.starts_at - datetime.timedelta(days=1))


def correct(cast, attendance, status, absence_reason=""):
    return attendance_correct(actor=cast.admin, attendance=attendance, status=status, absence_reason=absence_reason,
                              reason="纸质签到表核对")


def total(member, year=2026) -> int:
    return sum(PointEntry.objects.filter(member=member, day__year=year).values_list("points", flat=True))
