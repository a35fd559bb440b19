from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "taizhang.members"
    label = "members"
    verbose_name = _("Member ledger")

    def ready(self):
        from taizhang.members import export_jobs  # noqa: F401  (registers the ledger's background export)
