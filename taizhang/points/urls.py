from django.urls import path

from taizhang.points import views

app_name = "points"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("records/new/", views.record_create, name="record_create"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/revise/", views.rule_revise, name="rule_revise"),
    path("rules/<int:pk>/close/", views.rule_close, name="rule_close"),
    path("members/<int:pk>/", views.member_points, name="member"),
    path("members/<int:pk>/adjust/", views.adjustment_create, name="adjust"),
    path("entries/<int:pk>/reverse/", views.adjustment_reverse, name="adjust_reverse"),
    path("settings/", views.settings_view, name="settings"),
    path("participation/", views.participation, name="participation"),
    path("import/", views.import_upload, name="import"),
    path("import/commit/", views.import_commit, name="import_commit"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
