"""The participation export (参与情况) as a background job when the roster in scope is large (issue 10
"Large exports"; ``core.export_jobs``). The worker builds it again as the user who asked, from the page's
filter values, through the page's own ``views.participation_data`` (same committee, scoping and period)."""

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.core import export_jobs

PARTICIPATION = "points.participation"


@export_jobs.register(PARTICIPATION, label=gettext_lazy("Participation and points"))
def build(user, params: dict, fmt: str) -> export_jobs.Export:
    from taizhang.points.views import participation_export  # the page's own definition of the export

    try:
        return participation_export(user, QueryDict(params.get("query", "")))
    except PermissionDenied:
        raise export_jobs.ExportRefused(
            _("Your role can no longer see the participation pages. Nothing was exported.")) from None
