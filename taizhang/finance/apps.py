from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "taizhang.finance"
    label = "finance"
    verbose_name = _("Money")

    def ready(self):
        from taizhang.finance.budget import activity_expenses_panel, budget_uses_seed
        from taizhang.organisation.services import register_committee_setup

        register_committee_setup(budget_uses_seed)  # every new committee starts with the allowed uses

        from taizhang.activities.panels import register_activity_panel

        # an activity's page lists its booked costs and books a new one (activities never imports finance)
        register_activity_panel(key="expenses", template="finance/panels/activity_expenses.html",
                                context=activity_expenses_panel, order=10)
