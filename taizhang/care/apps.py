from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "taizhang.care"
    label = "care"
    verbose_name = _("Care")

    def ready(self):
        from taizhang.care import selectors
        from taizhang.members import hooks as members

        members.contact_source.connect(selectors.last_visit_day)  # a visit is contact (lost-contact rule)
        members.member_panel.connect(selectors.member_panel, key="care", order=40, template="care/panels/member.html")
        members.home_panel.connect(selectors.home_panel, key="care", order=40, template="care/panels/home.html")
