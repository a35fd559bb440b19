from django.urls import path

from taizhang.activities import ics_views, report_views, types_views

app_name = "activity_reports"

urlpatterns = [
    path("", report_views.summary, name="summary"),
    path("export.xlsx", report_views.export_xlsx, name="export_xlsx"),
    path("members/<int:pk>/", report_views.member_report, name="member"),
    path("types/", types_views.type_list, name="types"),
    path("types/new/", types_views.type_create, name="type_create"),
    path("types/<int:pk>/edit/", types_views.type_edit, name="type_edit"),
    path("calendar/", ics_views.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", ics_views.feed, name="ics"),
]
