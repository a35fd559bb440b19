from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "taizhang.points"
    label = "points"
    verbose_name = _("Study points")

    def ready(self):
        from taizhang.activities.hooks import register_attendance_listener, register_study_read_listener
        from taizhang.members.panels import register_home_panel, register_member_panel
        from taizhang.organisation.services import register_committee_setup
        from taizhang.points import selectors, services

        register_committee_setup(services.seed_new_committee)
        register_attendance_listener(services.entries_for_attendance)
        register_study_read_listener(services.entries_for_study_read)
        register_member_panel(key="points", template="points/panels/points.html", context=selectors.member_panel,
                              order=20)
        register_home_panel(key="points", template="points/panels/home.html", context=selectors.home_panel, order=30)

        from taizhang.points import export_jobs  # noqa: F401  (registers the participation background export)
