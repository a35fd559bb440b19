from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reports read every app; no app reads them (ARCHITECTURE.md layout)."""

    name = "taizhang.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from taizhang.members.panels import register_home_panel
        from taizhang.reports.overview import home_panel

        register_home_panel(key="superior_overview", template="reports/home_overview.html", context=home_panel,
                            order=5)  # the superior organisation's totals, before the committee's own cards
