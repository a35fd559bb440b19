"""Calendar months as their first days: the month arithmetic of dues, the dashboard and the flow report."""

import datetime


def month_start(day: datetime.date) -> datetime.date:
    """The first of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: datetime.date, n: int) -> datetime.date:
    """The first of the month ``n`` months after ``day``'s month (``n`` may be negative)."""
    y, m = divmod(day.month - 1 + n, 12)
    return datetime.date(day.year + y, m + 1, 1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The firsts of the months from ``start``'s month to ``end``'s, in order (both any day of their month)."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months
