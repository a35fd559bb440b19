"""Pages of the background exports (``export_jobs``): the job's progress page, its download and 我的导出.

Thin, like the import pages whose style they share: every page is limited to the user's own jobs (another
user's job is a 404), and the download writes its audit entry.
"""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from taizhang.core import export_jobs
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.exporting import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from taizhang.core.htmx import full_redirect
from taizhang.core.models import ExportJob, ExportStatus
from taizhang.core.paging import page_of, pager_query

JOBS_PER_PAGE = 20
WORKER_HINT_SECONDS = 15


def _get_job(request, pk) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk, created_by=request.user)
    if job.status == ExportStatus.RUNNING and export_jobs.export_jobs_recover(jobs=[job]):
        job.refresh_from_db()
    return job


def _kept_until(job):
    if job.finished_at is None:
        return None
    return job.finished_at + datetime.timedelta(days=settings.EXPORT_FILE_RETENTION_DAYS)


def _context(job) -> dict:
    return {
        "job": job,
        "kept_until": _kept_until(job),
        "label": export_jobs.label_of(job.export),
        "worker_hint": job.status == ExportStatus.QUEUED
        and (timezone.now() - job.created_at).total_seconds() > WORKER_HINT_SECONDS,
    }


@login_required
@require_GET
def export_job(request, pk):
    return render(request, "core/export_job.html", _context(_get_job(request, pk)))


@login_required
@require_GET
def export_job_progress(request, pk):
    job = _get_job(request, pk)
    if not job.running:
        return full_redirect(request, reverse("core:export_job", args=[job.pk]))
    return render(request, "core/partials/export_progress.html", _context(job))


@login_required
@require_GET
def export_job_download(request, pk):
    job = _get_job(request, pk)
    if not job.downloadable:
        raise Http404
    try:
        f = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    audit_log(actor=request.user, action="export.download", obj=job, ip_address=client_ip(request),
              new={"export": job.export, "format": job.fmt, "rows": job.processed, "file_name": job.file_name})
    content_type = CSV_CONTENT_TYPE if job.fmt == "csv" else XLSX_CONTENT_TYPE
    response = FileResponse(f, as_attachment=True, filename=job.file_name, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_job_list(request):
    """我的导出: the user's background exports, newest first."""
    jobs = ExportJob.objects.filter(created_by=request.user).defer("params")
    page = page_of(request, jobs, JOBS_PER_PAGE)
    rows = [(job, export_jobs.label_of(job.export)) for job in page.object_list]
    return render(request, "core/export_jobs.html", {"page": page, "rows": rows, "query": pager_query(request)})
