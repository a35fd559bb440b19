"""The ledger export as one definition for both ways it is sent (issue 10 "Large exports").

``ledger_export`` builds the export (rows, count, file name, audit details) from a valid ``MemberFilter``
for one user; the export pages send it directly when it is small and otherwise queue it as a background
job (``core.export_jobs``), whose worker calls the registered ``build`` below with the filter values the
page resolved (a remembered search already replaced by its text): the same filter set, the same scoping
(``member_queryset(user, DETAILS)`` and REVEAL), as the user who asked — re-checked in the worker.
"""

from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core import export_jobs
from taizhang.core.permissions import DETAILS, has_capability
from taizhang.members import exports, searches
from taizhang.members.filters import MemberFilter

LEDGER = "members.ledger"


def filter_params(filterset) -> dict:
    """The filter values in effect (the list's GET parameters, with its defaults), for the audit log."""
    params = {name: filterset.data.get(name) for name in filterset.filters if filterset.data.get(name)}
    return searches.loggable(params)  # a search by a full number goes to the log masked


def export_filename(extension: str, as_of=None) -> str:
    """``党员台账-20261203.xlsx``; a list as of a past day is named after that day (``党员台账-截至20191231``)."""
    if as_of is not None:
        return f"{_('Member ledger')}-{_('as of %(day)s') % {'day': f'{as_of:%Y%m%d}'}}.{extension}"
    return f"{_('Member ledger')}-{timezone.localdate():%Y%m%d}.{extension}"


def ledger_export(user, filterset, fmt: str) -> export_jobs.Export:
    """The export of a valid ledger filter set for ``user`` (one COUNT query now, the rows when iterated)."""
    prepared = exports.prepare(filterset.qs, user)
    counts = exports.summary(prepared)
    return export_jobs.Export(
        header=exports.HEADERS,
        rows=exports.iter_rows(prepared),
        total=counts["rows"],
        filename=export_filename(fmt, filterset.as_of_day),
        action="member.export",
        object_type="members.member",
        details={"filters": filter_params(filterset), "unmasked": counts["unmasked"], "source": "web"},
        message="unmasked" if counts["unmasked"] else "masked",
        sheet_name=_("Member ledger"),
        widths=exports.XLSX_WIDTHS,
    )


def job_params(filterset) -> dict:
    """What the worker needs to build the same export: the resolved filter values as a query string."""
    data = filterset.data
    return {"query": data.urlencode() if isinstance(data, QueryDict) else urlencode(data)}


def _loggable(params: dict) -> dict:
    """The parameters kept once the job has ended: a search by a full number masked, like the audit log."""
    data = QueryDict(params.get("query", ""), mutable=True)
    if data.get("q"):
        data["q"] = searches.loggable({"q": data["q"]})["q"]
    return {"query": data.urlencode()}


@export_jobs.register(LEDGER, label=gettext_lazy("Member ledger"), formats=("xlsx", "csv"), loggable=_loggable)
def build(user, params: dict, fmt: str) -> export_jobs.Export:
    if not has_capability(user, "ledger.export"):
        raise export_jobs.ExportRefused(_("Your role can no longer export the member ledger. Nothing was exported."))
    filterset = MemberFilter.for_user(user, QueryDict(params.get("query", "")), DETAILS)
    if not filterset.is_valid():
        raise export_jobs.ExportRefused(
            _("The filters of this export are no longer valid (e.g. a branch was removed). Nothing was exported; "
              "export the list again."))
    return ledger_export(user, filterset, fmt)
