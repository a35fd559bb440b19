from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "taizhang.finance"
    label = "finance"
    verbose_name = _("Money")

    def ready(self):
        from taizhang.finance.budget import budget_uses_seed
        from taizhang.organisation.services import register_committee_setup

        register_committee_setup(budget_uses_seed)  # every new committee starts with the allowed uses
