from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reports read every app; no app reads them (ARCHITECTURE.md layout)."""

    name = "taizhang.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from taizhang.members import hooks as members
        from taizhang.reports import exports  # noqa: F401 - registers the reports' downloads
        from taizhang.reports.overview import home_panel

        # the superior organisation's totals, before the committee's own cards
        members.home_panel.connect(home_panel, key="superior_overview", order=5, template="reports/home_overview.html")
