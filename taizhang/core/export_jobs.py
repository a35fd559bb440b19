"""Large exports as background jobs (issue 10): the registry of exports, the job's services and its run.

Every registered export is sent by ``send_export``: one larger than ``EXPORT_BACKGROUND_ROWS`` rows is not
written in the request: it records an ``ExportJob`` — who asked, which registered export,
its parameters (the filter values, never rows) — and the worker (``tasks.run_export_job``) builds the
export again *as that user* through the export's ``build`` function, i.e. the same selectors, filters and
scoping as the page, then writes the file with the project's streaming writers (``exporting.write_xlsx`` /
``write_csv``, constant memory), reporting progress every ``PROGRESS_EVERY`` rows. The file goes to Django's
storage (several hosts serve the pages), only the requester may download it, and it is deleted after
``EXPORT_FILE_RETENTION_DAYS`` (``manage.py purge_export_files``).

Exports register themselves by name from their own app (``AppConfig.ready``)::

    @export_jobs.register("members.ledger", label=_("Member ledger"), formats=("xlsx", "csv"))
    def ledger(user, params, fmt) -> export_jobs.Export: ...

``build`` returns an ``Export`` (header, lazy rows, the row count, file name and what the audit entry
says) or raises ``ExportRefused`` with a Chinese reason (the user lost the right, the filters are no longer
valid). Core never imports the domain apps.

Both ways write one audit entry (``export_audit``): the direct download when its file is written, the
worker when the file is complete, with ``"background": true`` and the job's id.
"""

import datetime
import logging
import os
import socket
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.attachments import kept_file_delete, stray_files_purge
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.exporting import (
    csv_response,
    write_csv,
    write_xlsx,
    written_tempfile,
    xlsx_response,
    xlsx_tempfile,
)
from taizhang.core.models import EXPORT_FOLDER, ExportJob, ExportStatus

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # rows between two progress reports of the worker


@dataclass
class Export:
    """What one export writes, built for one user: the rows are lazy (a generator over ``iterator()``)."""

    header: list
    rows: Iterable[Iterable]
    total: int
    filename: str
    action: str
    obj: object = None  # the object the audit entry is about (e.g. the study item), if any
    object_type: str = ""
    object_repr: str = ""
    details: dict = field(default_factory=dict)
    message: str = ""
    sheet_name: str = "Sheet1"
    widths: list | None = None
    # A workbook of its own shape (several sheets): ``write(path)`` writes it whole, in constant memory, and
    # ``total`` is its row count; the progress bar then goes from 0 to done. None: ``header`` + ``rows``.
    write: Callable[[str], None] | None = None


class ExportRefused(Exception):
    """The export cannot be built for this user any more; ``message`` says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RegisteredExport:
    name: str
    label: str
    build: Callable[..., Export]
    formats: tuple = ("xlsx",)
    loggable: Callable[[dict], dict] | None = None  # the parameters as kept once the job has ended


_registry: dict[str, RegisteredExport] = {}  # filled at start-up by the apps' ready(), never changed after


def register(name: str, *, label, formats=("xlsx",), loggable=None):
    """Register ``build(user, params, fmt) -> Export`` under ``name`` (a decorator)."""

    def decorator(build):
        _registry[name] = RegisteredExport(name=name, label=label, build=build, formats=tuple(formats),
                                           loggable=loggable)
        return build

    return decorator


def registered(name: str) -> RegisteredExport | None:
    return _registry.get(name)


def label_of(name: str) -> str:
    entry = _registry.get(name)
    return str(entry.label) if entry else name


def goes_to_background(total: int) -> bool:
    """Is an export of ``total`` rows too large to write during the request?"""
    return total > settings.EXPORT_BACKGROUND_ROWS


# --- services ---------------------------------------------------------------------------------------------


def export_job_create(*, actor, export: str, params: dict, fmt: str, total: int, ip_address=None) -> ExportJob:
    """Record a background export for ``actor`` and queue it for the worker."""
    from taizhang.core import tasks

    entry = registered(export)
    if entry is None or fmt not in entry.formats:
        raise ValueError(f"unknown export {export!r} in format {fmt!r}")
    job = ExportJob.objects.create(created_by=actor, export=export, params=params, fmt=fmt, total=total,
                                   ip_address=ip_address)
    tasks.run_export_job.enqueue(job.pk)
    return job


def export_audit(export: Export, *, actor, fmt: str, rows: int, ip_address=None, **extra) -> None:
    """The one audit entry of an export, sent now or written by the worker (``extra``: that it was)."""
    audit_log(actor=actor, action=export.action, obj=export.obj, object_type=export.object_type,
              object_repr=export.object_repr, message=export.message, ip_address=ip_address,
              new={"rows": rows, "format": fmt, **export.details, **extra})


def send_export(request, export: "Export | Callable[[], Export]", *, name: str, params: dict, fmt: str = "xlsx",
                total: int | None = None):
    """The download of the registered export ``name``: above ``EXPORT_BACKGROUND_ROWS`` rows a job the worker
    builds again from ``params`` as this user (the response redirects to its progress page); otherwise the
    file now, with the same audit entry. ``export`` is built (an ``Export``) or a function building it, then
    ``total`` is a cheap count of its rows, so a large export is never built in the request."""
    from django.shortcuts import redirect

    total = export.total if total is None else total
    if goes_to_background(total):
        job = export_job_create(actor=request.user, export=name, params=params, fmt=fmt, total=total,
                                ip_address=client_ip(request))
        return redirect("core:export_job", pk=job.pk)
    export = export if isinstance(export, Export) else export()
    audit = {"actor": request.user, "fmt": fmt, "ip_address": client_ip(request)}
    if fmt == "csv":  # streamed: the entry goes first, with the count the export was built with
        export_audit(export, rows=export.total, **audit)
        return csv_response(export.header, export.rows, export.filename)
    if export.write is not None:
        f, _written = written_tempfile(export.write)
        count = export.total
    else:
        f, count = xlsx_tempfile(export.header, export.rows, sheet_name=export.sheet_name, widths=export.widths)
    export_audit(export, rows=count, **audit)
    return xlsx_response(f, export.filename)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:150]


class _Progress:
    """Passes the rows through, recording every ``PROGRESS_EVERY`` rows how many were written."""

    def __init__(self, job, rows):
        self.job, self.rows, self.count = job, rows, 0

    def __iter__(self):
        for row in self.rows:
            yield row
            self.count += 1
            if self.count % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=self.job.pk, worker=self.job.worker).update(
                    processed=self.count, heartbeat_at=timezone.now())


def _fail(job, message: str) -> None:
    ExportJob.objects.filter(pk=job.pk, worker=job.worker, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, message=message, finished_at=timezone.now(), params=_kept_params(job))


def _kept_params(job) -> dict:
    entry = registered(job.export)
    return entry.loggable(job.params) if entry and entry.loggable else job.params


def export_job_run(job_id: int) -> None:
    """Write one queued export (``tasks.run_export_job``). Never raises: a failure is recorded in Chinese."""
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    job.worker = worker_id()
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING, worker=job.worker, processed=0, heartbeat_at=timezone.now()):
        return  # already taken by another worker, or given up
    entry = registered(job.export)
    try:
        if entry is None or not job.created_by.is_active:
            raise ExportRefused(_("This export can no longer be made for your account. Nothing was exported."))
        export = entry.build(job.created_by, job.params, job.fmt)
        ExportJob.objects.filter(pk=job.pk).update(total=export.total, heartbeat_at=timezone.now())
        name, count = _write_to_storage(job, export, _Progress(job, export.rows))
    except ExportRefused as exc:
        _fail(job, exc.message)
        return
    except Exception:  # noqa: BLE001 — the user gets a sentence, the log gets the stack trace
        logger.exception("export job %s failed", job_id)
        _fail(job, _("The export failed unexpectedly. Start it again; if it fails again, tell the administrator."))
        return
    with transaction.atomic():
        finished = ExportJob.objects.filter(pk=job.pk, worker=job.worker, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE, file=name, file_name=export.filename[:255], processed=count,
            total=count, finished_at=timezone.now(), heartbeat_at=timezone.now(), params=_kept_params(job))
        if finished:
            export_audit(export, actor=job.created_by, fmt=job.fmt, rows=count, ip_address=job.ip_address,
                         background=True, export_job=job.pk)
    if not finished:  # marked failed (stale) meanwhile: the file is nobody's
        job.file.storage.delete(name)


def _write_to_storage(job, export: Export, rows) -> tuple[str, int]:
    """Write the file to a temporary path row by row, then hand it to the storage; returns its name and
    the number of rows written."""
    fd, path = tempfile.mkstemp(suffix=f".{job.fmt}", prefix="taizhang-export-")
    os.close(fd)
    try:
        if export.write is not None:
            export.write(path)
            count = export.total
        elif job.fmt == "csv":
            count = write_csv(path, export.header, rows)
        else:
            count = write_xlsx(path, export.header, rows, sheet_name=export.sheet_name, widths=export.widths)
        with open(path, "rb") as f:
            job.file.save(f"export.{job.fmt}", File(f), save=False)
    finally:
        os.unlink(path)
    return job.file.name, count


def export_jobs_recover(*, jobs) -> int:
    """Mark failed the running jobs among ``jobs`` whose worker has not reported for EXPORT_STALE_MINUTES."""
    stale_before = timezone.now() - datetime.timedelta(minutes=settings.EXPORT_STALE_MINUTES)
    marked = 0
    for job in jobs:
        if job.status != ExportStatus.RUNNING or (job.heartbeat_at and job.heartbeat_at >= stale_before):
            continue
        marked += ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING, worker=job.worker,
                                           heartbeat_at=job.heartbeat_at).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), params=_kept_params(job),
            message=_("The background worker stopped while writing this export. Start the export again."))
    return marked


def export_job_file_delete(*, job, reason: str, username: str = "") -> None:
    """Delete a job's file from storage and record it (the job stays in the user's list)."""
    kept_file_delete(job, action="export.file_delete", username=username,
                     new={"reason": reason, "export": job.export, "file_name": job.file_name})


def export_files_purge(*, older_than: datetime.datetime, dry_run: bool = False, username: str = "") -> list:
    """Delete the files of background exports finished before ``older_than``, and any file left in the
    exports folder by a worker that died before recording it; returns the deleted names."""
    deleted = []
    jobs = (ExportJob.objects.filter(finished_at__lt=older_than).exclude(file="")
            .only("pk", "file", "file_name", "export", "finished_at"))
    for job in jobs:
        deleted.append(job.file.name)
        if not dry_run:
            export_job_file_delete(job=job, reason="retention", username=username)
    kept = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    deleted += stray_files_purge([EXPORT_FOLDER], kept=kept, older_than=older_than, dry_run=dry_run)
    if not dry_run and deleted:
        audit_log(actor=None, username=username, action="export.files_purge", object_type="core.exportjob",
                  new={"files": len(deleted), "older_than": older_than})
    return deleted
