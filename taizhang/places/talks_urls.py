"""URL patterns of the talks area (included by ``places/urls.py`` under the ``places`` namespace)."""

urlpatterns: list = []
