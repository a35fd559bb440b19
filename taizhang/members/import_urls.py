"""URLs of the ledger's spreadsheet import (names are in the ``members`` namespace)."""

from django.urls import path

from taizhang.members import import_views

urlpatterns = [
    path("", import_views.import_upload, name="import_upload"),
    path("template/", import_views.import_template, name="import_template"),
    path("<int:pk>/", import_views.import_run, name="import_run"),
    path("<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("<int:pk>/commit/", import_views.import_commit, name="import_commit"),
    path("<int:pk>/errors/", import_views.import_errors, name="import_errors"),
    path("<int:pk>/retry/", import_views.import_retry, name="import_retry"),
    path("<int:pk>/discard/", import_views.import_discard, name="import_discard"),
]
