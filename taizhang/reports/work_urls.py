from django.urls import path

from taizhang.reports import work_views as views

urlpatterns = [
    path("worklist/", views.worklist_page, name="worklist"),
    path("worklist/<slug:key>/", views.worklist_item, name="worklist_item"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
    path("notices/read-all/", views.notice_read_all, name="notices_read_all"),
    path("notices/preferences/", views.preferences_page, name="notice_preferences"),
]
