"""The superior organisation's overview (上级党组织): each committee's totals, never its people.

A user holding the role ``superior_viewer`` in a committee (given by that committee's security admin)
sees that committee here, grouped under its superior organisation. Every number is a SQL aggregate
grouped by committee, so the page costs the same handful of queries for one committee or a thousand,
and its time follows the committees shown, not the size of the database:

* on the roster on the chosen day, by status (the roster spells, ``members.RosterSpell``);
* of them aged ``ELDERLY_AGE`` and over on that day;
* in the period: registrations (inflow to Beijing), departures from Beijing, transfers out, deaths
  (effective flow events, corrections' targets excluded);
* in the period: activities held (not cancelled) and attendances recorded as present.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from taizhang.activities.models import Activity, Attendance, AttendanceStatus
from taizhang.core.permissions import capability_committee_ids
from taizhang.members.models import ROSTER_STATUSES, EventKind, FlowEvent, RosterSpell, Status
from taizhang.members.selectors import years_ago
from taizhang.organisation.models import Committee

CAPABILITY = "superior.overview"
FLOW_COLUMNS = {  # column key -> the flow events it counts
    "registered": [EventKind.REGISTERED],
    "left": [EventKind.LEFT_BEIJING],
    "transferred": [EventKind.TRANSFERRED_OUT],
    "deceased": [EventKind.DECEASED],
}
STATUS_COLUMNS = [Status.ACTIVE, Status.OUTFLOW, Status.LOST, Status.AWAITING, Status.SUSPENDED]


@dataclass
class Row:
    committee_id: int | None
    name: str
    superior: str
    roster: int = 0
    by_status: dict = field(default_factory=dict)
    elderly: int = 0
    flows: dict = field(default_factory=dict)
    activities: int = 0
    present: int = 0

    def add(self, other: "Row") -> None:
        self.roster += other.roster
        self.elderly += other.elderly
        self.activities += other.activities
        self.present += other.present
        for key, n in other.by_status.items():
            self.by_status[key] = self.by_status.get(key, 0) + n
        for key, n in other.flows.items():
            self.flows[key] = self.flows.get(key, 0) + n


@dataclass
class Overview:
    day: datetime.date
    date_from: datetime.date
    date_to: datetime.date
    groups: list  # [(superior name, [Row, ...], subtotal Row)]
    total: Row

    @property
    def committee_count(self) -> int:
        return sum(len(rows) for _name, rows, _sub in self.groups)


def elderly_age() -> int:
    return settings.ELDERLY_AGE


def overview_committees(user):
    """The committees whose totals ``user`` may see on the overview (a queryset)."""
    return Committee.objects.filter(pk__in=capability_committee_ids(user, CAPABILITY)).select_related("superior")


def _by_committee(queryset, key="committee_id") -> dict:
    return dict(queryset.order_by().values_list(key).annotate(n=Count("pk")).values_list(key, "n"))


def committee_overview(committees, *, day: datetime.date, date_from: datetime.date, date_to: datetime.date) -> Overview:
    """The totals of ``committees`` (a queryset) on ``day`` and over [date_from, date_to]."""
    committees = list(committees.order_by("superior__name", "name"))
    ids = [c.pk for c in committees]
    on_roster = RosterSpell.objects.filter(
        committee_id__in=ids, valid_from__lte=day, valid_to__gt=day, status__in=ROSTER_STATUSES)
    status_counts = defaultdict(dict)
    for committee_id, status, n in (on_roster.order_by().values_list("committee_id", "status")
                                    .annotate(n=Count("pk")).values_list("committee_id", "status", "n")):
        status_counts[committee_id][status] = n
    elderly = _by_committee(on_roster.filter(member__birth_date__lte=years_ago(elderly_age(), day)))

    events = FlowEvent.objects.filter(
        member__committee_id__in=ids, effective_date__gte=date_from, effective_date__lte=date_to,
        kind__in=[k for kinds in FLOW_COLUMNS.values() for k in kinds],
    ).effective()
    flow_counts = defaultdict(dict)
    kind_to_column = {k: column for column, kinds in FLOW_COLUMNS.items() for k in kinds}
    for committee_id, kind, n in (events.order_by().values_list(F("member__committee_id"), "kind")
                                  .annotate(n=Count("pk")).values_list("member__committee_id", "kind", "n")):
        column = kind_to_column[kind]
        flow_counts[committee_id][column] = flow_counts[committee_id].get(column, 0) + n

    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
    held = Activity.objects.filter(committee_id__in=ids, cancelled=False, starts_at__gte=start, starts_at__lt=end)
    activities = _by_committee(held)
    present = _by_committee(
        Attendance.objects.filter(activity__in=held, status=AttendanceStatus.PRESENT), key="activity__committee_id")

    groups, by_superior = [], {}
    total = Row(None, "", "")
    for c in committees:
        superior = c.superior.name if c.superior_id else ""
        row = Row(c.pk, c.name, superior, by_status=status_counts.get(c.pk, {}),
                  elderly=elderly.get(c.pk, 0), flows=flow_counts.get(c.pk, {}),
                  activities=activities.get(c.pk, 0), present=present.get(c.pk, 0))
        row.roster = sum(row.by_status.values())
        if superior not in by_superior:
            by_superior[superior] = (superior, [], Row(None, superior, superior))
            groups.append(by_superior[superior])
        by_superior[superior][1].append(row)
        by_superior[superior][2].add(row)
        total.add(row)
    return Overview(day=day, date_from=date_from, date_to=date_to, groups=groups, total=total)


def home_panel(*, user):
    """The home card of a superior organisation's user: how many committees, on the roster today."""
    committees = overview_committees(user)
    ids = list(committees.values_list("pk", flat=True))
    if not ids:
        return None
    today = timezone.localdate()
    roster = RosterSpell.objects.filter(committee_id__in=ids, valid_from__lte=today, valid_to__gt=today,
                                        status__in=ROSTER_STATUSES).count()
    return {"committees": len(ids), "roster": roster, "day": today}
