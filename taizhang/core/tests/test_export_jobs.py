"""Large exports as background jobs (issue 10): above ``EXPORT_BACKGROUND_ROWS`` the ledger export becomes a
job written by the worker as the user who asked (their scope only), with a progress page, a download only
they may fetch (audited), a Chinese error when it fails, 我的导出, and the file deleted after retention."""

import datetime
import io
import os
import re

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.models import RoleAssignment
from taizhang.core import export_jobs
from taizhang.core.models import AuditEntry, ExportJob, ExportStatus
from taizhang.members import exports

pytestmark = pytest.mark.django_db

ALL = {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
EAST = {"张伟明", "李秀英", "王建国"}
CJK = re.compile(r"[\u4e00-\u9fff]")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _small_threshold_and_media(settings, tmp_path):
    settings.TASKS = IMMEDIATE  # the worker's run happens inside the request, as the import tests do
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_BACKGROUND_ROWS = 2


def xlsx_names(content: bytes) -> list[str]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    header, *rows = list(book.worksheets[0].iter_rows(values_only=True))
    return [row[header.index("姓名")] for row in rows]


def start(client, user, fmt="xlsx", **params):
    client.force_login(user)
    response = client.get(reverse(f"members:export_{fmt}"), params)
    assert response.status_code == 302, response
    job = ExportJob.objects.get(created_by=user)
    assert response.url == reverse("core:export_job", args=[job.pk])
    return job


def test_below_the_threshold_the_download_is_direct(client, cast, settings):
    settings.EXPORT_BACKGROUND_ROWS = 6
    client.force_login(cast.admin)
    response = client.get(reverse("members:export_xlsx"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert set(xlsx_names(b"".join(response.streaming_content))) == ALL
    assert not ExportJob.objects.exists()
    entry = AuditEntry.objects.get(action="member.export")
    assert entry.new_values["rows"] == 6 and "background" not in entry.new_values


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_above_the_threshold_the_export_runs_in_the_background(client, cast, fmt):
    job = start(client, cast.admin, fmt)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.processed == job.total == 6
    assert job.params["query"] == "status=roster"  # the filter values, never the rows
    page = client.get(reverse("core:export_job", args=[job.pk])).content.decode()
    assert reverse("core:export_job_download", args=[job.pk]) in page and "6" in page

    entry = AuditEntry.objects.get(action="member.export")  # the same action as a direct download
    assert entry.actor == cast.admin and entry.message == "unmasked"
    assert entry.new_values | {"filters": None} == {"rows": 6, "format": fmt, "filters": None, "unmasked": True,
                                                    "source": "web", "background": True, "export_job": job.pk}
    assert entry.new_values["filters"] == {"status": "roster"}

    response = client.get(reverse("core:export_job_download", args=[job.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert job.file_name.endswith(f".{fmt}") and job.file_name.startswith("党员台账-")
    content = b"".join(response.streaming_content)
    if fmt == "xlsx":
        assert set(xlsx_names(content)) == ALL
    else:
        assert content.startswith(b"\xef\xbb\xbf") and all(name.encode() in content for name in ALL)
    download = AuditEntry.objects.get(action="export.download")
    assert download.actor == cast.admin and download.object_id == str(job.pk)
    assert download.new_values["rows"] == 6


def test_a_branch_secretarys_background_export_holds_only_their_branch(client, cast, settings):
    job = start(client, cast.east_secretary)
    response = client.get(reverse("core:export_job_download", args=[job.pk]))
    assert set(xlsx_names(b"".join(response.streaming_content))) == EAST


def test_the_filters_are_applied_again_in_the_worker(client, cast):
    job = start(client, cast.admin, branch=cast.east.pk)
    assert "branch=" in job.params["query"]
    response = client.get(reverse("core:export_job_download", args=[job.pk]))
    assert set(xlsx_names(b"".join(response.streaming_content))) == EAST


@pytest.mark.parametrize("who", ["west_secretary", "admin", "plain_member"])
def test_another_user_cannot_see_or_download_the_job(client, cast, who):
    job = start(client, cast.east_secretary)
    client.force_login(getattr(cast, who))
    for name in ("core:export_job", "core:export_job_progress", "core:export_job_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_the_job_page_shows_progress_until_done(client, cast, settings, monkeypatch):
    settings.TASKS = QUEUED  # queued, as when a worker runs it later
    job = start(client, cast.admin)
    page = client.get(reverse("core:export_job", args=[job.pk])).content.decode()
    assert 'id="export-progress"' in page and reverse("core:export_job_progress", args=[job.pk]) in page
    fragment = client.get(reverse("core:export_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and 'id="export-progress"' in fragment.content.decode()

    seen = []
    rows = exports.iter_rows

    def watched(prepared):
        for row in rows(prepared):
            seen.append(ExportJob.objects.get(pk=job.pk).processed)
            yield row

    monkeypatch.setattr(exports, "iter_rows", watched)
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 2)
    export_jobs.export_job_run(job.pk)
    assert seen == [0, 0, 2, 2, 4, 4]  # reported every 2 rows while writing
    done = client.get(reverse("core:export_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Redirect"] == reverse("core:export_job", args=[job.pk])


def test_a_failure_shows_a_chinese_error_and_writes_no_export_entry(client, cast, monkeypatch):
    def broken(prepared):
        yield from ()
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "iter_rows", broken)
    job = start(client, cast.admin)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    page = client.get(reverse("core:export_job", args=[job.pk])).content.decode()
    assert 'id="export-failed"' in page and CJK.search(job.message) and "disk full" not in page
    assert "导出" in job.message
    assert client.get(reverse("core:export_job_download", args=[job.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="member.export").exists()


def test_the_worker_refuses_a_user_who_lost_the_right_to_export(client, cast, settings):
    settings.TASKS = QUEUED
    job = start(client, cast.east_secretary)
    RoleAssignment.objects.filter(user=cast.east_secretary).delete()
    export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and CJK.search(job.message) and not job.file


def test_a_worker_that_stopped_is_shown_as_failed(client, cast, settings):
    settings.TASKS = QUEUED
    job = start(client, cast.admin)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, worker="gone:1",
                                               heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
    page = client.get(reverse("core:export_job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and 'id="export-failed"' in page and CJK.search(job.message)


def test_a_search_by_a_full_number_is_kept_masked_once_the_job_ended(client, cast, settings):
    number = cast.members_by_name["张伟明"].id_number
    settings.EXPORT_BACKGROUND_ROWS = 0
    job = start(client, cast.admin, q=number, status="all")
    job.refresh_from_db()
    assert number not in job.params["query"]


def test_the_file_is_deleted_after_the_retention_period(client, cast, settings):
    settings.EXPORT_FILE_RETENTION_DAYS = 3
    old = start(client, cast.admin)
    old.refresh_from_db()
    name = old.file.name
    assert default_storage.exists(name)
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=4))
    ExportJob.objects.create(created_by=cast.admin, export="members.ledger", status=ExportStatus.DONE,
                             finished_at=timezone.now(), file="exports/young.xlsx", file_name="x.xlsx")
    default_storage.save("exports/young.xlsx", io.BytesIO(b"x"))

    orphan = default_storage.save("exports/2026/01/orphan.xlsx", io.BytesIO(b"x"))  # a worker died after writing
    os.utime(default_storage.path(orphan), (0, 0))

    out = io.StringIO()
    call_command("purge_export_files", "--dry-run", stdout=out)
    assert default_storage.exists(name) and orphan in out.getvalue()
    call_command("purge_export_files", stdout=out)
    assert not default_storage.exists(name) and default_storage.exists("exports/young.xlsx")
    assert not default_storage.exists(orphan)
    old.refresh_from_db()
    assert not old.file and old.file_deleted_at is not None
    assert AuditEntry.objects.filter(action="export.file_delete", object_id=str(old.pk)).exists()
    assert AuditEntry.objects.filter(action="export.files_purge").exists()
    assert client.get(reverse("core:export_job_download", args=[old.pk])).status_code == 404
    assert 'id="export-expired"' in client.get(reverse("core:export_job", args=[old.pk])).content.decode()


def test_my_exports_lists_only_my_jobs_paged(client, cast):
    mine = start(client, cast.admin)
    ExportJob.objects.create(created_by=cast.east_secretary, export="members.ledger")
    page = client.get(reverse("core:export_jobs")).content.decode()
    assert reverse("core:export_job", args=[mine.pk]) in page
    assert re.findall(r'href="/exports/(\d+)/"', page) == [str(mine.pk)]
    assert reverse("core:export_jobs") in page  # in the user menu


def test_my_exports_query_count_does_not_grow(client, cast):
    client.force_login(cast.admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:export_jobs")).status_code == 200
        return len(ctx.captured_queries)

    ExportJob.objects.create(created_by=cast.admin, export="members.ledger")
    before = queries()
    ExportJob.objects.bulk_create([ExportJob(created_by=cast.admin, export="members.ledger",
                                             status=ExportStatus.DONE, file=f"exports/{i}.xlsx", processed=i)
                                   for i in range(30)])
    assert queries() == before


# --- the other large exports ---------------------------------------------------------------------------


def test_participation_export_runs_in_the_background_above_the_threshold(client, cast):
    client.force_login(cast.admin)
    response = client.get(reverse("points:participation"), {"format": "xlsx", "preset": "last_year"})
    job = ExportJob.objects.get(created_by=cast.admin)
    assert response.status_code == 302 and job.export == "points.participation"
    assert "format" not in job.params["query"] and "preset=last_year" in job.params["query"]
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.processed == len(cast.members)
    entry = AuditEntry.objects.get(action="points.participation_export")
    assert entry.new_values["background"] is True and entry.new_values["rows"] == len(cast.members)
    content = b"".join(client.get(reverse("core:export_job_download", args=[job.pk])).streaming_content)
    assert set(xlsx_names(content)) == {m.name for m in cast.members}


def test_participation_below_the_threshold_stays_a_direct_download(client, cast, settings):
    settings.EXPORT_BACKGROUND_ROWS = len(cast.members)
    client.force_login(cast.admin)
    response = client.get(reverse("points:participation"), {"format": "xlsx"})
    assert response.status_code == 200 and not ExportJob.objects.exists()


@pytest.fixture
def study_item(cast):
    from taizhang.activities.content_services import study_item_create

    return study_item_create(actor=cast.admin, committee=cast.committee, kind="monthly", title="每月一学",
                             body="学习党章", month=datetime.date(2026, 6, 1))


def test_study_readers_export_runs_in_the_background_not_read_first(client, cast, study_item):
    from taizhang.activities import study_tallies
    from taizhang.activities.models import StudyRead

    StudyRead.objects.create(item=study_item, member=cast.members_by_name["刘洋"])
    study_tallies.rebuild()  # a read written directly: its tally too
    client.force_login(cast.admin)
    response = client.get(reverse("content:study_readers", args=[study_item.pk]), {"format": "xlsx"})
    job = ExportJob.objects.get(created_by=cast.admin)
    assert response.status_code == 302 and job.params == {"item": study_item.pk}
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    entry = AuditEntry.objects.get(action="study.readers_export")
    assert entry.object_id == str(study_item.pk) and entry.new_values["background"] is True
    assert entry.new_values["rows"] == len(cast.members) and entry.new_values["read"] == 1
    content = b"".join(client.get(reverse("core:export_job_download", args=[job.pk])).streaming_content)
    names = xlsx_names(content)
    assert set(names) == {m.name for m in cast.members} and names[-1] == "刘洋"  # who has read comes last


def test_a_branch_secretarys_study_readers_export_holds_only_their_branch(client, cast, study_item):
    job = start_readers(client, cast.east_secretary, study_item)
    content = b"".join(client.get(reverse("core:export_job_download", args=[job.pk])).streaming_content)
    assert set(xlsx_names(content)) == EAST
    client.force_login(cast.west_secretary)
    assert client.get(reverse("core:export_job_download", args=[job.pk])).status_code == 404


def test_the_study_readers_worker_refuses_a_user_who_lost_access(client, cast, study_item):
    job = ExportJob.objects.create(created_by=cast.admin, export="activities.study_readers",
                                   params={"item": study_item.pk}, total=6)
    RoleAssignment.objects.filter(user=cast.admin).delete()  # the admin lost the right after asking
    export_jobs.export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and CJK.search(job.message) and not job.file


def start_readers(client, user, item):
    client.force_login(user)
    response = client.get(reverse("content:study_readers", args=[item.pk]), {"format": "xlsx"})
    assert response.status_code == 302
    return ExportJob.objects.get(created_by=user)


def test_the_real_worker_writes_a_queued_export(client, cast, settings, monkeypatch):
    """``manage.py db_worker --batch`` on the database backend, inside the test's transaction (as the import
    tests run it): the registry is filled in the worker and the job is built from its id alone."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(db_worker.Worker, "configure_signals", lambda self: None)
    settings.TASKS = QUEUED
    job = start(client, cast.east_secretary, "csv")
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.processed == len(EAST)
    content = b"".join(client.get(reverse("core:export_job_download", args=[job.pk])).streaming_content)
    assert all(name.encode() in content for name in EAST) and "赵丽华".encode() not in content


def test_the_activity_report_workbook_runs_in_the_background_scoped(client, cast, settings):
    from taizhang.activities.tests.factories import DAY
    from taizhang.activities.tests.factories_reports import report_world

    report_world(cast)
    settings.EXPORT_BACKGROUND_ROWS = 1
    year = {"date_from": f"{DAY.year}-01-01", "date_to": f"{DAY.year}-12-31"}
    client.force_login(cast.west_secretary)
    response = client.get(reverse("activity_reports:export_xlsx"), year)
    job = ExportJob.objects.get(created_by=cast.west_secretary)
    assert response.status_code == 302 and job.params == year
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.file_name.endswith(".xlsx")
    entry = AuditEntry.objects.get(action="report.export")
    assert entry.new_values["background"] is True and entry.new_values["members"] == 2
    content = b"".join(client.get(reverse("core:export_job_download", args=[job.pk])).streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.worksheets) == 4
    by_member = [[c.value for c in row] for row in book.worksheets[2].iter_rows()]
    assert {row[0] for row in by_member[1:] if row[0] and row[1]} == {"赵丽华", "陈刚"}
