from django.urls import include, path

from taizhang.reports import dashboard_views, statistics_views, views

app_name = "reports"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("", include("taizhang.reports.work_urls")),  # worklist, notices, reminder preferences (issue 14)
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/print/", dashboard_views.dashboard_print, name="dashboard_print"),
    path("composition/", statistics_views.composition_view, name="composition"),
    path("flow/", statistics_views.flow_view, name="flow"),
    path("tally/", statistics_views.tally_view, name="tally"),
    path("yearly/", statistics_views.yearly_view, name="yearly"),
]
