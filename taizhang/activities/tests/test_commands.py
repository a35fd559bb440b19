"""``study_days`` and ``activity_summary``: JSON output and Chinese errors."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from taizhang.activities.models import AttendanceStatus
from taizhang.activities.services import AttendanceEntry, activity_cancel, attendance_record_many
from taizhang.activities.tests.factories import make_activity, seed_types


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- study_days ------------------------------------------------------------------------------------


def test_study_days_json():
    assert json.loads(run("study_days", "2026", "--format", "json")) == {
        "year": 2026,
        "days": ["2026-01-12", "2026-02-12", "2026-03-12", "2026-04-13", "2026-05-12", "2026-06-12",
                 "2026-07-13", "2026-08-12", "2026-09-14", "2026-10-12", "2026-11-12", "2026-12-14"],
    }


def test_study_days_text_has_the_weekday_in_chinese():
    lines = run("study_days", "2026").splitlines()
    assert len(lines) == 12
    assert lines[0] == "2026-01-12 星期一"
    assert lines[3].startswith("2026-04-13 星期一")
    assert lines[4] == "2026-05-12 星期二"


def test_study_days_skipping_holidays_and_a_year_without_data():
    result = json.loads(run("study_days", "2024", "--format", "json", "--skip-holidays"))
    assert result["days"][1] == "2024-02-19" and result["holidays_skipped"] is True
    result = json.loads(run("study_days", "2100", "--format", "json", "--skip-holidays"))
    assert result["holidays_skipped"] is False and "2100" in result["note"]
    assert result["days"][0] == "2100-01-12"
    err = StringIO()
    call_command("study_days", "2100", "--skip-holidays", stdout=StringIO(), stderr=err)
    assert "2100" in err.getvalue()


def test_study_days_setting(settings):
    settings.STUDY_DAY_SKIP_HOLIDAYS = True
    assert json.loads(run("study_days", "2024", "--format", "json"))["days"][1] == "2024-02-19"


@pytest.mark.parametrize("year", ["26", "two", "2026-01", "0000"])
def test_study_days_bad_year(year):
    with pytest.raises(CommandError) as exc:
        run("study_days", year)
    assert "2026" in str(exc.value)  # the message shows how to write it


# --- activity_summary -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_activity_summary_json(cast):
    seed_types(cast)
    studies = [make_activity(cast.admin, cast.committee, day=datetime.date(2025, m, 12)) for m in (3, 4, 5)]
    make_activity(cast.admin, cast.committee, type_name="电影党课", title="「光影铸魂」电影党课：《长津湖》",
                  day=datetime.date(2025, 4, 19), start="14:00")
    make_activity(cast.admin, cast.committee, type_name="主题党日", day=datetime.date(2025, 7, 1))  # outside
    cancelled = make_activity(cast.admin, cast.committee, type_name="主题党日", day=datetime.date(2025, 4, 26))
    activity_cancel(actor=cast.admin, activity=cancelled, reason="暴雨")
    # Starts at 00:30 Beijing time on the last day: inside (local dates, not UTC).
    make_activity(cast.admin, cast.committee, type_name="微党课", day=datetime.date(2025, 5, 31), start="00:30")
    attendance_record_many(actor=cast.admin, activity=studies[0], now=studies[0].ends_at, entries=[
        AttendanceEntry(m, AttendanceStatus.PRESENT) for m in cast.members[:4]
    ] + [AttendanceEntry(cast.members[4], AttendanceStatus.ABSENT)])
    result = json.loads(run("activity_summary", "--from", "2025-03-01", "--to", "2025-05-31", "--format", "json"))
    assert result == {"from": "2025-03-01", "to": "2025-05-31", "by_type": {"集体学习": 3, "电影党课": 1, "微党课": 1},
                      "attendances": 4}
    assert list(result["by_type"]) == ["集体学习", "电影党课", "微党课"]  # the types' order
    text = run("activity_summary", "--from", "2025-03-01", "--to", "2025-05-31")
    assert "集体学习" in text and "3" in text
    empty = json.loads(run("activity_summary", "--from", "2010-01-01", "--to", "2010-12-31", "--format", "json",
                           "--committee", cast.committee.name))
    assert empty["by_type"] == {} and empty["attendances"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2025/03/01", "2025-05-31"), ("2025-02-30", "2025-05-31"), ("2025-06-01", "2025-05-31"), ("", "2025-05-31")],
)
def test_activity_summary_bad_dates(date_from, date_to):
    with pytest.raises(CommandError) as exc:
        run("activity_summary", "--from", date_from, "--to", date_to)
    assert "Traceback" not in str(exc.value)


@pytest.mark.django_db
def test_activity_summary_unknown_committee():
    with pytest.raises(CommandError):
        run("activity_summary", "--from", "2025-01-01", "--to", "2025-12-31", "--committee", "不存在的党委")
