from django.urls import include, path

from taizhang.reports import views

app_name = "reports"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("", include("taizhang.reports.work_urls")),  # worklist, notices, reminder preferences (issue 14)
]
