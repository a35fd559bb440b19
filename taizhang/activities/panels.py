"""The "activity profile" panel on the member page (行为特征: a dated activity profile).

Connected to ``members.hooks.member_panel`` in ``ActivitiesConfig.ready()``. The
member page is already scoped; the panel is hidden from viewers who may not VIEW the member, and
the link to the attendance list is only shown to users who may read the activity reports. A fixed
number of queries, whatever the member's history (``reports.activity_profile``).
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.activities import hooks, reports
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


def activity_panels(*, activity, user) -> list[dict]:
    """[{"key", "template", "context"}] for the panels later apps add to this activity's page
    (``activities.hooks.activity_panel``) that this user sees."""
    return [{"key": listener.key, "template": listener.options["template"], "context": context}
            for listener, context in hooks.activity_panel.collect(activity=activity, user=user)
            if context is not None]
