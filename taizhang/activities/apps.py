from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "taizhang.activities"
    label = "activities"
    verbose_name = _("Organisational life and study")

    def ready(self):
        from taizhang.activities import content_selectors, study_tallies, tally_projection
        from taizhang.activities import hooks as activities
        from taizhang.activities.home import home_panel
        from taizhang.activities.panels import activity_profile_context
        from taizhang.activities.selectors import last_attendance_day
        from taizhang.activities.services import seed_new_committee
        from taizhang.members import hooks as members
        from taizhang.organisation import hooks as organisation

        activities.attendance_changed.connect(tally_projection.attendance_changed)  # the stored monthly tallies
        members.spells_changed.connect(tally_projection.roster_spells_changed)
        members.spells_inserted.connect(tally_projection.roster_spells_changed)
        members.projection_rebuild.connect(tally_projection.rebuild_answer, key="activity_tallies")
        members.contact_source.connect(last_attendance_day)  # attendance is contact (lost-contact rule)
        members.spells_changed.connect(study_tallies.follow_roster)  # reads count in the reader's branch
        members.projection_rebuild.connect(study_tallies.rebuild_answer, key="study_read_tallies")
        organisation.committee_created.connect(seed_new_committee)  # the standard activity types
        members.member_panel.connect(activity_profile_context, key="activity_profile", order=10,
                                     template="activities/panels/activity_profile.html")
        members.home_panel.connect(home_panel, key="activities", order=10,  # what is coming up
                                   template="activities/panels/home_activities.html")
        members.home_panel.connect(content_selectors.home_panel, key="study", order=20,  # 学习园地 card
                                   template="activities/content/home_panel.html")

        from taizhang.activities import export_jobs  # noqa: F401  (registers the study readers' background export)
