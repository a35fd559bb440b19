"""The "activity profile" panel on the member page (行为特征: a dated activity profile).

Registered in ``ActivitiesConfig.ready()`` through ``members.panels.register_member_panel``. The
member page is already scoped; the panel is hidden from viewers who may not VIEW the member, and
the link to the attendance list is only shown to users who may read the activity reports. A fixed
number of queries, whatever the member's history (``reports.activity_profile``).
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.activities import reports
from taizhang.core.permissions import VIEW, allows, has_capability


def activity_profile_context(*, member, user):
    if not allows(user, VIEW, committee_id=member.committee_id, branch_id=member.branch_id,
                  member_user_id=member.user_id):
        return None
    profile = reports.activity_profile(member)
    report_url = ""
    if has_capability(user, "activities.manage"):
        report_url = reverse("activity_reports:member", args=[member.pk]) + "?preset=since_founding"
    return {
        "as_of": profile["as_of"],
        "rows": [(_("Last 12 months"), profile["recent"]), (_("Since registration"), profile["overall"])],
        "last_attended": profile["last_attended"],
        "types": profile["types"],
        "report_url": report_url,
    }


def register() -> None:
    from taizhang.members.panels import register_member_panel

    register_member_panel(key="activity_profile", template="activities/panels/activity_profile.html",
                          context=activity_profile_context, order=10)


# --- panels later apps add to the activity page ---------------------------------------------------------
# Activities never imports the apps that add them (money books an activity's cost and lists its expenses
# there). An app registers in its ``AppConfig.ready()``: a template and ``context(*, activity, user)`` that
# returns None to hide the panel from this viewer; each must use a fixed number of queries.

_activity_panels: dict = {}


def register_activity_panel(*, key: str, template: str, context, order: int = 100) -> None:
    _activity_panels[key] = (order, template, context)


def activity_panels(*, activity, user) -> list[dict]:
    """[{"key", "template", "context"}] for the panels this user sees on this activity's page."""
    shown = []
    for key, (_order, template, context) in sorted(_activity_panels.items(), key=lambda kv: (kv[1][0], kv[0])):
        data = context(activity=activity, user=user)
        if data is not None:
            shown.append({"key": key, "template": template, "context": data})
    return shown
