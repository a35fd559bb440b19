"""Points: a member's entries of a year, participation, study records (submit; the approvers' queue, approve
and reject through the services) and the external score imports (upload → dry run → commit, the points
import's two phases) — through ``points.selectors``, ``points.services`` and ``points.imports``, scoped and
audited as on the pages."""

import datetime
import decimal
import os
import uuid
from typing import Annotated, Literal

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Sum
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, UploadedFile
from ninja.responses import Status as HttpStatus
from pydantic import Strict

from taizhang.api.auth import require_write
from taizhang.api.bodies import Body
from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Day, Ref
from taizhang.core.imports import upload_error
from taizhang.core.permissions import EDIT, VIEW, has_capability, own_member, restrict
from taizhang.core.spreadsheets import file_extension
from taizhang.members.selectors import member_get
from taizhang.points import imports, selectors, services
from taizhang.points.forms import ParticipationFilter
from taizhang.points.models import ExternalScoreImport, Platform, PointEntry, StudyKind, StudyRecord
from taizhang.points.views import participation_data, staff_committee

# a record id in the path: out of range is a 422, never a database overflow
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = Router(tags=["points"])


def _year(year: int | None) -> int:
    return year or timezone.localdate().year


# --- a member's entries -----------------------------------------------------------------------------------


class EntryRow(Schema):
    id: int
    day: datetime.date
    points: int
    reason: str = Field(description="积分原因")
    source: str
    rule_version: int | None
    reversed: bool = Field(description="已被冲正")
    corrects: int | None = Field(description="冲正的原分录 id")


class EntriesPage(Paged[EntryRow]):
    member: Ref
    year: int
    entries_total: int
    baseline: int = Field(description="年度基础分")
    total: int
    threshold: int
    below_threshold: bool


class EntryFilters(Schema):
    member: int | None = Field(None, ge=1, le=2**31 - 1, description="党员 id；省略：本人")
    year: int | None = Field(None, ge=2000, le=2100)


def _member_for(request, member_id):
    """The member asked for (in the user's VIEW scope, else 404 and logged), or the user's own record."""
    user = request.auth
    if member_id is None:
        member = own_member(user)
        if member is None:
            raise PermissionDenied(_("Your login is not linked to a member record."))
        return member
    return member_get(user, member_id, VIEW, request=request)


@router.get("/entries", response={200: EntriesPage, **READ_ERRORS}, summary="积分明细（某党员某年）")
def entries(request, filters: Query[EntryFilters], paging: Query[PageParams]):
    """The member's entries of the year, newest first, with the year's total (the entries' sum plus the
    baseline) and the threshold: the points page's numbers."""
    member = _member_for(request, filters.member)
    year = _year(filters.year)
    start, end = selectors.year_bounds(year)
    qs = (PointEntry.objects.filter(member=member, day__range=(start, end))
          .select_related("rule", "corrects", "corrects__rule").order_by("-day", "-id"))
    entries_total = qs.aggregate(total=Sum("points"))["total"] or 0
    config = selectors.points_settings(member.committee_id)
    result = paged(request, qs, paging)
    page = result["results"]
    reversed_ids = set(PointEntry.objects.filter(corrects_id__in=[e.pk for e in page]).values_list(
        "corrects_id", flat=True)) if page else set()
    result["results"] = [{"id": e.pk, "day": e.day, "points": e.points, "reason": e.reason, "source": e.source,
                          "rule_version": e.rule.version if e.rule_id else None, "reversed": e.pk in reversed_ids,
                          "corrects": e.corrects_id} for e in page]
    total = entries_total + config.annual_baseline
    return result | {"member": {"id": member.pk, "name": member.name}, "year": year, "entries_total": entries_total,
                     "baseline": config.annual_baseline, "total": total, "threshold": config.threshold,
                     "below_threshold": config.is_below(total)}


# --- participation ----------------------------------------------------------------------------------------


class ParticipationRow(Schema):
    member: Ref
    branch: str
    expected: int = Field(description="应到")
    present: int = Field(description="实到")
    rate: float | None = Field(description="出勤率 0–1")
    points: int
    total: int = Field(description="积分合计（整年时含基础分）")
    threshold: int | None
    below: bool
    rank: int | None = Field(description="排名（仅在启用排名时）")
    score: decimal.Decimal | None = Field(description="所选平台的外部得分")


class BranchTotals(Schema):
    name: str
    members: int
    expected: int
    present: int
    points: int
    below: int


class ParticipationPage(Paged[ParticipationRow]):
    date_from: datetime.date
    date_to: datetime.date
    platform: str
    branches: list[BranchTotals]


class ParticipationFilters(Schema):
    date_from: Day | None = None
    date_to: Day | None = None
    year: int | None = Field(None, ge=2000, le=2100)
    branch: int | None = Field(None, ge=1, le=2**31 - 1)
    platform: Literal[tuple(Platform.values)] | None = None
    below: bool = False


@router.get("/participation", response={200: ParticipationPage, **LIST_ERRORS}, summary="参与情况（出勤与积分）")
def participation(request, filters: Query[ParticipationFilters], paging: Query[PageParams]):
    """Per member in the user's scope: expected and present, points, the threshold (a whole year) and the
    chosen platform's score; and per branch. The participation page's numbers, computed by the database."""
    user = request.auth
    committee = staff_committee(user)
    data = QueryDict(mutable=True)
    for name, value in filters.dict().items():
        if value not in (None, "", False):
            data[name] = value.isoformat() if isinstance(value, datetime.date) else ("on" if value is True else str(value))
    form = ParticipationFilter(data, branches=list(selectors.visible_branches(user, committee)))
    if not form.is_valid():
        raise ValidationError({f: [str(m) for m in msgs] for f, msgs in form.errors.items()})
    context = participation_data(user, data, page=((paging.page - 1) * paging.page_size, paging.page_size))
    rows = context["rows"]

    def row(r):
        return {"member": {"id": r.member.pk, "name": r.member.name}, "branch": r.branch_name, "expected": r.expected,
                "present": r.present, "rate": r.rate, "points": r.points, "total": r.total, "threshold": r.threshold,
                "below": r.below, "rank": r.rank, "score": r.score}

    result = paged(request, rows, paging, row=row, count=len(rows))
    return result | {"date_from": context["period"].start, "date_to": context["period"].end,
                     "platform": context["platform"],
                     "branches": [{"name": b.name, "members": b.members, "expected": b.expected, "present": b.present,
                                   "points": b.points, "below": b.below} for b in context["branch_rows"]]}


# --- study records and approvals --------------------------------------------------------------------------


class RecordRow(Schema):
    id: int
    member: Ref
    day: datetime.date
    kind: str
    title: str
    content: str
    hours: decimal.Decimal | None
    status: str = Field(description="pending 待审核 / approved 已通过 / rejected 未通过")
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None
    decision_note: str


def _record(r) -> dict:
    return {"id": r.pk, "member": {"id": r.member_id, "name": r.member.name}, "day": r.day, "kind": r.kind,
            "title": r.title, "content": r.content, "hours": r.hours, "status": r.status,
            "requested_at": r.requested_at, "decided_at": r.decided_at, "decision_note": r.decision_note}


def _own_member(user):
    member = own_member(user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    return member


@router.get("/records", response={200: Paged[RecordRow], **LIST_ERRORS}, summary="本人的学习记录")
def my_records(request, paging: Query[PageParams]):
    member = _own_member(request.auth)
    return paged(request, selectors.study_records_of(member).select_related("member"), paging, row=_record)


class RecordIn(Body):
    day: Day
    kind: Literal[tuple(StudyKind.values)] = StudyKind.SELF_STUDY
    title: str = Field(..., max_length=1000)
    content: str = Field("", max_length=10000)
    hours: Annotated[float, Strict(), Field(ge=0, le=1000)] | None = Field(None, description="志愿服务小时数")


@router.post("/records", response={201: RecordRow, **WRITE_ERRORS}, summary="提交学习记录（本人）")
def record_submit(request, payload: RecordIn):
    """Submit one's own study or volunteer hours; the branch secretary approves it."""
    user = request.auth
    require_write(request)
    member = _own_member(user)
    record = services.study_record_submit(actor=user, member=member, day=payload.day, kind=payload.kind,
                                          title=payload.title, content=payload.content, hours=payload.hours)
    return HttpStatus(201, _record(record))


def _require_approve(user) -> None:
    if not has_capability(user, "points.approve"):
        raise PermissionDenied(_("Your role cannot approve study records."))


@router.get("/approvals", response={200: Paged[RecordRow], **LIST_ERRORS}, summary="待审核的学习记录")
def approvals(request, paging: Query[PageParams]):
    """Pending records of the members the user may edit (never their own), oldest first."""
    user = request.auth
    _require_approve(user)
    return paged(request, selectors.approvals_queryset(user), paging, row=_record)


class DecisionIn(Body):
    note: str = Field("", max_length=300, description="审核意见（驳回时必填）")


def _record_for_decision(user, record_id) -> StudyRecord:
    _require_approve(user)
    record = restrict(StudyRecord.objects.select_related("member"), user, EDIT, committee="member__committee",
                      branch="member__branch", member="member").filter(pk=record_id).first()
    if record is None:
        raise Http404
    return record


@router.post("/approvals/{record_id}/approve", response={200: RecordRow, **WRITE_ERRORS}, summary="通过学习记录")
def approve(request, record_id: PathId, payload: DecisionIn):
    user = request.auth
    require_write(request)
    record = _record_for_decision(user, record_id)
    return _record(services.study_record_approve(actor=user, record=record, note=payload.note))


@router.post("/approvals/{record_id}/reject", response={200: RecordRow, **WRITE_ERRORS}, summary="驳回学习记录")
def reject(request, record_id: PathId, payload: DecisionIn):
    user = request.auth
    require_write(request)
    record = _record_for_decision(user, record_id)
    return _record(services.study_record_reject(actor=user, record=record, note=payload.note))


# --- external score imports (学习强国 / 灯塔) -----------------------------------------------------------------

ROWS_SHOWN = 200  # the dry run's rows in the answer (every error is counted; the file may have thousands)
UPLOAD_SALT = "taizhang.api.points_import"
UPLOAD_MAX_AGE = 24 * 3600


class ImportRowOut(Schema):
    row: int = Field(description="文件中的行号")
    name: str
    member_id: int | None
    platform: str
    period: str
    score: decimal.Decimal | None
    errors: list[dict[str, str]] = Field(description="[{column, message}]")


class ImportCheckOut(Schema):
    file_name: str
    sha256: str
    file_error: str
    ok_count: int
    error_count: int
    rows: list[ImportRowOut]
    rows_capped: bool
    upload: str | None = Field(description="确认导入时带回的凭据（无可导入的行时为 null）；24 小时内有效")
    import_id: int | None = Field(None, description="已导入时：导入记录 id")


def _report(report, *, upload=None) -> dict:
    return {
        "file_name": report.file_name, "sha256": report.sha256, "file_error": report.file_error,
        "ok_count": report.ok_count, "error_count": report.error_count,
        "rows": [{"row": r.number, "name": r.name, "member_id": r.member.pk if r.member else None,
                  "platform": r.platform, "period": r.period, "score": r.score,
                  "errors": [{"column": c, "message": str(m)} for c, m in r.errors]} for r in report.rows[:ROWS_SHOWN]],
        "rows_capped": len(report.rows) > ROWS_SHOWN, "upload": upload,
        "import_id": report.score_import.pk if report.score_import else None,
    }


def _opener(path):
    return lambda: default_storage.open(path, "rb")


@router.post("/imports", response={200: ImportCheckOut, **WRITE_ERRORS}, summary="外部平台得分导入：上传并检查")
def import_check(request, file: File[UploadedFile]):
    """The first phase: the file is stored and every row judged; nothing is written. Commit with ``upload``."""
    user = request.auth
    require_write(request)
    committee = staff_committee(user, "points.manage")
    error = upload_error(file)
    if error:
        raise ValidationError({"file": [error]})
    path = default_storage.save(f"points/imports/{uuid.uuid4().hex}{file_extension(file.name)}", file)
    name = os.path.basename(file.name)[:200]
    report = imports.check(actor=user, committee=committee, opener=_opener(path), file_name=name)
    if report.file_error or not report.ok_count:
        imports.import_file_delete(actor=user, path=path, reason="nothing to import")
        return _report(report)
    upload = signing.dumps({"path": path, "name": name, "sha256": report.sha256, "user": user.pk,
                            "committee": committee.pk}, salt=UPLOAD_SALT)
    return _report(report, upload=upload)


class CommitIn(Body):
    upload: str = Field(..., max_length=2000)


@router.post("/imports/commit", response={200: ImportCheckOut, **WRITE_ERRORS}, summary="外部平台得分导入：确认导入")
def import_commit(request, payload: CommitIn):
    """The second phase: the stored file is checked again and its valid rows written in one transaction."""
    user = request.auth
    require_write(request)
    committee = staff_committee(user, "points.manage")
    try:
        pending = signing.loads(payload.upload, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        pending = None
    if (not isinstance(pending, dict) or pending.get("user") != user.pk or pending.get("committee") != committee.pk
            or not str(pending.get("path", "")).startswith("points/imports/")
            or not default_storage.exists(pending["path"])):
        raise ValidationError({"upload": [_("The checked file is no longer available; upload it again.")]})
    report = imports.commit(actor=user, committee=committee, opener=_opener(pending["path"]),
                            file_name=pending["name"])
    imports.import_file_delete(actor=user, path=pending["path"], reason="committed")
    if report.score_import is None:
        raise ValidationError({"upload": [_("Nothing was imported: no row is valid.")]})
    return _report(report)


class ScoreImportRow(Schema):
    id: int
    file_name: str
    sha256: str
    imported_by: str
    imported_at: datetime.datetime
    row_count: int
    error_count: int


@router.get("/imports", response={200: Paged[ScoreImportRow], **LIST_ERRORS}, summary="外部平台得分导入记录")
def import_list(request, paging: Query[PageParams]):
    committee = staff_committee(request.auth, "points.manage")
    qs = ExternalScoreImport.objects.filter(committee=committee).select_related("imported_by")
    return paged(request, qs, paging, row=lambda i: {
        "id": i.pk, "file_name": i.file_name, "sha256": i.sha256, "imported_by": i.imported_by.display_name
        or i.imported_by.username, "imported_at": i.imported_at, "row_count": i.row_count,
        "error_count": i.error_count})

