from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "taizhang.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from taizhang.accounts import signals  # noqa: F401  (login audit receivers)
