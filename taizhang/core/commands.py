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


def run_demo_loader(loader, *, known_errors=()):
    """Run a demo loader for a management command: never in production, its errors as a Chinese
    CommandError instead of a stack trace. Returns ``(summary, seconds)``; summary is None when the
    demo data was already there."""
    import time

    from django.conf import settings
    from django.core.exceptions import ValidationError

    if settings.PRODUCTION:
        raise CommandError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
    started = time.monotonic()
    try:
        summary = loader()
    except known_errors as exc:
        raise CommandError(str(exc)) from exc
    except ValidationError as exc:  # e.g. a demo user name is already taken by a real login
        raise CommandError(_("The demo data could not be loaded: %(reason)s") % {"reason": "；".join(exc.messages)}) from exc
    return summary, time.monotonic() - started
