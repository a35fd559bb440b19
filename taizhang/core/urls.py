from django.urls import path

from taizhang.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log_list, name="audit"),
    path("security/alerts/", views.security_alerts, name="security_alerts"),
]
