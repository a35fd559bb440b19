"""Import runs (the pages' background tasks): an ``ImportRun``'s lifecycle from upload to committed,
failed, interrupted or discarded, and the uploaded files' retention.

A run is worked on by one worker at a time: the worker claims it with a conditional UPDATE and records
``worker`` (host:pid); progress refreshes ``heartbeat_at``. A worker killed mid-way leaves the run
"checking" or "committing": ``import_runs_recover`` (at every worker start, and from the run's pages)
marks it interrupted when its process is gone (same host) or it has not reported for
``IMPORT_STALE_MINUTES`` — but never while a commit transaction still holds the run's row (PostgreSQL:
SELECT … FOR UPDATE SKIP LOCKED; SQLite: the database's write lock). The commit re-checks its claim
inside its transaction and sets "committed" there, so a run is either committed with its rows or
interrupted with none of them.
"""

import contextlib
import datetime
import logging
import os
import socket

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.attachments import kept_file_delete, stray_files_purge
from taizhang.core.audit import audit_log
from taizhang.core.export_jobs import worker_id
from taizhang.core.imports import Source
from taizhang.members.imports.planning import Report, check
from taizhang.members.imports.writing import ImportConflict, commit

logger = logging.getLogger("taizhang.members.imports")



class ImportInterrupted(Exception):
    """The run was marked interrupted (or retried) while this worker worked on it; nothing was written."""


def run_source(run) -> Source:
    storage, name = run.file.storage, run.file.name
    return Source(lambda: storage.open(name, "rb"), run.file_name)


def _progress(run):
    from taizhang.members.models import ImportRun

    def report(done, total):
        ImportRun.objects.filter(pk=run.pk).update(processed=done, total=total, heartbeat_at=timezone.now())

    return report


def _store(run, report: Report, **fields):
    from taizhang.members.models import ImportRun

    ImportRun.objects.filter(pk=run.pk).update(results=report.as_json(), **report.counts(), **fields)


def _claim(run, queued, working) -> bool:
    from taizhang.members.models import ImportRun

    run.worker = worker_id()
    return bool(ImportRun.objects.filter(pk=run.pk, status=queued).update(
        status=working, processed=0, worker=run.worker, heartbeat_at=timezone.now()))


def _fail(run, message: str) -> None:
    from taizhang.members.models import ImportRun, ImportStatus

    if ImportRun.objects.filter(pk=run.pk, worker=run.worker).update(status=ImportStatus.FAILED, message=message):
        import_file_delete(actor=run.created_by, run=run, reason="failed")


def run_check(run_id: int) -> None:
    """The dry run of a stored ImportRun (``tasks.check_import``). Never raises for bad input."""
    from taizhang.members.models import ImportRun, ImportStatus

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not _claim(run, ImportStatus.CHECK_QUEUED, ImportStatus.CHECKING):
        return  # discarded, or taken by another worker
    try:
        report = check(run_source(run), user=run.created_by, progress=_progress(run))
    except Exception:  # noqa: BLE001 — a stack trace is never the answer to a spreadsheet
        logger.exception("import check %s failed", run_id)
        _fail(run, _("Checking the file failed unexpectedly. Nothing was imported."))
        return
    if report.file_error:
        _store(run, report)
        _fail(run, report.file_error)
        return
    ImportRun.objects.filter(pk=run.pk, worker=run.worker, status__in=[ImportStatus.CHECKING, ImportStatus.INTERRUPTED]
                             ).update(results=report.as_json(), **report.counts(), status=ImportStatus.CHECKED,
                                      message="", checked_at=timezone.now())


def run_commit(run_id: int) -> None:
    """Write a checked ImportRun (``tasks.commit_import``): all valid rows in one transaction, or nothing."""
    from taizhang.members.models import ImportRun, ImportStatus

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not _claim(run, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING):
        return
    try:
        report = commit(run_source(run), user=run.created_by, sha256=run.sha256, run=run, progress=_progress(run))
    except ImportInterrupted:
        return
    except ImportConflict as exc:
        _fail(run, exc.message)
        return
    except Exception:  # noqa: BLE001
        logger.exception("import commit %s failed", run_id)
        _fail(run, _("The import failed unexpectedly. Nothing was imported."))
        return
    if report.file_error:
        _fail(run, report.file_error)
        return
    import_file_delete(actor=run.created_by, run=run, reason="committed")


def _claimed_for_writing(run) -> None:
    """Inside the commit transaction: lock the run's row and make sure this worker still owns it."""
    from taizhang.members.models import ImportRun, ImportStatus

    if not ImportRun.objects.select_for_update().filter(pk=run.pk, status=ImportStatus.COMMITTING,
                                                        worker=run.worker).exists():
        raise ImportInterrupted


def _process_gone(worker: str) -> bool:
    """True when ``worker`` (host:pid) ran on this host and that process no longer exists."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. another user's process: it exists
        return False
    return False


def import_runs_recover(*, runs=None) -> int:
    """Mark interrupted every check or commit whose worker is gone; returns how many were marked.

    Called when a worker starts (``manage.py db_worker``) and whenever a running run's page is shown.
    """
    from taizhang.members.models import ImportRun, ImportStatus

    working = ImportRun.objects.filter(status__in=[ImportStatus.CHECKING, ImportStatus.COMMITTING])
    if runs is not None:
        working = working.filter(pk__in=[r.pk for r in runs])
    stale_before = timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES)
    marked = 0
    for run in working.only("pk", "status", "worker", "heartbeat_at", "file_name", "created_at"):
        if _process_gone(run.worker) or run.heartbeat_at is None or run.heartbeat_at < stale_before:
            marked += _mark_interrupted(run)
    return marked


def _mark_interrupted(run) -> bool:
    from taizhang.members.models import ImportRun, ImportStatus

    try:
        with _short_lock_wait(), transaction.atomic():
            # A commit in its write transaction holds the row (PostgreSQL) or the database (SQLite): alive.
            locked = (ImportRun.objects.select_for_update(skip_locked=True)
                      .filter(pk=run.pk, status=run.status, worker=run.worker).first())
            if locked is None:
                return False
            ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.INTERRUPTED, message=_(
                "The background worker stopped while working on this file. Nothing was imported; retry it."))
            audit_log(actor=None, username="system", action="import.interrupted", obj=locked,
                      old={"status": run.status, "worker": run.worker},
                      new={"status": ImportStatus.INTERRUPTED, "heartbeat_at": run.heartbeat_at})
    except OperationalError:  # SQLite: "database is locked" by a commit that is still writing
        return False
    return True


@contextlib.contextmanager
def _short_lock_wait():
    """On SQLite, wait at most a moment for the write lock (a busy database means a live commit)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 200")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def import_run_retry(*, actor, run) -> None:
    """Queue an interrupted run again where it stopped: its commit if it had been checked, else its check."""
    from taizhang.members import tasks
    from taizhang.members.models import ImportRun, ImportStatus

    if not run.file:
        raise ValidationError(_("The uploaded file has been deleted; upload it again."))
    queued = ImportStatus.COMMIT_QUEUED if run.checked_at else ImportStatus.CHECK_QUEUED
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status=ImportStatus.INTERRUPTED).update(
                status=queued, processed=0, message="", worker="", heartbeat_at=None):
            raise ValidationError(_("This import is not interrupted, so there is nothing to retry."))
        audit_log(actor=actor, action="import.retry", obj=run, old={"status": ImportStatus.INTERRUPTED},
                  new={"status": queued})
    (tasks.commit_import if queued == ImportStatus.COMMIT_QUEUED else tasks.check_import).enqueue(run.pk)


def import_run_start(*, actor, upload):
    """Store an uploaded ledger file (already checked by ``core.imports.upload_error``) as a new run of
    ``actor``, discard the actor's earlier checks that were not imported, and queue the run's dry run.
    The page and the API both start an import here."""
    import hashlib

    from taizhang.members import tasks
    from taizhang.members.models import ImportRun

    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    run = ImportRun(created_by=actor, file_name=os.path.basename(upload.name)[:255], file_size=upload.size,
                    sha256=digest.hexdigest())
    run.file.save(upload.name, upload, save=False)
    run.save()
    import_runs_supersede(actor=actor, keep=run)
    tasks.check_import.enqueue(run.pk)
    return run


def import_run_commit(*, run) -> bool:
    """Queue the commit of a checked run that has rows to write and still has its file (the second phase);
    False when it cannot be committed (not checked, nothing to write, file deleted, already queued)."""
    from taizhang.members import tasks
    from taizhang.members.models import ImportRun, ImportStatus

    started = (
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.CHECKED)
        .exclude(created=0, updated=0)
        .exclude(file="")
        .update(status=ImportStatus.COMMIT_QUEUED, processed=0)
    )
    if started:
        tasks.commit_import.enqueue(run.pk)
    return bool(started)


DISCARDABLE = ("checked", "interrupted", "failed")


def import_run_discard(*, actor, run, reason: str = "discarded", username: str = "") -> bool:
    """Give up a run that was not imported: its file (full ID numbers) is deleted. False if it cannot be."""
    from taizhang.members.models import ImportRun, ImportStatus

    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status__in=DISCARDABLE).update(status=ImportStatus.DISCARDED):
            return False
        audit_log(actor=actor, username=username, action="import.discard", obj=run, old={"status": run.status},
                  new={"status": ImportStatus.DISCARDED, "reason": reason})
    import_file_delete(actor=actor, username=username, run=run, reason=reason)
    return True


def import_runs_supersede(*, actor, keep) -> int:
    """A new upload replaces the user's earlier checks that were not imported (their files are deleted)."""
    from taizhang.members.models import ImportRun

    earlier = ImportRun.objects.filter(created_by=actor, status__in=DISCARDABLE).exclude(pk=keep.pk)
    return sum(import_run_discard(actor=actor, run=run, reason="superseded") for run in earlier)


def import_file_delete(*, actor, run, reason: str, username: str = "") -> None:
    """Delete a run's uploaded file from storage and record it (the run and its results stay)."""
    kept_file_delete(run, action="import.file_delete", actor=actor, username=username,
                     new={"reason": reason, "file_name": run.file_name, "sha256": run.sha256})


def import_files_purge(*, older_than: datetime.datetime, dry_run: bool = False, username: str = "") -> list:
    """Delete every uploaded import file older than ``older_than``: those of ledger runs (whatever became
    of them) and any other file left under the import folders (points imports never committed, uploads
    whose run was never saved). Runs still being worked on keep their file. Returns the deleted names."""
    from taizhang.members.models import ImportRun

    import_runs_recover()
    deleted = []
    for run in ImportRun.objects.filter(created_at__lt=older_than).exclude(file="").only(
            "pk", "file", "file_name", "sha256", "status", "created_at"):
        if run.running:
            continue
        deleted.append(run.file.name)
        if dry_run:
            continue
        if run.status in DISCARDABLE:  # a check nobody imported (or retried) can no longer be: discard it
            import_run_discard(actor=None, username=username, run=run, reason="retention")
        else:
            import_file_delete(actor=None, username=username, run=run, reason="retention")
    kept = set(ImportRun.objects.exclude(file="").values_list("file", flat=True))
    deleted += stray_files_purge(IMPORT_FOLDERS, kept=kept, older_than=older_than, dry_run=dry_run)
    if not dry_run and deleted:
        audit_log(actor=None, username=username, action="import.files_purge", object_type="members.importrun",
                  new={"files": len(deleted), "older_than": older_than})
    return deleted


IMPORT_FOLDERS = ("imports", "points/imports")  # where uploaded spreadsheets are kept until imported



