"""The one column definition of the ledger list (page, htmx fragment, later exports)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from taizhang.members.models import Status
from taizhang.members.selectors import branch_name_on


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable
    css: str = ""  # responsive visibility, e.g. "d-none d-md-table-cell"


def _status_label(member):
    return Status(member.status).label if member.status else _("Not registered")


MEMBER_COLUMNS = [
    Column("name", _("name"), lambda m: m.name),
    Column("gender", _("gender"), lambda m: m.get_gender_display(), "d-none d-md-table-cell"),
    Column("age", _("age"), lambda m: m.age),
    Column("branch", _("branch"), branch_name_on, "d-none d-sm-table-cell"),
    Column("category", _("category"), lambda m: m.get_category_display(), "d-none d-lg-table-cell"),
    Column("status", _("status"), _status_label),
    Column("phone", _("mobile phone"), lambda m: m.phone_masked, "d-none d-md-table-cell"),
    Column("district", _("district"), lambda m: m.district.name if m.district_id else "", "d-none d-xl-table-cell"),
    Column("last_contact", _("last contact"), lambda m: m.last_contact_date or "", "d-none d-lg-table-cell"),
]
