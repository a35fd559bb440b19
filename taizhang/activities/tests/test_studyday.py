"""The monthly study day: the 12th, a weekend moves to Monday, optionally past statutory holidays."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from taizhang.activities.studyday import (
    HolidayDataUnavailable,
    configured_study_days,
    holiday_data_available,
    is_statutory_holiday,
    study_day,
    study_days,
)

D = datetime.date


# The 12th on each day of the week (2026): Monday to Friday stay, Saturday and Sunday move to Monday.
@pytest.mark.parametrize(
    ("month", "weekday", "expected"),
    [
        (1, "Mon", D(2026, 1, 12)),
        (5, "Tue", D(2026, 5, 12)),
        (8, "Wed", D(2026, 8, 12)),
        (2, "Thu", D(2026, 2, 12)),
        (6, "Fri", D(2026, 6, 12)),
        (9, "Sat", D(2026, 9, 14)),
        (4, "Sun", D(2026, 4, 13)),
    ],
)
def test_every_weekday(month, weekday, expected):
    assert D(2026, month, 12).strftime("%a") == weekday
    assert study_day(2026, month) == expected
    assert expected.weekday() < 5


def test_no_weekend_shift_keeps_the_12th():
    assert study_day(2026, 9, weekend_shift="none") == D(2026, 9, 12)


@pytest.mark.parametrize(
    ("year", "days"),
    [
        (2026, ["01-12", "02-12", "03-12", "04-13", "05-12", "06-12", "07-13", "08-12", "09-14", "10-12", "11-12", "12-14"]),
        (2027, ["01-12", "02-12", "03-12", "04-12", "05-12", "06-14", "07-12", "08-12", "09-13", "10-12", "11-12", "12-13"]),
        # 2024 is a leap year (nothing changes on the 12th, but the weekdays after February do).
        (2024, ["01-12", "02-12", "03-12", "04-12", "05-13", "06-12", "07-12", "08-12", "09-12", "10-14", "11-12", "12-12"]),
        (2028, ["01-12", "02-14", "03-13", "04-12", "05-12", "06-12", "07-12", "08-14", "09-12", "10-12", "11-13", "12-12"]),
    ],
)
def test_whole_years(year, days):
    assert study_days(year) == [D.fromisoformat(f"{year}-{d}") for d in days]


def test_another_day_of_the_month():
    assert study_days(2026, day_of_month=15)[:3] == [D(2026, 1, 15), D(2026, 2, 16), D(2026, 3, 16)]
    with pytest.raises(ValidationError) as exc:
        study_days(2026, day_of_month=31)
    assert "day_of_month" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        study_days(2026, weekend_shift="previous_friday")
    assert "weekend_shift" in exc.value.message_dict


# Real cases from chinese-calendar's data. No 12th ever falls inside the National Day week (1–7/8
# October), so the cases are the Spring Festival, Dragon Boat and Mid-Autumn holidays — and a 12th
# that was a make-up working Saturday right after the National Day holiday.
@pytest.mark.parametrize(
    ("year", "month", "plain", "skipping"),
    [
        # Monday 12 Feb 2024 is in the Spring Festival holiday (10–17 Feb). Sunday the 18th was a
        # make-up working day, but still a Sunday: the weekend rule moves it on to Monday the 19th.
        (2024, 2, D(2024, 2, 12), D(2024, 2, 19)),
        # Friday 12 Feb 2021: Spring Festival holiday 11–17 Feb; Thursday the 18th is a working day.
        (2021, 2, D(2021, 2, 12), D(2021, 2, 18)),
        # Saturday 12 June 2021 moves to Monday the 14th — the Dragon Boat Festival — so to Tuesday.
        (2021, 6, D(2021, 6, 14), D(2021, 6, 15)),
        # Monday 12 Sept 2022 is the Mid-Autumn holiday (10–12 Sept).
        (2022, 9, D(2022, 9, 12), D(2022, 9, 13)),
        # Saturday 12 Oct 2024 was a make-up working day after National Day: a weekend all the same.
        (2024, 10, D(2024, 10, 14), D(2024, 10, 14)),
    ],
)
def test_skipping_statutory_holidays(year, month, plain, skipping):
    assert study_day(year, month) == plain
    assert study_day(year, month, skip_holidays=True) == skipping
    assert study_days(year, skip_holidays=True)[month - 1] == skipping


def test_a_plain_weekend_is_not_a_statutory_holiday():
    assert not is_statutory_holiday(D(2026, 9, 12))  # an ordinary Saturday
    assert is_statutory_holiday(D(2024, 2, 12))
    assert not is_statutory_holiday(D(2024, 2, 18))  # make-up working Sunday
    # Without the weekend rule only the holiday moves the day: Sunday the 18th is then the study day.
    assert study_day(2024, 2, weekend_shift="none", skip_holidays=True) == D(2024, 2, 18)


def test_a_year_without_holiday_data_is_reported():
    assert holiday_data_available(2026)
    assert not holiday_data_available(2100)
    with pytest.raises(HolidayDataUnavailable) as exc:
        study_days(2100, skip_holidays=True)
    assert exc.value.year == 2100 and "2100" in exc.value.message
    # Without holiday skipping any year works.
    assert study_days(2100)[0] == D(2100, 1, 12)


def test_configured_study_days_follow_the_settings(settings):
    settings.STUDY_DAY_OF_MONTH = 12
    settings.STUDY_DAY_SKIP_HOLIDAYS = False
    assert configured_study_days(2024)[1] == D(2024, 2, 12)
    settings.STUDY_DAY_SKIP_HOLIDAYS = True
    assert configured_study_days(2024)[1] == D(2024, 2, 19)
    settings.STUDY_DAY_OF_MONTH = 10
    assert configured_study_days(2026)[0] == D(2026, 1, 12)  # Saturday the 10th -> Monday the 12th
