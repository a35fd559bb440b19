"""URL patterns of the groups area (included by ``places/urls.py`` under the ``places`` namespace)."""

from django.urls import path

from taizhang.places import groups_views as views

urlpatterns: list = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/members/add/", views.group_member_add, name="group_member_add"),
    path("groups/memberships/<int:pk>/end/", views.group_member_end, name="group_member_end"),
    path("groups/<int:pk>/join/", views.group_join, name="group_join"),
    path("groups/<int:pk>/leave/", views.group_leave, name="group_leave"),
    path("groups/<int:pk>/activities/link/", views.group_activity_link, name="group_activity_link"),
    path("contests/", views.contest_list, name="contest_list"),
    path("contests/new/", views.contest_create, name="contest_create"),
    path("contests/<int:pk>/", views.contest_detail, name="contest_detail"),
    path("contests/<int:pk>/awards/", views.contest_awards, name="contest_awards"),
    path("contests/<int:pk>/judges/add/", views.contest_judge_add, name="contest_judge_add"),
    path("contests/<int:pk>/entries/add/", views.contest_entry_add, name="contest_entry_add"),
    path("contests/<int:pk>/score/", views.contest_score, name="contest_score"),
    path("contests/<int:pk>/rank/", views.contest_rank, name="contest_rank"),
    path("contests/<int:pk>/awards/give/", views.contest_awards_give, name="contest_awards_give"),
    path("contests/<int:pk>/certificates/", views.contest_certificates, name="contest_certificates"),
    path("contests/files/<int:pk>/", views.entry_file, name="contest_entry_file"),
]
