"""Study items (学习内容) and their reads: the list (staff with read counts, a member their items with read or
not), one item, marking it read (the member themself), and who has read it — through
``activities.content_selectors`` and ``content_services``, scoped and audited as on the pages."""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from taizhang.activities import content_selectors as cs
from taizhang.activities import content_services
from taizhang.activities.export_jobs import readers_filter
from taizhang.api.auth import require_write
from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Ref
from taizhang.core.permissions import has_capability, is_member_login, own_member

# a record id in the path: out of range is a 422, never a database overflow
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = Router(tags=["study"])


def _staff(user) -> bool:
    return has_capability(user, "study.readers") or has_capability(user, "study.publish")


def _require_study(user) -> None:
    """The study pages' rule (content_views._require_study)."""
    if not (_staff(user) or is_member_login(user)):
        raise PermissionDenied(_("Your role does not give access to study content."))


class StudyRow(Schema):
    id: int
    kind: str = Field(description="学习内容类别代码")
    title: str
    month: datetime.date | None
    published_at: datetime.datetime
    withdrawn: bool
    audience: str = Field(description="学习对象")
    # a member's list: whether they have read it (null in the staff list)
    is_read: bool | None = None
    # the staff list: read / expected of the members the user may see (null in a member's list)
    read: int | None = None
    expected: int | None = None


def _row(item, *, is_read=None, counts=None) -> dict:
    return {"id": item.pk, "kind": item.kind, "title": item.title, "month": item.month,
            "published_at": item.published_at, "withdrawn": item.withdrawn, "audience": str(item.audience_label),
            "is_read": is_read, "read": counts[0] if counts else None, "expected": counts[1] if counts else None}


@router.get("", response={200: Paged[StudyRow], **LIST_ERRORS}, summary="学习内容列表")
def study_list(request, paging: Query[PageParams]):
    """Staff (publishers and readers' viewers): every item in scope, newest first, with read / expected.
    A member: their items, unread first, with ``is_read``."""
    user = request.auth
    _require_study(user)
    if _staff(user):
        result = paged(request, cs.study_queryset(user).order_by("-published_at", "-id"), paging)
        counts = cs.study_read_counts(result["results"], user)
        result["results"] = [_row(i, counts=counts[i.pk]) for i in result["results"]]
        return result
    member = own_member(user)
    if member is None:
        raise PermissionDenied(_("Your login is not linked to a member record."))
    return paged(request, cs.member_study_items(user, member), paging, row=lambda i: _row(i, is_read=i.is_read))


class StudyDetail(StudyRow):
    body: str
    link: str
    file_name: str
    file_size: int | None
    may_publish: bool
    may_see_readers: bool
    in_my_audience: bool = Field(description="本人是否在学习对象中（可标记已学）")
    read_at: datetime.datetime | None = Field(description="本人标记已学的时间")


@router.get("/{item_id}", response={200: StudyDetail, **READ_ERRORS}, summary="学习内容详情")
def study_detail(request, item_id: PathId):
    user = request.auth
    _require_study(user)
    item = cs.study_get(user, item_id)
    member = own_member(user, item.committee_id)
    in_audience = member is not None and not item.withdrawn and cs.in_study_audience(item, member)
    read = item.reads.filter(member=member).first() if in_audience else None
    return _row(item, is_read=bool(read) if in_audience else None) | {
        "body": item.body, "link": item.link, "file_name": item.file_name, "file_size": item.file_size,
        "may_publish": cs.may_publish(user, item),
        "may_see_readers": has_capability(user, "study.readers", item.committee_id),
        "in_my_audience": in_audience, "read_at": read.read_at if read else None,
    }


class ReadOut(Schema):
    item_id: int
    member: Ref
    read_at: datetime.datetime
    created: bool = Field(description="false：之前已标记，本次未写入")
    message: str


@router.post("/{item_id}/read", response={200: ReadOut, **WRITE_ERRORS}, summary="标记已学（本人）")
def study_mark_read(request, item_id: PathId):
    """The member marks the item read; only the first time writes (audited, and gives its points)."""
    user = request.auth
    require_write(request)
    item = cs.study_get(user, item_id)
    read, created = content_services.study_item_mark_read(actor=user, item=item)
    return {"item_id": item.pk, "member": {"id": read.member_id, "name": read.member.name}, "read_at": read.read_at,
            "created": created, "message": _("Marked as read. Thank you for studying!")}


class ReaderRow(Schema):
    member: Ref
    branch: Ref
    is_read: bool
    read_at: datetime.datetime | None


class ReaderFilters(Schema):
    q: str = Field("", max_length=50, description="姓名、拼音或首字母")
    read: Literal["", "yes", "no"] = ""
    branch: int | None = Field(None, ge=1, le=2**31 - 1)


class ReadersPage(Paged[ReaderRow]):
    audience: int = Field(description="应学（本人可见范围内）")
    read_total: int = Field(description="已学")


@router.get("/{item_id}/readers", response={200: ReadersPage, **READ_ERRORS}, summary="学习情况（谁已学、谁未学）")
def study_readers(request, item_id: PathId, filters: Query[ReaderFilters], paging: Query[PageParams]):
    """The item's audience the user may see, not read first, filtered as on the readers page."""
    user = request.auth
    item = cs.study_get(user, item_id)
    if not has_capability(user, "study.readers", item.committee_id):
        raise PermissionDenied(_("Your role cannot see who has read study items."))
    total, branches = cs.study_reader_totals(item, user)
    data = {k: str(v) for k, v in filters.dict().items() if v not in (None, "")}
    filterset = readers_filter(user, item, data, branches)
    if not filterset.is_valid():
        raise ValidationError({f: [str(m) for m in msgs] for f, msgs in filterset.errors.items()})
    result = paged(request, filterset.qs, paging, row=lambda m: {
        "member": {"id": m.pk, "name": m.name}, "branch": {"id": m.branch_id, "name": m.branch.name},
        "is_read": m.is_read, "read_at": m.read_at})
    return result | {"audience": total.audience, "read_total": total.read}
