"""URLs of 党员之家: each area lists its own patterns in ``<area>_urls.py``."""

from taizhang.places import groups_urls, rooms_urls, talks_urls

app_name = "places"

urlpatterns = [*rooms_urls.urlpatterns, *groups_urls.urlpatterns, *talks_urls.urlpatterns]
