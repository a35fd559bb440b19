"""Members: list/search, detail (numbers masked), reveal, create, update — through the ledger's own filter set
(``members.filters.MemberFilter``), selectors, forms and services, so the rules and the scoping are the pages'.

What a user sees of a member follows ``members.visibility`` (PIPL "minimum necessary"): the detail fields are
null where the user lacks DETAILS on that member (the study role sees names, branches and party facts)."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, Ref
from taizhang.core.permissions import DETAILS, allows, has_capability, is_member_login
from taizhang.members import selectors
from taizhang.members.filters import MemberFilter
from taizhang.members.models import Status

router = Router(tags=["members"])


def require_ledger(user) -> None:
    """The pages' rule (members/views.py ``_require_ledger``): the ledger roles, or a member on their own record."""
    if not (has_capability(user, "ledger.use") or is_member_login(user)):
        raise PermissionDenied(_("Your role does not give access to the member ledger."))


# --- answers -------------------------------------------------------------------------------------------


class MemberRow(Schema):
    id: int
    name: str
    gender: str = Field(description="M 男 / F 女")
    age: int
    branch: Ref = Field(description="所在支部（as_of 时为当日所在支部）")
    status: str = Field(description="状态代码；空：尚未登记")
    status_label: str
    membership_type: str
    # DETAILS only (null without it)
    category: str | None = None
    phone_masked: str | None = None
    district: str | None = None
    last_contact_date: datetime.date | None = None


def status_label(member) -> str:
    return str(Status(member.status).label) if member.status else _("Not registered")


def _details(user, member) -> bool:
    return allows(user, DETAILS, committee_id=member.committee_id, branch_id=member.branch_id,
                  member_user_id=member.user_id)


def member_row(user, member) -> dict:
    branch_id = getattr(member, "branch_on", None) or member.branch_id
    row = {"id": member.pk, "name": member.name, "gender": member.gender, "age": member.age,
           "branch": {"id": branch_id, "name": selectors.branch_name_on(member)}, "status": member.status or "",
           "status_label": status_label(member), "membership_type": member.membership_type}
    if _details(user, member):
        row.update(category=member.category, phone_masked=member.phone_masked,
                   district=member.district.name if member.district_id else "",
                   last_contact_date=member.last_contact_date)
    return row


class MemberFilters(Schema):
    """The ledger page's filters (``MemberFilter``); the detail filters (category, contact, tag) and searching
    by numbers need DETAILS, as on the page."""

    q: str = Field("", max_length=50, description="姓名、拼音、首字母、手机号或身份证号后四位")
    as_of: datetime.date | None = Field(None, description="名册日期（今天或以前）")
    branch: int | None = Field(None, ge=1, le=2**31 - 1)
    category: Literal["working", "resident", "stationed"] | None = None
    status: Literal["roster", "all", *Status.values] = "roster"
    age: Literal["under35", "35-44", "45-59", "60plus", "70plus"] | None = None
    contact: Literal["overdue"] | None = None
    tag: int | None = Field(None, ge=1, le=2**31 - 1)
    sort: Literal["name", "-age", "age", "branch", "-last_contact", "last_contact", "-created"] = "name"


def filter_data(filters: MemberFilters) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in filters.dict().items():
        if value not in (None, ""):
            data[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return data


def filter_errors(filterset) -> list[dict]:
    return [{"field": field, "message": str(message)} for field, messages in filterset.errors.items()
            for message in messages]


@router.get("", response={200: Paged[MemberRow], **LIST_ERRORS}, summary="党员列表与搜索")
def member_list(request, filters: Query[MemberFilters], paging: Query[PageParams]):
    """The ledger list with the page's filters, paged with a total (``count``)."""
    user = request.auth
    require_ledger(user)
    filterset = MemberFilter.for_user(user, filter_data(filters))
    if not filterset.is_valid():
        from django.core.exceptions import ValidationError

        raise ValidationError({e["field"]: [e["message"]] for e in filter_errors(filterset)})
    return paged(request, filterset.qs, paging, row=lambda m: member_row(user, m), count=filterset.count())


class MemberDetail(MemberRow):
    party_group: Ref | None = None
    join_date: datetime.date
    full_membership_date: datetime.date | None = None
    party_age: int | None = None
    is_mobile: bool
    version: int = Field(description="乐观锁版本：修改时原样带回")
    may_edit: bool
    may_reveal: bool
    # DETAILS only
    id_number_masked: str | None = None
    birth_date: datetime.date | None = None
    ethnicity: str | None = None
    education: str | None = None
    residence: str | None = None
    household_registration: str | None = None
    employment_status: str | None = None
    employer: str | None = None
    industry: str | None = None
    position: str | None = None
    interests: str | None = None
    tags: list[str] | None = None


def member_detail_data(user, member) -> dict:
    from taizhang.core.permissions import EDIT, REVEAL

    ids = {"committee_id": member.committee_id, "branch_id": member.branch_id, "member_user_id": member.user_id}
    data = member_row(user, member)
    data.update(
        party_group={"id": member.party_group_id, "name": member.party_group.name} if member.party_group_id else None,
        join_date=member.join_date, full_membership_date=member.full_membership_date, party_age=member.party_age,
        is_mobile=member.is_mobile, version=member.version, may_edit=allows(user, EDIT, **ids),
        may_reveal=allows(user, REVEAL, **ids),
    )
    if data.get("category") is not None:  # DETAILS
        data.update(
            id_number_masked=member.id_number_masked, birth_date=member.birth_date, ethnicity=member.ethnicity,
            education=member.education, residence=member.residence,
            household_registration=member.household_registration, employment_status=member.employment_status,
            employer=member.employer, industry=member.industry, position=member.position,
            interests=member.interests, tags=sorted(t.name for t in member.tags.all()),
        )
    return data


@router.get("/{int:member_id}", response={200: MemberDetail, **READ_ERRORS}, summary="党员详情（号码已遮蔽）")
def member_detail(request, member_id: int):
    """One member the user may see (else 404, and the refusal is logged like the page's)."""
    user = request.auth
    require_ledger(user)
    member = selectors.member_get(user, member_id, request=request)
    return member_detail_data(user, member)
