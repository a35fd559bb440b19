"""Pages of the ledger import: upload → dry run (with progress) → commit → result. Thin: the work is in
``imports`` and runs in ``tasks``; every page is limited to the user's own import runs."""

import io
import os
import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from taizhang.core.audit import audit_log, client_ip
from taizhang.core.exporting import xlsx_response, xlsx_tempfile
from taizhang.core.forms import TzForm
from taizhang.core.htmx import full_redirect
from taizhang.core.imports import upload_error
from taizhang.core.paging import page_of
from taizhang.core.permissions import has_capability
from taizhang.core.spreadsheets import SUPPORTED_EXTENSIONS
from taizhang.members import imports
from taizhang.members.models import ImportRun, ImportStatus

ROWS_PER_PAGE = 50
WORKER_HINT_SECONDS = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROW_FILTERS = [
    ("all", gettext_lazy("All rows")),
    (imports.CREATE, gettext_lazy("New")),
    (imports.UPDATE, gettext_lazy("Changed")),
    (imports.UNCHANGED, gettext_lazy("Unchanged")),
    (imports.ERROR, gettext_lazy("Errors")),
]


class UploadForm(TzForm):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK), at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_EXTENSIONS)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        error = upload_error(upload, max_bytes=imports.MAX_UPLOAD_BYTES)  # the limits every import shares
        if error:
            raise forms.ValidationError(error)
        return upload


def _require_import(user):
    if not has_capability(user, "member.create"):
        raise PermissionDenied(_("Your role cannot import members."))


def _get_run(request, pk) -> ImportRun:
    _require_import(request.user)
    return get_object_or_404(ImportRun, pk=pk, created_by=request.user)


@login_required
def import_upload(request):
    _require_import(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = imports.import_run_start(actor=request.user, upload=form.cleaned_data["file"])
        return redirect("members:import_run", pk=run.pk)
    recent = ImportRun.objects.filter(created_by=request.user).defer("results")[:10]
    return render(request, "members/import_upload.html", {"form": form, "recent": recent,
                                                          "max_mb": imports.MAX_UPLOAD_BYTES // 1024 // 1024})


def _progress_context(run):
    queued_at = {ImportStatus.CHECK_QUEUED: run.created_at, ImportStatus.COMMIT_QUEUED: run.checked_at}.get(run.status)
    return {
        "run": run,
        "worker_hint": bool(queued_at) and (timezone.now() - queued_at).total_seconds() > WORKER_HINT_SECONDS,
        "writing": run.status == ImportStatus.COMMITTING and run.total and run.processed >= run.total,
    }


def _get_live_run(request, pk) -> ImportRun:
    """The run, after checking that the worker it waits for is still there (else it is interrupted)."""
    run = _get_run(request, pk)
    if run.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING) and imports.import_runs_recover(runs=[run]):
        run.refresh_from_db()
    return run


@login_required
def import_run(request, pk):
    run = _get_live_run(request, pk)
    context = _progress_context(run)
    if not run.running:
        results = run.results or {}
        show = request.GET.get("show", "all")
        show = show if show in dict(ROW_FILTERS) else "all"
        rows = results.get("display", [])
        if show != "all":
            rows = [r for r in rows if r["action"] == show]
        context.update(
            results=results,
            page=page_of(request, rows, ROWS_PER_PAGE),
            show=show,
            filters=ROW_FILTERS,
            can_commit=run.status == ImportStatus.CHECKED and (run.created + run.updated) > 0 and bool(run.file),
            can_retry=run.status == ImportStatus.INTERRUPTED and bool(run.file),
            can_discard=run.status in imports.DISCARDABLE and bool(run.file),
            unknown_columns=results.get("unknown_columns", []),
        )
    return render(request, "members/import_run.html", context)


@login_required
def import_progress(request, pk):
    run = _get_live_run(request, pk)
    if not run.running:
        return full_redirect(request, reverse("members:import_run", args=[run.pk]))
    return render(request, "members/import_progress.html", _progress_context(run))


@login_required
@require_POST
def import_commit(request, pk):
    run = _get_run(request, pk)
    imports.import_run_commit(run=run)
    return redirect("members:import_run", pk=run.pk)


@login_required
@require_POST
def import_retry(request, pk):
    run = _get_run(request, pk)
    try:
        imports.import_run_retry(actor=request.user, run=run)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("members:import_run", pk=run.pk)


@login_required
@require_POST
def import_discard(request, pk):
    run = _get_run(request, pk)
    if imports.import_run_discard(actor=request.user, run=run):
        messages.success(request, _("The import was discarded and the uploaded file deleted."))
    return redirect("members:import_run", pk=run.pk)


@login_required
def import_errors(request, pk):
    run = _get_run(request, pk)
    errors = (run.results or {}).get("error_list", [])
    if run.running or not errors:
        return redirect("members:import_run", pk=run.pk)
    name = os.path.splitext(run.file_name)[0] + "-" + _("errors") + ".xlsx"
    if not run.file:  # deleted once imported or discarded: the list of errors, without the rows' contents
        header = [_("Row"), _("Column"), _("Value"), _("Error")]
        f, _count = xlsx_tempfile(header, ([e["row"], e["column"], e["value"], e["message"]] for e in errors),
                                  sheet_name=_("Errors"), widths=[8, 16, 24, 80])
        audit_log(actor=request.user, action="import.errors_download", obj=run, new={"errors": len(errors)},
                  ip_address=client_ip(request))
        return xlsx_response(f, name)
    output = tempfile.TemporaryFile()
    try:
        imports.write_error_file(imports.run_source(run), errors, output)
    except imports.SpreadsheetError:
        output.close()
        return redirect("members:import_run", pk=run.pk)
    output.seek(0)
    audit_log(actor=request.user, action="import.errors_download", obj=run, new={"errors": len(errors)},
              ip_address=client_ip(request))
    response = FileResponse(output, as_attachment=True, filename=name, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def import_template(request):
    _require_import(request.user)
    output = io.BytesIO()
    imports.write_template(output, imports.Context(request.user))
    response = HttpResponse(output.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, _("ledger-import-template") + ".xlsx")
    return response
