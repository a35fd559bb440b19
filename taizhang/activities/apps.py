from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "taizhang.activities"
    label = "activities"
    verbose_name = _("Organisational life and study")

    def ready(self):
        from taizhang.activities.selectors import last_attendance_day
        from taizhang.activities.services import seed_new_committee
        from taizhang.members.contact import register_contact_source
        from taizhang.organisation.services import register_committee_setup

        register_contact_source(last_attendance_day)
        register_committee_setup(seed_new_committee)

        from taizhang.activities import panels

        panels.register()  # the activity profile on the member page

        from taizhang.activities import content_selectors
        from taizhang.activities.home import home_panel
        from taizhang.members.panels import register_home_panel

        register_home_panel(key="activities", template="activities/panels/home_activities.html",
                            context=home_panel, order=10)  # what is coming up
        register_home_panel(key="study", template="activities/content/home_panel.html",
                            context=content_selectors.home_panel, order=20)  # 学习园地 card

        from taizhang.activities import export_jobs  # noqa: F401  (registers the study readers' background export)
