"""URLs of the ledger's spreadsheet export (names are in the ``members`` namespace)."""

from django.urls import path

from taizhang.members import export_views

urlpatterns = [
    path("xlsx/", export_views.export_xlsx, name="export_xlsx"),
    path("csv/", export_views.export_csv, name="export_csv"),
    path("roster/", export_views.roster_print, name="roster_print"),
]
