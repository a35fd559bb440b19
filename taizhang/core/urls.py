from django.urls import path

from taizhang.core import export_views, views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log_list, name="audit"),
    path("security/alerts/", views.security_alerts, name="security_alerts"),
    path("exports/", export_views.export_job_list, name="export_jobs"),
    path("exports/<int:pk>/", export_views.export_job, name="export_job"),
    path("exports/<int:pk>/progress/", export_views.export_job_progress, name="export_job_progress"),
    path("exports/<int:pk>/download/", export_views.export_job_download, name="export_job_download"),
]
