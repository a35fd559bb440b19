"""Ledger imports through the API: the page's two phases and run model, only the user's own runs, scoped rows
(a row for another branch is an error), audited commit, error JSON."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.core.models import AuditEntry
from taizhang.members.models import ImportRun, Member
from taizhang.members.tests.test_import import new_row, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _upload(api, content, name="ledger.xlsx"):
    data = SimpleUploadedFile(name, content, content_type=XLSX)
    return api.client.post("/api/v1/imports/", {"file": data}, headers=api._headers())


def _file():
    return xlsx_bytes([new_row("甲"), new_row("乙", birth=datetime.date(1981, 3, 4)),
                       new_row("丙", birth=datetime.date(1982, 3, 4), **{"所在党支部": "西部片区支部"})])


def test_upload_poll_commit(client, cast):
    api = Api(client, cast.east_secretary)
    response = _upload(api, _file())
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    run = api.get(f"/imports/{run_id}").json()
    assert run["status"] == "checked" and run["created"] == 2 and run["errors"] == 1 and run["can_commit"]
    rows = api.get(f"/imports/{run_id}/rows", {"show": "error"}).json()
    assert rows["count"] == 1 and rows["results"][0]["name"] == "丙"  # the west branch: not the importer's
    assert "*" in rows["results"][0]["id_number_masked"]
    errors = api.get(f"/imports/{run_id}/errors").json()
    assert errors["count"] >= 1 and errors["results"][0]["message"]
    assert not Member.objects.filter(name__in=["甲", "乙"]).exists()
    committed = api.post(f"/imports/{run_id}/commit")
    assert committed.status_code == 202, committed.content
    assert api.get(f"/imports/{run_id}").json()["status"] == "committed"
    assert set(Member.objects.filter(name__in=["甲", "乙", "丙"]).values_list("name", flat=True)) == {"甲", "乙"}
    assert AuditEntry.objects.filter(action="import.commit", actor=cast.east_secretary).exists()
    again = api.post(f"/imports/{run_id}/commit")
    assert again.status_code == 409 and again.json()["detail"]
    assert api.get("/imports/").json()["count"] == 1


def test_runs_are_the_uploaders_own(client, cast):
    run_id = _upload(Api(client, cast.east_secretary), _file()).json()["id"]
    other = Api(client, cast.admin)
    assert other.get(f"/imports/{run_id}").status_code == 404
    assert other.get(f"/imports/{run_id}/rows").status_code == 404
    assert other.post(f"/imports/{run_id}/commit").status_code == 404
    assert other.get("/imports/").json()["count"] == 0


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "study", "plain_member"])
def test_others_may_not_import(client, cast, who):
    api = Api(client, getattr(cast, who))
    assert _upload(api, _file()).status_code == 403
    assert api.get("/imports/").status_code == 403
    assert not ImportRun.objects.exists()


def test_bad_files_and_read_only_tokens(client, cast):
    api = Api(client, cast.admin)
    wrong = _upload(api, b"hello", name="ledger.txt")
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "file" and ".xlsx" in wrong.json()["detail"]
    assert _upload(Api(client, cast.admin, read_only=True), _file()).status_code == 403
    assert not ImportRun.objects.exists()


def test_discard_deletes_the_file(client, cast):
    api = Api(client, cast.admin)
    run_id = _upload(api, _file()).json()["id"]
    response = api.post(f"/imports/{run_id}/discard")
    assert response.status_code == 200 and response.json()["status"] == "discarded"
    assert not response.json()["file_kept"]
    assert api.post(f"/imports/{run_id}/commit").status_code == 409


def test_list_queries_are_flat(client, cast):
    api = Api(client, cast.admin)
    run_id = _upload(api, _file()).json()["id"]
    api.get("/imports/")
    assert_flat_queries(api, f"/imports/{run_id}/rows", sizes=(1, 3))
    assert_flat_queries(api, "/imports/", sizes=(1, 3))
