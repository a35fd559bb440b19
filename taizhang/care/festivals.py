"""The three festivals of the care rules (DOMAIN_RULES "Care") on their Gregorian days, from ``lunardate``:
春节 (lunar 1/1), 中秋 (lunar 8/15), 重阳 (lunar 9/9, the day for the elderly)."""

import datetime

from lunardate import LunarDate

from taizhang.care.models import Occasion

LUNAR_DAYS = {
    Occasion.SPRING_FESTIVAL: (1, 1),
    Occasion.MID_AUTUMN: (8, 15),
    Occasion.DOUBLE_NINTH: (9, 9),
}
FIRST_YEAR, LAST_YEAR = 1901, 2099  # the range lunardate covers


def festival_day(occasion: str, year: int) -> datetime.date:
    """The Gregorian date of ``occasion`` (one of the three festivals) in Gregorian ``year``."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(year)
    month, day = LUNAR_DAYS[occasion]
    return LunarDate(year, month, day).to_solar_date()


def festivals(year: int) -> list[tuple[str, datetime.date]]:
    """[(occasion, date)] of the year's three festivals, in calendar order."""
    return [(occasion, festival_day(occasion, year)) for occasion in LUNAR_DAYS]


def next_festival(today: datetime.date) -> tuple[str, datetime.date]:
    """The first festival on or after ``today`` (this year's, else next year's Spring Festival)."""
    for occasion, day in festivals(today.year):
        if day >= today:
            return occasion, day
    return Occasion.SPRING_FESTIVAL, festival_day(Occasion.SPRING_FESTIVAL, today.year + 1)
