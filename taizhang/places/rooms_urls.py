"""URL patterns of the rooms area (included by ``places/urls.py`` under the ``places`` namespace)."""

urlpatterns: list = []
