"""党员之家 in counts (``places_summary`` and the demo loader's last line): each area answers its own part
(``<area>_selectors.summary_counts``); never a talk's content."""

from django.utils.translation import gettext as _

from taizhang.places import groups_selectors, rooms_selectors, talks_selectors

AREAS = (rooms_selectors, groups_selectors, talks_selectors)


def places_summary(committee) -> dict:
    """``{"rooms": N, "bookings_this_month": N, "groups": {"<group>": members}, "loans_out": N, "overdue": N,
    "talks_this_year": N}``."""
    data = {}
    for area in AREAS:
        data.update(area.summary_counts(committee))
    return data


def summary_text(data: dict) -> str:
    groups = "、".join(f"{name} {n}" for name, n in data["groups"].items()) or "—"
    return (_("Rooms %(rooms)d, bookings this month %(bookings)d, books out %(loans)d (overdue %(overdue)d), "
              "talks this year %(talks)d; interest groups: %(groups)s")
            % {"rooms": data["rooms"], "bookings": data["bookings_this_month"], "loans": data["loans_out"],
               "overdue": data["overdue"], "talks": data["talks_this_year"], "groups": groups})
