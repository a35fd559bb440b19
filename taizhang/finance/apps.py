from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "taizhang.finance"
    label = "finance"
    verbose_name = _("Money")

    def ready(self):
        from taizhang.finance.budget import budget_uses_seed
        from taizhang.organisation import hooks as organisation

        organisation.committee_created.connect(budget_uses_seed)  # every new committee starts with the allowed uses
