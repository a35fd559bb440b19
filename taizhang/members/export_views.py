"""Ledger export pages: the filtered list as .xlsx or .csv, and the printable roster (党员名册).

Same filter set (``MemberFilter`` over the same GET parameters, a remembered search key resolved by
``searches.filter_data``) and same scoping
(``selectors.member_queryset``) as the list, so what is exported is exactly what the list shows
(ARCHITECTURE.md rule 6). Every export is audit-logged (``member.export``) before any data leaves. An export
of more than ``EXPORT_BACKGROUND_ROWS`` members becomes a background job (``members.export_jobs``,
``core.export_jobs``): the page redirects to its progress page and the worker writes the file and the entry.
"""

import re
from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from taizhang.core.audit import client_ip
from taizhang.core.export_jobs import send_export
from taizhang.core.permissions import DETAILS, VIEW, branches_for, committee_wide, committees_for, has_capability
from taizhang.members import export_jobs, exports, searches
from taizhang.members.export_jobs import filter_params
from taizhang.members.filters import MemberFilter
from taizhang.members.ledger_columns import BY_KEY
from taizhang.members.models import Status


def _require_export(user):
    if not has_capability(user, "ledger.export"):
        raise PermissionDenied(_("Your role cannot export the member ledger."))


def _filtered(request):
    """The list's filter set over the list's queryset, or None (with a message) if the filters are invalid."""
    data, expired = searches.filter_data(request)
    if expired:
        messages.error(request, _("That search is no longer remembered, so nothing was exported. Search again."))
        return None
    # An export holds the whole record: only members the user may see in DETAILS (members/visibility.py).
    filterset = MemberFilter.for_request(request, data, DETAILS)
    if not filterset.is_valid():
        messages.error(request, _("The filters are not valid, so nothing was exported. Correct them and try again."))
        return None
    return filterset


def _back_to_list(request):
    query = request.GET.urlencode()
    return redirect(reverse("members:list") + (f"?{query}" if query else ""))


def _export(request, fmt: str):
    """Filter and scope exactly like the list; a large export becomes a background job, a small one is
    logged and streamed."""
    _require_export(request.user)
    filterset = _filtered(request)
    if filterset is None:
        return _back_to_list(request)
    return send_export(request, export_jobs.ledger_export(request.user, filterset, fmt), name=export_jobs.LEDGER,
                       fmt=fmt, params=export_jobs.job_params(filterset))


@login_required
@require_GET
def export_csv(request):
    return _export(request, "csv")


@login_required
@require_GET
def export_xlsx(request):
    return _export(request, "xlsx")


# --- the printed roster -------------------------------------------------------------------------

_PAGE_PLACEHOLDER = re.compile(r"%\((page|pages)\)s")


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", "\\a ")
    return f'"{escaped}"'


def page_counter_css(template: str) -> str:
    """A CSS ``content`` value from a message like ``Page %(page)s of %(pages)s`` (translated)."""
    parts = []
    for i, piece in enumerate(_PAGE_PLACEHOLDER.split(template)):
        if i % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts) or '""'


def scope_title(user, filterset) -> str:
    """Whose roster this is: the chosen branch, or the committees and branches the user may see."""
    branch = filterset.form.cleaned_data.get("branch")
    if branch is not None:
        return f"{branch.committee.name} · {branch.name}"
    committees = list(committees_for(user, VIEW))
    wide = {c.pk for c in committees if committee_wide(user, c, VIEW)}
    parts = [c.name for c in committees if c.pk in wide]
    branches = (branches_for(user, VIEW).exclude(committee_id__in=wide)
                .select_related("committee").order_by("committee_id", "sort_order"))
    parts += [f"{b.committee.name} · {b.name}" for b in branches]
    return "；".join(parts)


def describe_filters(filterset) -> list[tuple[str, str]]:
    """``(label, value)`` for every filter in effect, as the list's form shows them."""
    described = []
    form = filterset.form
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if hasattr(value, "pk"):
            text = str(value)
        elif getattr(field, "choices", None):
            text = str(dict(field.choices).get(value, value))
        else:
            text = str(value)
        described.append((str(field.label), text))
    return described


ROSTER_PRINT_LIMIT = 1000  # rows a printed roster holds; a bigger list is narrowed by the filters or exported


@login_required
@require_GET
def roster_print(request):
    _require_export(request.user)
    filterset = _filtered(request)
    if filterset is None:
        return _back_to_list(request)
    rows = []
    for member, cells in islice(exports.roster_rows(filterset.qs), ROSTER_PRINT_LIMIT):  # streamed, stops early
        status = Status(member.status).label if member.status else _("Not registered")
        rows.append((cells, status))
    count = filterset.qs.count() if len(rows) == ROSTER_PRINT_LIMIT else len(rows)
    exports.log_export(actor=request.user, fmt="print", filters=filter_params(filterset), rows=len(rows),
                       unmasked=False, ip_address=client_ip(request))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "headers": [BY_KEY[k].header for k in exports.ROSTER_KEYS],
        "rows": rows,
        "count": count,
        "cut": count > len(rows),
        "limit": ROSTER_PRINT_LIMIT,
        "scope": scope_title(request.user, filterset),
        "filters": describe_filters(filterset),
        "today": timezone.localdate(),
        "as_of": filterset.as_of_day,
        "page_counter": page_counter_css(_("Page %(page)s of %(pages)s")),
        "list_url": reverse("members:list") + (f"?{query.urlencode()}" if query else ""),
    }
    return render(request, "members/roster_print.html", context)
