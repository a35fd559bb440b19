from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The JSON API under /api/v1/ (django-ninja) over the same selectors, services, scoping and audit as
    the pages; its personal access tokens. Nothing imports this app (ARCHITECTURE.md layout)."""

    name = "taizhang.api"
    label = "api"
    verbose_name = _("API")
