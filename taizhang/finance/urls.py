from django.urls import path

from taizhang.finance import views

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
]
