from django.urls import path

from taizhang.organisation import views

app_name = "organisation"
urlpatterns = [
    path("", views.organisation, name="index"),
    path("districts/<int:pk>/", views.district_update, name="district_update"),
    path("committees/<int:pk>/superior/", views.committee_superior, name="committee_superior"),
]
