"""Participation periods (今年 / 去年 / 本季度 / 上季度 or any dates) and external platform scores of a period.

Kept apart from ``selectors`` so the participation page's period rules live in one small module.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.utils import timezone

from taizhang.points.models import ExternalScore


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


@dataclass(frozen=True)
class Period:
    """A participation period (both days included)."""

    start: datetime.date
    end: datetime.date
    key: str = ""  # the preset it came from, if any

    @property
    def whole_year(self) -> int | None:
        """The year when the period is exactly one calendar year (baseline and threshold apply), else None."""
        if self.start.year == self.end.year and (self.start, self.end) == year_bounds(self.start.year):
            return self.start.year
        return None

    @property
    def slug(self) -> str:
        year = self.whole_year
        return str(year) if year else f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


def _quarter(year: int, q: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(year, 3 * q - 2, 1)
    end = datetime.date(year, 12, 31) if q == 4 else datetime.date(year, 3 * q + 1, 1) - datetime.timedelta(days=1)
    return start, end


def period_presets(today: datetime.date | None = None) -> list[tuple[str, Period]]:
    """今年 / 去年 / 本季度 / 上季度 as (key, Period)."""
    today = today or timezone.localdate()
    q = (today.month - 1) // 3 + 1
    last_q = _quarter(today.year, q - 1) if q > 1 else _quarter(today.year - 1, 4)
    return [
        ("this_year", Period(*year_bounds(today.year), key="this_year")),
        ("last_year", Period(*year_bounds(today.year - 1), key="last_year")),
        ("this_quarter", Period(*_quarter(today.year, q), key="this_quarter")),
        ("last_quarter", Period(*last_q, key="last_quarter")),
    ]


def platform_scores(member_ids, platform: str, start: datetime.date, end: datetime.date) -> dict:
    """{member id: score} of one external platform in [start, end], as imported (never recomputed).
    ``member_ids``: ids or a queryset of member pks (a subquery).

    Only snapshots whose whole period lies inside the dates count, and of each snapshot period the newest
    import. For each calendar year a yearly snapshot wins; without one, the monthly snapshots of that year
    inside the dates are added up. Two queries whatever the number of members.
    """
    if not isinstance(member_ids, QuerySet):
        if not member_ids:
            return {}
        member_ids = list(member_ids)
    qs = ExternalScore.objects.filter(member_id__in=member_ids, platform=platform, period_start__gte=start,
                                      period_end__lte=end)
    newest = qs.values("member_id", "period").annotate(newest=Max("id")).values_list("newest", flat=True)
    yearly: dict = {}
    monthly: dict = defaultdict(lambda: defaultdict(int))
    for member_id, period, score in ExternalScore.objects.filter(pk__in=list(newest)).values_list(
            "member_id", "period", "score"):
        year = int(period[:4])
        if len(period) == 4:
            yearly[(member_id, year)] = score
        else:
            monthly[member_id][year] += score
    result: dict = defaultdict(int)
    for (member_id, _year), score in yearly.items():
        result[member_id] += score
    for member_id, years in monthly.items():
        for year, score in years.items():
            if (member_id, year) not in yearly:
                result[member_id] += score
    return dict(result)
