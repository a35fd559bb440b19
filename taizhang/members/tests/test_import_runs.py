"""Import runs that do not end well: a killed worker (interrupted, nothing imported, retry), and the uploaded
files with full ID numbers (deleted once committed, failed, discarded or superseded; purged after the
retention period by ``purge_import_files``)."""

import contextlib
import datetime
import io
import os
import socket
import subprocess
import sys

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry
from taizhang.members import imports
from taizhang.members.models import ImportRun, ImportStatus, Member
from taizhang.members.tests.test_import import db_state, new_row, xlsx_bytes
from taizhang.members.tests.test_import_safety import upload

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")


class Killed(BaseException):
    """What kill -9 does to the worker: nothing after this point runs, the open transaction is lost."""


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def worker(settings, monkeypatch):
    """``run_worker()`` runs the real ``manage.py db_worker --batch`` once, on the database backend (inside
    the test's transaction: the worker may neither close the connection nor take over the signals)."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)
    return run_worker


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


def two_rows():
    return xlsx_bytes([new_row("甲"), new_row("乙", birth=datetime.date(1981, 3, 4))])


def test_a_commit_killed_mid_way_is_interrupted_at_worker_start_and_the_retry_imports(client, cast, settings,
                                                                                      monkeypatch, worker):
    client.force_login(cast.admin)
    run = upload(client, two_rows(), "ledger.xlsx")
    before = db_state()
    real = imports.writing._write_creates

    def write_then_die(*args, **kwargs):
        real(*args, **kwargs)  # the members are in the open transaction …
        raise Killed  # … when the worker dies

    monkeypatch.setattr(imports.writing, "_write_creates", write_then_die)
    with contextlib.suppress(Killed):
        client.post(reverse("members:import_commit", args=[run.pk]))
    monkeypatch.setattr(imports.writing, "_write_creates", real)
    ImportRun.objects.filter(pk=run.pk).update(worker=f"{socket.gethostname()}:{dead_pid()}")
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTING and db_state() == before  # today: 导入中 for ever

    settings.TASKS = DB_TASKS
    worker()  # a worker starting finds the dead one's run
    run.refresh_from_db()
    assert run.status == ImportStatus.INTERRUPTED and run.get_status_display() == "已中断"
    assert db_state()[:2] == before[:2] and not Member.objects.filter(name__in=["甲", "乙"]).exists()
    assert AuditEntry.objects.filter(action="import.interrupted", object_id=str(run.pk)).exists()
    page = client.get(reverse("members:import_run", args=[run.pk])).content.decode()
    assert 'id="import-interrupted"' in page and 'id="retry-button"' in page and "已中断" in page

    client.post(reverse("members:import_retry", args=[run.pk]))
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.COMMIT_QUEUED
    worker()
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED and run.created == 2
    assert Member.objects.filter(name__in=["甲", "乙"]).count() == 2
    assert client.post(reverse("members:import_retry", args=[run.pk])).status_code == 302  # nothing more
    assert Member.objects.filter(name__in=["甲", "乙"]).count() == 2


def test_a_run_silent_past_the_timeout_is_interrupted_when_its_page_polls(client, cast, settings):
    settings.IMPORT_STALE_MINUTES = 10
    client.force_login(cast.admin)
    run = upload(client, two_rows(), "ledger.xlsx")
    progress = reverse("members:import_progress", args=[run.pk])
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.COMMITTING, worker="other-host:4242",
                                               heartbeat_at=timezone.now() - datetime.timedelta(minutes=9))
    assert 'hx-trigger="every 1s"' in client.get(progress, HTTP_HX_REQUEST="true").content.decode()
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=11))
    response = client.get(progress, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("members:import_run", args=[run.pk])
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.INTERRUPTED
    client.post(reverse("members:import_retry", args=[run.pk]))  # the immediate backend commits right away
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.COMMITTED


def test_a_worker_marked_interrupted_while_planning_writes_nothing(client, cast, monkeypatch):
    client.force_login(cast.admin)
    run = upload(client, two_rows(), "ledger.xlsx")
    before = db_state()

    def progress(run):  # meanwhile another process decides this worker is gone
        return lambda done, total: ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.INTERRUPTED)

    monkeypatch.setattr(imports.runs, "_progress", progress)
    client.post(reverse("members:import_commit", args=[run.pk]))
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.INTERRUPTED and db_state() == before


# --- the uploaded files ------------------------------------------------------------------------------------


def stored(run) -> str:
    run.refresh_from_db()
    return run.file.name


def test_files_are_deleted_when_committed_superseded_discarded_or_unreadable(client, cast):
    client.force_login(cast.admin)
    first = upload(client, two_rows(), "ledger.xlsx")
    first_name = stored(first)
    assert default_storage.exists(first_name)
    second = upload(client, xlsx_bytes([new_row("丙"), new_row("丁", 手机号码="1")]), "ledger.xlsx")
    first.refresh_from_db()
    assert first.status == ImportStatus.DISCARDED and not first.file and not default_storage.exists(first_name)
    assert "已删除" in client.get(reverse("members:import_run", args=[first.pk])).content.decode()

    second_name = stored(second)
    client.post(reverse("members:import_commit", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == ImportStatus.COMMITTED and not second.file and not default_storage.exists(second_name)
    page = client.get(reverse("members:import_run", args=[second.pk])).content.decode()
    assert 'id="file-deleted"' in page
    errors = client.get(reverse("members:import_errors", args=[second.pk]))  # the list, from the results
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active.values)
    assert rows[1][:2] == ("3", "手机号码") and errors["Cache-Control"] == "no-store"

    third = upload(client, two_rows(), "again.xlsx")
    third_name = stored(third)
    client.post(reverse("members:import_discard", args=[third.pk]))
    third.refresh_from_db()
    assert third.status == ImportStatus.DISCARDED and not default_storage.exists(third_name)
    assert client.post(reverse("members:import_commit", args=[third.pk])).status_code == 302
    assert not Member.objects.filter(name="甲").exists()

    broken = upload(client, b"not a workbook", "broken.xlsx")
    assert broken.status == ImportStatus.FAILED and not stored(broken)
    reasons = sorted(e.new_values["reason"] for e in AuditEntry.objects.filter(action="import.file_delete"))
    assert reasons == ["committed", "discarded", "failed", "superseded"]


def age(name: str, days: int):
    when = (timezone.now() - datetime.timedelta(days=days)).timestamp()
    os.utime(default_storage.path(name), (when, when))


def test_purge_deletes_what_is_left_after_the_retention_and_audits(client, cast, settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 7
    client.force_login(cast.admin)
    old = upload(client, two_rows(), "old.xlsx")
    ImportRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    client.force_login(cast.east_secretary)
    recent = upload(client, two_rows(), "recent.xlsx")
    old_name, recent_name = stored(old), stored(recent)
    age(old_name, 8)
    stale_points = default_storage.save("points/imports/abandoned.csv", io.BytesIO(b"x"))
    fresh_points = default_storage.save("points/imports/pending.csv", io.BytesIO(b"x"))
    age(stale_points, 8)
    out = io.StringIO()
    call_command("purge_import_files", "--dry-run", stdout=out)
    assert default_storage.exists(old_name) and "2" in out.getvalue()
    call_command("purge_import_files", stdout=out)
    assert not default_storage.exists(old_name) and not default_storage.exists(stale_points)
    assert default_storage.exists(recent_name) and default_storage.exists(fresh_points)
    assert not stored(old) and stored(recent)
    assert ImportRun.objects.get(pk=old.pk).status == ImportStatus.DISCARDED  # it can no longer be imported
    purge = AuditEntry.objects.get(action="import.files_purge")
    assert purge.new_values["files"] == 2 and purge.actor_username == "manage.py purge_import_files"
    assert "删除了 2 个" in out.getvalue()


@pytest.mark.parametrize("args", [["--days", "abc"], ["--days", "0"], ["--days", "-3"]])
def test_purge_refuses_bad_arguments_in_chinese(args):
    with pytest.raises(CommandError) as refused:
        call_command("purge_import_files", *args)
    assert any("\u4e00" <= c <= "\u9fff" for c in str(refused.value))


@pytest.mark.django_db(transaction=True)
def test_a_commit_still_in_its_transaction_is_never_marked_interrupted(cast):
    """However long a commit writes, the row lock (PostgreSQL) or write lock (SQLite) it holds says it is alive."""
    import threading

    from django.db import connection, transaction

    run = ImportRun.objects.create(created_by=cast.admin, file="imports/x.xlsx", file_name="x.xlsx", sha256="0" * 64,
                                   status=ImportStatus.COMMITTING, worker="other-host:1",
                                   heartbeat_at=timezone.now() - datetime.timedelta(days=1))
    holding, release = threading.Event(), threading.Event()

    def commit_in_progress():
        try:
            with transaction.atomic():
                imports.runs._claimed_for_writing(run)  # what the commit does first in its transaction
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=commit_in_progress)
    thread.start()
    try:
        assert holding.wait(10)
        assert imports.import_runs_recover() == 0
        assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.COMMITTING
    finally:
        release.set()
        thread.join()
    assert imports.import_runs_recover() == 1  # the transaction is gone: now it is interrupted
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.INTERRUPTED
