"""URLs of the ledger's spreadsheet export (names are in the ``members`` namespace)."""

urlpatterns = []
