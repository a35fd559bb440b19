from django.contrib.auth import views as auth_views
from django.urls import path

from taizhang.accounts import user_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("display/", views.display_toggle, name="display"),
    path("users/", user_views.user_list, name="users"),
    path("users/<int:pk>/", user_views.user_detail, name="user_detail"),
    path("roles/<int:pk>/revoke/", user_views.role_revoke, name="role_revoke"),
]
