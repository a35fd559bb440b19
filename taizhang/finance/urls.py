from django.urls import path

from taizhang.finance import budget_views, dues_views, views

app_name = "finance"
urlpatterns = [
    path("donations/", views.campaign_list, name="campaigns"),
    path("donations/new/", views.campaign_create, name="campaign_create"),
    path("donations/<int:pk>/", views.campaign_detail, name="campaign"),
    path("donations/<int:pk>/gifts/", views.gift_create, name="gift_create"),
    path("donations/<int:pk>/handovers/", views.handover_create, name="handover_create"),
    path("donations/<int:pk>/thanks/", views.thank_you, name="thank_you"),
    path("donations/<int:pk>/export/", views.campaign_export, name="campaign_export"),
    path("donations/gifts/<int:pk>/reverse/", views.gift_reverse, name="gift_reverse"),
    path("my-gifts/", views.my_gifts, name="my_gifts"),
    path("dues/", dues_views.dues_ledger, name="dues"),
    path("dues/switch/", dues_views.dues_switch, name="dues_switch"),
    path("dues/members/<int:pk>/", dues_views.dues_member, name="dues_member"),
    path("my-dues/", dues_views.my_dues, name="my_dues"),
    path("budget/", budget_views.budget_current, name="budget_current"),
    path("budget/<int:year>/", budget_views.budget_page, name="budget"),
    path("budget/<int:year>/expenses/new/", budget_views.expense_create, name="expense_create"),
    path("budget/lines/<int:pk>/", budget_views.line_set, name="line_set"),
    path("activities/<int:pk>/expenses/new/", budget_views.activity_expense_create, name="activity_expense_create"),
    path("expenses/<int:pk>/approve/", budget_views.expense_approve, name="expense_approve"),
    path("expenses/<int:pk>/reverse/", budget_views.expense_reverse, name="expense_reverse"),
    path("expenses/scans/<int:pk>/", budget_views.scan_download, name="scan_download"),
]
