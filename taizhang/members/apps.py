from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "taizhang.members"
    label = "members"
    verbose_name = _("Member ledger")

    def ready(self):
        from taizhang.accounts import hooks as accounts
        from taizhang.members import selectors, services

        # What accounts asks of the ledger about a login's person (accounts never imports members).
        accounts.personal_values.connect(selectors.login_personal_values, key="members")
        accounts.linked_record.connect(selectors.login_record, key="members")
        accounts.linkable_records.connect(selectors.records_without_login, key="members",
                                          label=selectors.record_choice_label)
        accounts.link_record.connect(services.member_link_login, key="members")

        from taizhang.members import export_jobs  # noqa: F401  (registers the ledger's background export)
