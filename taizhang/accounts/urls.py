from django.contrib.auth import views as auth_views
from django.urls import path

from taizhang.accounts import user_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", user_views.password_change, name="password_change"),
    path("display/", views.display_toggle, name="display"),
    path("users/", user_views.user_list, name="users"),
    path("users/<int:pk>/", user_views.user_detail, name="user_detail"),
    path("users/<int:pk>/password/", user_views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/password/confirm/", user_views.user_confirm_password_reset, name="user_confirm_password_reset"),
    path("users/<int:pk>/active/", user_views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/unlock/", user_views.user_unlock, name="user_unlock"),
    path("roles/<int:pk>/revoke/", user_views.role_revoke, name="role_revoke"),
    path("security/", user_views.security_policy, name="security_policy"),
]
