from django.urls import path

from taizhang.care import views

app_name = "care"
urlpatterns = [
    path("", views.elderly, name="elderly"),
    path("members/<int:pk>/", views.profile_edit, name="profile"),
    path("subscriptions/", views.subscriptions_current, name="subscriptions_current"),
    path("subscriptions/<int:year>/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:year>/preview/", views.subscriptions_preview, name="subscriptions_preview"),
    path("subscriptions/<int:year>/export/", views.subscriptions_export, name="subscriptions_export"),
    path("subscriptions/<int:year>/book/", views.subscriptions_book, name="subscriptions_book"),
    path("subscriptions/cancel/<int:pk>/", views.subscription_cancel, name="subscription_cancel"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/targets/add/", views.target_add, name="target_add"),
    path("plans/targets/<int:pk>/", views.target_update, name="target_update"),
    path("members/search/", views.member_search, name="member_search"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("visits/<int:pk>/withdraw/", views.visit_withdraw, name="visit_withdraw"),
    path("visits/photos/<int:pk>/", views.photo_download, name="photo"),
    path("store/", views.store, name="store"),
    path("store/<int:pk>/", views.item_detail, name="item"),
    path("store/movements/<int:pk>/reverse/", views.movement_reverse, name="movement_reverse"),
    path("store/movements/<int:pk>/book/", views.stock_in_book, name="stock_in_book"),
    path("store/received/", views.received, name="received"),
    path("summary/<int:year>/", views.summary, name="summary"),
]
