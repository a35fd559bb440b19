"""Argument parsing shared by the management commands (Chinese messages, never a stack trace)."""

import datetime
import re

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def parse_day(value: str) -> datetime.date:
    value = (value or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise CommandError(
            _("The date must be written as YYYY-MM-DD (for example 2026-11-24), not “%(value)s”.") % {"value": value}
        )
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("“%(value)s” is not a date in the calendar.") % {"value": value}) from exc
