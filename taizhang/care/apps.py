from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "taizhang.care"
    label = "care"
    verbose_name = _("Care")

    def ready(self):
        from taizhang.care import selectors
        from taizhang.members.contact import register_contact_source
        from taizhang.members.panels import register_home_panel, register_member_panel

        register_contact_source(selectors.last_visit_day)  # a visit is contact (lost-contact rule)
        register_member_panel(key="care", template="care/panels/member.html", context=selectors.member_panel,
                              order=40)
        register_home_panel(key="care", template="care/panels/home.html", context=selectors.home_panel, order=40)
