from django.urls import path

from taizhang.reports import views

app_name = "reports"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
]
