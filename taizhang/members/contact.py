"""The last-contact date (DOMAIN_RULES.md "Flow and contact") from every kind of contact.

Contact is counted from the member's effective flow events (registration, report, return, restored
contact, recorded contacts …) and from the sources later apps connect to ``members.hooks.contact_source``
— attendance at organisational life (activities), care visits (care).
"""

import datetime

from django.db.models import Max

from taizhang.members import hooks


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
    sources = (day for _source, day in hooks.contact_source.collect(member=member))
    days = [day for day in (last_flow_contact(member), *sources) if day]
    return max(days, default=None)
