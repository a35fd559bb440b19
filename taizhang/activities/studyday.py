"""The monthly study day (学习日): the 12th of each month; on a Saturday or Sunday, the following Monday.

DOMAIN_RULES.md "Organisational life and study". The day of the month and holiday skipping are
settings (``STUDY_DAY_OF_MONTH``, ``STUDY_DAY_SKIP_HOLIDAYS``); the functions here are pure and take
them as arguments, ``configured_study_days`` reads the settings.

Holidays come from the ``chinese-calendar`` package, which knows each year's statutory holidays only
once the State Council has published them. For a year it does not know, ``study_days(...,
skip_holidays=True)`` raises ``HolidayDataUnavailable`` so a page or command can say so instead of
silently showing days that may fall on a holiday.
"""

import datetime

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

NEXT_MONDAY = "next_monday"
NO_SHIFT = "none"
WEEKEND_SHIFTS = (NEXT_MONDAY, NO_SHIFT)


class HolidayDataUnavailable(Exception):
    """chinese-calendar has no statutory holiday data for ``year``."""

    def __init__(self, year: int):
        super().__init__(f"no statutory holiday data for {year}")
        self.year = year

    @property
    def message(self) -> str:
        return _("The statutory holidays of %(year)d are not known to this system yet (the holiday calendar "
                 "covers the years it has been published for); the study days of %(year)d are shown without "
                 "skipping holidays.") % {"year": self.year}


def holiday_data_available(year: int) -> bool:
    """Does chinese-calendar know the statutory holidays of ``year``?"""
    try:
        chinese_calendar.is_holiday(datetime.date(year, 1, 1))
        chinese_calendar.is_holiday(datetime.date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


def is_statutory_holiday(day: datetime.date) -> bool:
    """A day off for a statutory holiday (a plain weekend is not one). Raises HolidayDataUnavailable."""
    try:
        off, holiday = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError as exc:
        raise HolidayDataUnavailable(day.year) from exc
    return bool(off and holiday is not None)


def _validate(year: int, day_of_month: int, weekend_shift: str) -> None:
    errors = {}
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        errors["year"] = [_("Enter a year such as 2026.")]
    if isinstance(day_of_month, bool) or not isinstance(day_of_month, int) or not 1 <= day_of_month <= 28:
        errors["day_of_month"] = [_("The study day must be a day of the month from 1 to 28.")]
    if weekend_shift not in WEEKEND_SHIFTS:
        errors["weekend_shift"] = [_("Unknown weekend rule “%(value)s”.") % {"value": weekend_shift}]
    if errors:
        raise ValidationError(errors)


def study_day(year: int, month: int, *, day_of_month: int = 12, weekend_shift: str = NEXT_MONDAY,
              skip_holidays: bool = False) -> datetime.date:
    """The study day of one month.

    Saturday or Sunday moves to the following Monday (``weekend_shift="next_monday"``; ``"none"``
    keeps it). With ``skip_holidays`` a statutory holiday moves to the next day, repeatedly, and
    (with the weekend rule) past any weekend that follows, to the first ordinary day.
    """
    _validate(year, day_of_month, weekend_shift)
    if not 1 <= month <= 12:
        raise ValidationError({"month": [_("Enter a month from 1 to 12.")]})
    day = datetime.date(year, month, day_of_month)
    while True:
        if weekend_shift == NEXT_MONDAY and day.weekday() >= 5:
            day += datetime.timedelta(days=7 - day.weekday())
        elif skip_holidays and is_statutory_holiday(day):
            day += datetime.timedelta(days=1)
        else:
            return day


def study_days(year: int, *, day_of_month: int = 12, weekend_shift: str = NEXT_MONDAY,
               skip_holidays: bool = False) -> list[datetime.date]:
    """The twelve study days of ``year``. Raises HolidayDataUnavailable when ``skip_holidays`` is asked
    for a year without holiday data."""
    _validate(year, day_of_month, weekend_shift)
    if skip_holidays and not holiday_data_available(year):
        raise HolidayDataUnavailable(year)
    return [
        study_day(year, month, day_of_month=day_of_month, weekend_shift=weekend_shift, skip_holidays=skip_holidays)
        for month in range(1, 13)
    ]


def configured_study_days(year: int, *, skip_holidays: bool | None = None) -> list[datetime.date]:
    """``study_days`` with the committee's settings (STUDY_DAY_OF_MONTH, STUDY_DAY_WEEKEND_SHIFT, and
    STUDY_DAY_SKIP_HOLIDAYS unless ``skip_holidays`` is given)."""
    if skip_holidays is None:
        skip_holidays = settings.STUDY_DAY_SKIP_HOLIDAYS
    return study_days(year, day_of_month=settings.STUDY_DAY_OF_MONTH, weekend_shift=configured_weekend_shift(),
                      skip_holidays=skip_holidays)


def configured_weekend_shift() -> str:
    """The STUDY_DAY_WEEKEND_SHIFT setting ("next_monday" when unset)."""
    return getattr(settings, "STUDY_DAY_WEEKEND_SHIFT", NEXT_MONDAY) or NEXT_MONDAY
