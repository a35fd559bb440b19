"""A small organisational life for the report, panel and feed tests (through the real services).

    world = report_world(cast)
    world.study        集体学习 on DAY for the whole committee: 张伟明 present, 李秀英 on leave, 王建国 absent
                       (work), 赵丽华 present, 陈刚 no record (absent), 刘洋 present
    world.east_meeting 党员大会 of 东部 on DAY+7 for the east branch: 张伟明 and 李秀英 present, 王建国 no record
    world.west_meeting 支部委员会 of 西部 on DAY+3 for the west branch: 赵丽华 present, 陈刚 no record
    world.cancelled    a cancelled committee 主题党日 on DAY+10 (never counted)
"""

import datetime
from types import SimpleNamespace

from taizhang.activities.models import AbsenceReason, AttendanceStatus
from taizhang.activities.services import AttendanceEntry, activity_cancel, attendance_record_many
from taizhang.activities.tests.factories import DAY, make_activity, seed_types

PRESENT, LEAVE, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT


def record(actor, activity, *entries):
    """Record a sheet after the activity (leave is recorded before its start, as the rule requires)."""
    leave = [AttendanceEntry(m, s, AbsenceReason.ILLNESS) for m, s, *_ in entries if s == LEAVE]
    other = [AttendanceEntry(m, s, *(rest or [""])) for m, s, *rest in entries if s != LEAVE]
    if leave:
        attendance_record_many(actor=actor, activity=activity, entries=leave,
                               now=activity.starts_at - datetime.timedelta(days=1))
    if other:
        attendance_record_many(actor=actor, activity=activity, entries=other, now=activity.ends_at)


def report_world(cast) -> SimpleNamespace:
    seed_types(cast)
    m = cast.members_by_name
    study = make_activity(cast.admin, cast.committee, day=DAY)
    record(cast.admin, study, (m["张伟明"], PRESENT), (m["李秀英"], LEAVE),
           (m["王建国"], ABSENT, AbsenceReason.WORK), (m["赵丽华"], PRESENT), (m["刘洋"], PRESENT))
    east_meeting = make_activity(cast.east_secretary, cast.committee, type_name="党员大会", title="东部支部党员大会",
                                 day=DAY + datetime.timedelta(days=7), organiser_branch=cast.east,
                                 audience_kind="branch", audience_branch=cast.east)
    record(cast.east_secretary, east_meeting, (m["张伟明"], PRESENT), (m["李秀英"], PRESENT))
    west_meeting = make_activity(cast.west_secretary, cast.committee, type_name="支部委员会", title="西部支部委员会",
                                 day=DAY + datetime.timedelta(days=3), organiser_branch=cast.west,
                                 audience_kind="branch", audience_branch=cast.west)
    record(cast.west_secretary, west_meeting, (m["赵丽华"], PRESENT))
    cancelled = make_activity(cast.admin, cast.committee, type_name="主题党日", title="主题党日（取消）",
                              day=DAY + datetime.timedelta(days=10))
    activity_cancel(actor=cast.admin, activity=cancelled, reason="天气原因")
    return SimpleNamespace(study=study, east_meeting=east_meeting, west_meeting=west_meeting, cancelled=cancelled,
                           year=(datetime.date(DAY.year, 1, 1), datetime.date(DAY.year, 12, 31)))
