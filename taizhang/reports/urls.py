from django.urls import path

from taizhang.reports import statistics_views, views

app_name = "reports"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("composition/", statistics_views.composition_view, name="composition"),
    path("flow/", statistics_views.flow_view, name="flow"),
    path("tally/", statistics_views.tally_view, name="tally"),
    path("yearly/", statistics_views.yearly_view, name="yearly"),
]
