from django.urls import include, path

from taizhang.members.views import home

urlpatterns = [
    path("", home, name="home"),
    path("", include("taizhang.core.urls")),
    path("accounts/", include("taizhang.accounts.urls")),
    path("members/", include("taizhang.members.urls")),
    path("organisation/", include("taizhang.organisation.urls")),
    path("activities/", include("taizhang.activities.urls")),
    path("study/", include("taizhang.activities.content_urls")),
    path("reports/activities/", include("taizhang.activities.report_urls")),
    path("points/", include("taizhang.points.urls")),
    path("reports/", include("taizhang.reports.urls")),
    path("finance/", include("taizhang.finance.urls")),
    path("care/", include("taizhang.care.urls")),
    path("places/", include("taizhang.places.urls")),
    path("api/v1/", include("taizhang.api.urls", namespace="api-v1")),  # the JSON API (django-ninja); the token pages under account/
    path("account/api-tokens/", include("taizhang.api.token_urls")),
]

handler403 = "taizhang.core.views.permission_denied"
handler404 = "taizhang.core.views.page_not_found"
handler500 = "taizhang.core.views.server_error"
