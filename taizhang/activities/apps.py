from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "taizhang.activities"
    label = "activities"
    verbose_name = _("Organisational life and study")

    def ready(self):
        from taizhang.activities.selectors import last_attendance_day
        from taizhang.members.contact import register_contact_source

        register_contact_source(last_attendance_day)
