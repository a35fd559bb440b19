from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "taizhang.finance"
    label = "finance"
    verbose_name = _("Money")

    def ready(self):
        from taizhang.activities import hooks as activities
        from taizhang.finance.budget import activity_expenses_panel, budget_uses_seed
        from taizhang.finance.dues import last_dues_payment_day
        from taizhang.members import hooks as members
        from taizhang.organisation import hooks as organisation

        organisation.committee_created.connect(budget_uses_seed)  # every new committee starts with the allowed uses
        members.contact_source.connect(last_dues_payment_day)  # a dues payment is contact (lost-contact rule)
        # an activity's page lists its booked costs and books a new one (activities never imports finance)
        activities.activity_panel.connect(activity_expenses_panel, key="expenses", order=10,
                                          template="finance/panels/activity_expenses.html")
