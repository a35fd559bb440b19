"""The last-contact date (DOMAIN_RULES.md "Flow and contact") from every kind of contact.

Contact is counted from the member's effective flow events (registration, report, return, restored
contact, recorded contacts …) and from whatever later apps register here — attendance at
organisational life (activities), later dues payments. Apps register a source in their
``AppConfig.ready()`` so the ledger never imports them (dependencies point one way).
"""

import datetime
from collections.abc import Callable

from django.db.models import Max

_sources: list[Callable] = []


def register_contact_source(source: Callable) -> Callable:
    """``source(member) -> date | None``: the member's latest contact of one kind. Called at start-up."""
    if source not in _sources:
        _sources.append(source)
    return source


def last_flow_contact(member) -> datetime.date | None:
    from taizhang.members import flow
    from taizhang.members.models import FlowEvent

    return (
        FlowEvent.objects.effective()
        .filter(member=member, kind__in=flow.CONTACT_KINDS)
        .aggregate(day=Max("effective_date"))["day"]
    )


def last_contact_day(member) -> datetime.date | None:
    """The latest contact of any kind, recomputed from the sources (after a correction, say)."""
    days = [day for day in (last_flow_contact(member), *(source(member) for source in _sources)) if day]
    return max(days, default=None)
