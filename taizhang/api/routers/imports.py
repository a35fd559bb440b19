"""Ledger imports: upload a spreadsheet (its dry run runs in the background), poll the run, read its rows and
errors, commit (the second phase, in the background too), discard — the page's run model
(``members.imports.runs``: ``ImportRun``, the same services and tasks), limited to the user's own runs."""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status as HttpStatus

from taizhang.api.auth import require_write
from taizhang.api.errors import Conflict
from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from taizhang.core.imports import upload_error
from taizhang.core.permissions import has_capability
from taizhang.members import imports
from taizhang.members.models import ImportRun, ImportStatus

# a record id in the path: out of range is a 422, never a database overflow
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = Router(tags=["imports"])


def _require_import(user) -> None:
    if not has_capability(user, "member.create"):
        raise PermissionDenied(_("Your role cannot import members."))


def _run(request, run_id) -> ImportRun:
    """One of the user's own runs (else 404), marked interrupted first if its worker is gone (as the page)."""
    _require_import(request.auth)
    run = ImportRun.objects.filter(pk=run_id, created_by=request.auth).first()
    if run is None:
        raise Http404
    if run.status in (ImportStatus.CHECKING, ImportStatus.COMMITTING) and imports.import_runs_recover(runs=[run]):
        run.refresh_from_db()
    return run


class RunOut(Schema):
    id: int
    file_name: str
    file_size: int
    sha256: str
    status: str = Field(description="check_queued → checking → checked → commit_queued → committing → committed；"
                                    "或 failed / interrupted / discarded")
    status_label: str
    running: bool
    percent: int
    processed: int
    total: int
    rows: int
    created: int = Field(description="新增党员")
    updated: int = Field(description="更新党员")
    unchanged: int
    errors: int = Field(description="有错误的行")
    message: str
    file_kept: bool = Field(description="上传的文件是否仍保存（导入、失败或放弃后删除）")
    can_commit: bool
    uploaded_at: datetime.datetime
    checked_at: datetime.datetime | None
    committed_at: datetime.datetime | None
    unknown_columns: list[str]


def _run_out(run) -> dict:
    results = run.results or {}
    return {
        "id": run.pk, "file_name": run.file_name, "file_size": run.file_size, "sha256": run.sha256,
        "status": run.status, "status_label": str(run.get_status_display()), "running": run.running,
        "percent": run.percent, "processed": run.processed, "total": run.total, "rows": run.rows,
        "created": run.created, "updated": run.updated, "unchanged": run.unchanged, "errors": run.errors,
        "message": run.message, "file_kept": bool(run.file),
        "can_commit": run.status == ImportStatus.CHECKED and (run.created + run.updated) > 0 and bool(run.file),
        "uploaded_at": run.created_at, "checked_at": run.checked_at, "committed_at": run.committed_at,
        "unknown_columns": [str(c) for c in results.get("unknown_columns", [])],
    }


@router.post("", response={202: RunOut, **WRITE_ERRORS}, summary="上传党员台账文件（开始检查）")
def import_upload(request, file: File[UploadedFile]):
    """Store the file and queue its dry run; poll ``GET /imports/{id}`` until ``status`` is ``checked`` (or
    ``failed``). A new upload discards the user's earlier checks that were not imported."""
    user = request.auth
    require_write(request)
    _require_import(user)
    error = upload_error(file, max_bytes=imports.MAX_UPLOAD_BYTES)
    if error:
        raise ValidationError({"file": [error]})
    run = imports.import_run_start(actor=user, upload=file)
    run.refresh_from_db()
    return HttpStatus(202, _run_out(run))


@router.get("", response={200: Paged[RunOut], **LIST_ERRORS}, summary="本人的导入记录")
def import_list(request, paging: Query[PageParams]):
    _require_import(request.auth)
    qs = ImportRun.objects.filter(created_by=request.auth).order_by("-created_at", "-id")
    return paged(request, qs, paging, row=_run_out)


@router.get("/{run_id}", response={200: RunOut, **READ_ERRORS}, summary="导入进度与检查结果")
def import_run(request, run_id: PathId):
    return _run_out(_run(request, run_id))


class RowChange(Schema):
    column: str
    old: str
    new: str


class RowError(Schema):
    column: str
    value: str
    message: str


class RunRow(Schema):
    row: int = Field(description="文件中的行号")
    action: str = Field(description="create 新增 / update 更新 / unchanged 无变化 / error 错误")
    name: str
    id_number_masked: str
    changes: list[RowChange]
    errors: list[RowError]


class RowsPage(Paged[RunRow]):
    capped: bool = Field(description="行数过多，只保存了前若干行的明细（错误仍全部计数）")


class RowFilters(Schema):
    show: Literal["all", "create", "update", "unchanged", "error"] = "all"


def _text(value) -> str:
    return "" if value is None else str(value)


def _row(entry) -> dict:
    return {
        "row": entry.get("row", 0), "action": entry.get("action", ""), "name": _text(entry.get("name")),
        "id_number_masked": _text(entry.get("id")),
        "changes": [{"column": _text(c[0]), "old": _text(c[1]), "new": _text(c[2])} for c in entry.get("changes", [])],
        "errors": [{"column": _text(e[0]), "value": _text(e[1]), "message": _text(e[2])}
                   for e in entry.get("errors", [])],
    }


@router.get("/{run_id}/rows", response={200: RowsPage, **READ_ERRORS}, summary="检查结果的逐行明细")
def import_rows(request, run_id: PathId, filters: Query[RowFilters], paging: Query[PageParams]):
    """What the dry run (or the commit) found for each row: new, changed (old → new), unchanged or the errors
    by column. Empty while the run is working."""
    run = _run(request, run_id)
    results = {} if run.running else (run.results or {})
    rows = results.get("display", [])
    if filters.show != "all":
        rows = [r for r in rows if r.get("action") == filters.show]
    return paged(request, rows, paging, row=_row) | {"capped": bool(results.get("display_capped"))}


class ErrorRow(Schema):
    row: int
    column: str
    value: str
    message: str


@router.get("/{run_id}/errors", response={200: Paged[ErrorRow], **READ_ERRORS}, summary="检查出的全部错误")
def import_errors(request, run_id: PathId, paging: Query[PageParams]):
    run = _run(request, run_id)
    errors = [] if run.running else (run.results or {}).get("error_list", [])
    return paged(request, errors, paging, row=lambda e: {"row": e.get("row", 0), "column": _text(e.get("column")),
                                                         "value": _text(e.get("value")),
                                                         "message": _text(e.get("message"))})


@router.post("/{run_id}/commit", response={202: RunOut, **WRITE_ERRORS}, summary="确认导入（第二阶段）")
def import_commit(request, run_id: PathId):
    """Queue the commit of a checked run: the file is planned again and every valid row written in one
    transaction. 409 when the run is not checked, has nothing to write or its file is gone."""
    require_write(request)
    run = _run(request, run_id)
    if not imports.import_run_commit(run=run):
        run.refresh_from_db()
        raise Conflict(_("This import cannot be committed: it is not checked, has no row to write, or its file "
                         "has been deleted."), current=_run_out(run))
    run.refresh_from_db()
    return HttpStatus(202, _run_out(run))


@router.post("/{run_id}/discard", response={200: RunOut, **WRITE_ERRORS}, summary="放弃导入（删除上传的文件）")
def import_discard(request, run_id: PathId):
    require_write(request)
    run = _run(request, run_id)
    if not imports.import_run_discard(actor=request.auth, run=run):
        raise Conflict(_("This import cannot be discarded now."), current=_run_out(run))
    run.refresh_from_db()
    return _run_out(run)
