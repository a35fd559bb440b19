from django.urls import include, path

from taizhang.members import change_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("import/", include("taizhang.members.import_urls")),
    path("export/", include("taizhang.members.export_urls")),
    path("new/", views.member_create, name="create"),
    path("change-requests/", change_views.request_list, name="change_requests"),
    path("change-requests/<int:request_pk>/<str:decision>/", change_views.request_decide, name="change_request_decide"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/flow/<slug:kind>/", views.flow_action, name="flow"),
    path("<int:pk>/events/<int:event_pk>/correct/", views.flow_correct, name="correct"),
    path("<int:pk>/notes/", views.note_add, name="note"),
    path("<int:pk>/change-request/", change_views.request_create, name="change_request"),
    path("<int:pk>/reveal/<slug:field>/", views.reveal, name="reveal"),
]
