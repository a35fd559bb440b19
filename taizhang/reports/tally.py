"""The seed-style tally of a period (成立以来：集体学习16次、走访5次、主题活动12次……): activities held by type,
attendances, and how many different members were reached.

The counts by type and the attendances are the activity report's (``activities.reports.by_type``: activities
the user may see that were held — started, not cancelled — and the present attendances of the members the
user may see); ``reached`` adds the number of distinct members among those attendances. Three queries.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from taizhang.activities import reports as activity_reports
from taizhang.activities.models import Attendance, AttendanceStatus
from taizhang.core.permissions import VIEW, restrict


@dataclass
class Tally:
    date_from: datetime.date
    date_to: datetime.date
    by_type: list  # [{"name", "activities", "attendances"}] in the types' order
    activities: int
    attendances: int
    reached: int

    @property
    def sentence(self) -> str:
        """The tally said the way the committee reports it home, ready to copy."""
        parts = [_("%(type)s %(n)d times") % {"type": row["name"], "n": row["activities"]} for row in self.by_type]
        period = _("%(start)s to %(end)s") % {"start": self.date_from.isoformat(), "end": self.date_to.isoformat()}
        if not parts:
            return _("%(period)s: no activities were held.") % {"period": period}
        return _("%(period)s: %(parts)s; %(activities)d activities in all, %(attendances)d attendances, "
                 "%(reached)d members took part.") % {
            "period": period, "parts": "、".join(parts), "activities": self.activities,
            "attendances": self.attendances, "reached": self.reached}


def seed_tally(user, date_from: datetime.date, date_to: datetime.date) -> Tally:
    rows = activity_reports.by_type(user, date_from, date_to)
    held = activity_reports.held_activities(user, date_from, date_to)
    present = restrict(Attendance.objects.filter(activity__in=held.values("pk"), status=AttendanceStatus.PRESENT),
                       user, VIEW, committee="member__committee", branch="member__branch", member="member")
    reached = present.order_by().aggregate(n=Count("member", distinct=True))["n"]
    return Tally(date_from=date_from, date_to=date_to, by_type=rows,
                 activities=sum(r["activities"] for r in rows), attendances=sum(r["attendances"] for r in rows),
                 reached=reached)
