from django.urls import path

from taizhang.activities import views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/signup/", views.signup, name="signup"),
    path("<int:pk>/signup/candidates/", views.signup_candidates, name="signup_candidates"),
    path("<int:pk>/signup/<int:signup_pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/attendance/all-present/", views.attendance_all_present, name="attendance_all_present"),
    path("<int:pk>/attendance/sheet/", views.attendance_sheet, name="attendance_sheet"),
    path("<int:pk>/attendance/<int:member_pk>/present/", views.attendance_present, name="attendance_present"),
    path("<int:pk>/attendance/<int:member_pk>/mark/", views.attendance_mark, name="attendance_mark"),
    path("<int:pk>/attendance/records/<int:attendance_pk>/correct/", views.attendance_correct,
         name="attendance_correct"),
    path("<int:pk>/qr/", views.qr, name="qr"),
    path("<int:pk>/qr/code/", views.qr_code, name="qr_code"),
    path("<int:pk>/checkin/<str:token>/", views.checkin, name="checkin"),
]
