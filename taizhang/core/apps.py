from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "taizhang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from taizhang.core import maintenance  # noqa: F401  (registers the SQLite maintenance function)
