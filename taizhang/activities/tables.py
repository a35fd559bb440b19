"""The one column definition of the staff activity list (page and htmx fragment)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    css: str = ""  # responsive visibility; on a phone the row collapses into a card


ACTIVITY_COLUMNS = [
    Column("when", _("date and time")),
    Column("type", _("activity type"), "d-none d-md-table-cell"),
    Column("title", _("title")),
    Column("organiser", _("organised by"), "d-none d-lg-table-cell"),
    Column("audience", _("audience"), "d-none d-lg-table-cell"),
    Column("signups", _("sign-ups / capacity"), "d-none d-md-table-cell"),
    Column("attendance", _("present / expected"), "d-none d-md-table-cell"),
]
