"""URL patterns of the groups area (included by ``places/urls.py`` under the ``places`` namespace)."""

urlpatterns: list = []
