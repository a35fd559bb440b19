from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "taizhang.points"
    label = "points"
    verbose_name = _("Study points")

    def ready(self):
        from taizhang.activities import hooks as activities
        from taizhang.members import hooks as members
        from taizhang.organisation import hooks as organisation
        from taizhang.points import selectors, services

        organisation.committee_created.connect(services.seed_new_committee)  # the default rules
        activities.attendance_changed.connect(services.entries_for_attendance)
        activities.study_item_read.connect(services.entries_for_study_read)
        members.member_panel.connect(selectors.member_panel, key="points", order=20,
                                     template="points/panels/points.html")
        members.home_panel.connect(selectors.home_panel, key="points", order=30, template="points/panels/home.html")

        from taizhang.points import export_jobs  # noqa: F401  (registers the participation background export)
