from django.urls import path

from taizhang.activities import content_views as views

app_name = "content"

urlpatterns = [
    path("", views.study_list, name="study_list"),
    path("new/", views.study_create, name="study_create"),
    path("<int:pk>/", views.study_detail, name="study_detail"),
    path("<int:pk>/edit/", views.study_edit, name="study_edit"),
    path("<int:pk>/withdraw/", views.study_withdraw, name="study_withdraw"),
    path("<int:pk>/read/", views.study_mark_read, name="study_mark_read"),
    path("<int:pk>/file/", views.study_file, name="study_file"),
    path("<int:pk>/readers/", views.study_readers, name="study_readers"),
    path("activity/<int:pk>/notes/", views.activity_notes, name="activity_notes"),
    path("activity/<int:pk>/notes/new/<str:kind>/", views.note_create, name="note_create"),
    path("notes/mine/", views.my_notes, name="my_notes"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/withdraw/", views.note_withdraw, name="note_withdraw"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("plans/", views.plan_page, name="plans"),
]
