from django.urls import path

from taizhang.reports import dashboard_views, views

app_name = "reports"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/print/", dashboard_views.dashboard_print, name="dashboard_print"),
]
