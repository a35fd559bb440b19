"""URLs of the ledger's spreadsheet import (names are in the ``members`` namespace)."""

urlpatterns = []
