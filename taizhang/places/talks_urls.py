"""URL patterns of the talks area (included by ``places/urls.py`` under the ``places`` namespace)."""

from django.urls import path

from taizhang.places import talks_views as views

urlpatterns: list = [
    path("talks/", views.talk_list, name="talk_list"),
    path("talks/new/", views.talk_create, name="talk_create"),
    path("talks/members/search/", views.talk_member_search, name="talk_member_search"),
    path("talks/<int:pk>/", views.talk_detail, name="talk_detail"),
    path("talks/<int:pk>/follow-up-done/", views.talk_follow_up_done, name="talk_follow_up_done"),
    path("talks/follow-ups/", views.talk_follow_ups, name="talk_follow_ups"),
    path("talks/overview/", views.talk_overview, name="talk_overview"),
    path("talks/overview/target/", views.talk_target, name="talk_target"),
    path("talks/readers/", views.talk_readers, name="talk_readers"),
    path("talks/readers/<int:pk>/remove/", views.talk_reader_remove, name="talk_reader_remove"),
]
