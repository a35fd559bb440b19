"""Members: list/search, detail (numbers masked), reveal, create, update — through the ledger's own filter set
(``members.filters.MemberFilter``), selectors, forms and services, so the rules and the scoping are the pages'.

What a user sees of a member follows ``members.visibility`` (PIPL "minimum necessary"): the detail fields are
null where the user lacks DETAILS on that member (the study role sees names, branches and party facts)."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as Created

from taizhang.api.auth import require_write
from taizhang.api.errors import Conflict
from taizhang.api.forms import form_data, raise_form_errors
from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import (
    LIST_ERRORS,
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    Day,
    Flag,
    IdPath,
    Int,
    Pk,
    QueryPk,
    Ref,
)
from taizhang.core.audit import client_ip
from taizhang.core.errors import ConcurrentEditError
from taizhang.core.permissions import DETAILS, EDIT, REVEAL, allows, has_capability
from taizhang.members import selectors, services
from taizhang.members.filters import MemberFilter
from taizhang.members.forms import MemberForm, RegisterForm, editable_branches
from taizhang.members.models import Category, Education, EmploymentStatus, MembershipType, Status
from taizhang.members.visibility import require_ledger

router = Router(tags=["members"])


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
    as_of: Day | None = Field(None, description="名册日期（今天或以前）")
    branch: QueryPk | None = None
    category: Literal["working", "resident", "stationed"] | None = None
    status: Literal["roster", "all", *Status.values] = "roster"
    age: Literal["under35", "35-44", "45-59", "60plus", "70plus"] | None = None
    contact: Literal["overdue"] | None = None
    tag: QueryPk | None = None
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
    birth_date: Day | None = None
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
def member_detail(request, member_id: int = IdPath()):
    """One member the user may see (else 404, and the refusal is logged like the page's)."""
    user = request.auth
    require_ledger(user)
    member = selectors.member_get(user, member_id, request=request)
    return member_detail_data(user, member)


# --- reveal ----------------------------------------------------------------------------------------------


class Revealed(Schema):
    field: str
    value: str


@router.post("/{int:member_id}/reveal/{field}", response={200: Revealed, **READ_ERRORS}, summary="查看完整号码（记入审计）")
def member_reveal(request, field: Literal["id_number", "phone"], member_id: int = IdPath()):
    """The member's full citizen ID number or phone, for a user whose role may reveal it (else 403); every
    reveal is audit-logged like the page's, and the policy's burst limit answers 429."""
    user = request.auth
    require_ledger(user)
    member = selectors.member_get(user, member_id, request=request)
    value = services.member_reveal(actor=user, member_id=member.pk, field=field, ip_address=client_ip(request))
    return {"field": field, "value": value}


# --- create and update ------------------------------------------------------------------------------------

Text50 = Field("", max_length=50)
Text100 = Field("", max_length=100)
Text200 = Field("", max_length=200)
Id = int | None


class MemberFields(Schema):
    """What a member's form holds (``members.forms.MemberForm``); ids refer to the user's committee."""

    name: str = Field(max_length=50)
    id_number: str = Field(max_length=40, description="公民身份号码（18 位）")
    phone: str = Field("", max_length=30)
    gender: Literal["M", "F", ""] = Field("", description="留空时取自身份证号")
    birth_date: Day | None = Field(None, description="留空时取自身份证号")
    ethnicity: str = Field("汉族", max_length=20)
    education: Literal["", *Education.values] = ""
    membership_type: Literal[*MembershipType.values]
    join_date: Day
    full_membership_date: Day | None = None
    party_age_correction: Int(-100, 100) = 0
    is_mobile: Flag = True
    category: Literal[*Category.values]
    district: Pk | None = None
    branch: Pk
    party_group: Pk | None = None
    residence: str = Text200
    household_registration: str = Text200
    household: Pk | None = None
    new_household: str = Field("", max_length=100, description="新建户的名称（与 household 二选一）")
    employer: str = Text100
    industry: str = Text50
    position: str = Text50
    employment_status: Literal["", *EmploymentStatus.values] = ""
    interests: str = Text200
    tags: list[Pk] = Field([], max_length=50)
    new_tags: str = Field("", max_length=200, description="新标签，用逗号或顿号分隔")


class MemberCreate(MemberFields):
    registered_on: Day = Field(description="登记（流入北京）日期")
    reported: Flag = Field(True, description="已向支部报到")


class MemberUpdate(Schema):
    """The fields to change (the others keep their values) and the ``version`` the client read. The branch
    is changed by a flow event (``moved_branch``), not here; an empty ``id_number`` / ``phone`` keeps it."""

    version: Int(0, MAX_ID)
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=30)
    gender: Literal["M", "F", ""] | None = None
    birth_date: Day | None = None
    ethnicity: str | None = Field(None, max_length=20)
    education: Literal["", *Education.values] | None = None
    membership_type: Literal[*MembershipType.values] | None = None
    join_date: Day | None = None
    full_membership_date: Day | None = None
    party_age_correction: Int(-100, 100) | None = None
    is_mobile: Flag | None = None
    category: Literal[*Category.values] | None = None
    district: Pk | None = None
    party_group: Pk | None = None
    residence: str | None = Field(None, max_length=200)
    household_registration: str | None = Field(None, max_length=200)
    household: Pk | None = None
    new_household: str | None = Field(None, max_length=100)
    employer: str | None = Field(None, max_length=100)
    industry: str | None = Field(None, max_length=50)
    position: str | None = Field(None, max_length=50)
    employment_status: Literal["", *EmploymentStatus.values] | None = None
    interests: str | None = Field(None, max_length=200)
    tags: list[Pk] | None = Field(None, max_length=50)
    new_tags: str | None = Field(None, max_length=200)


@router.post("", response={201: MemberDetail, **WRITE_ERRORS}, summary="登记党员（流入）")
def member_create(request, payload: MemberCreate):
    """Register a member and their first flow event through the registration form and service of the page."""
    user = request.auth
    require_write(request)
    if not has_capability(user, "member.create"):
        raise PermissionDenied(_("Your role cannot add members."))
    branches = editable_branches(user)
    first = branches.first()
    if first is None:
        raise PermissionDenied(_("Your role cannot add members."))
    form = RegisterForm(form_data(payload.dict()), user=user, committee=first.committee)
    if not form.is_valid():
        raise_form_errors(form)
    with transaction.atomic():
        data = form.service_data()
        member = services.member_register(actor=user, data=data, registered_on=data.pop("registered_on"),
                                          reported=data.pop("reported"))
    return Created(201, member_detail_data(user, selectors.member_get(user, member.pk, request=request)))


def _form_values(member) -> dict:
    """The member's current values as the edit form's data (the personal numbers left empty: kept)."""
    relations = ("district", "party_group", "household", "branch")
    values = {name: getattr(member, name) for name in MemberForm.Meta.fields
              if name not in ("id_number", "phone", "tags", *relations)}
    values.update({name: getattr(member, f"{name}_id") for name in relations})
    values.update(id_number="", phone="", tags=[t.pk for t in member.tags.all()])
    return values


def _current(user, member_id) -> dict:
    return member_detail_data(user, selectors.member_get(user, member_id))


@router.patch("/{int:member_id}", response={200: MemberDetail, **WRITE_ERRORS}, summary="修改党员信息（乐观锁）")
def member_update(request, payload: MemberUpdate, member_id: int = IdPath()):
    """Change the given fields through the edit form and ``member_update``. ``version`` must be the one the
    client read: if someone saved in between, 409 with the record's current values (``current``)."""
    user = request.auth
    require_write(request)
    require_ledger(user)
    member = selectors.member_get(user, member_id, EDIT, request=request)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    if version != member.version:
        raise Conflict(_("Someone else changed this record after you read it; here are its current values."),
                       current=_current(user, member.pk))
    values = _form_values(member) | changes
    form = MemberForm(form_data(values), instance=member, user=user, committee=member.committee)
    if not form.is_valid():
        raise_form_errors(form)
    try:
        with transaction.atomic():
            services.member_update(actor=user, member=member, expected_version=version, data=form.service_data())
    except ConcurrentEditError:
        raise Conflict(_("Someone else changed this record after you read it; here are its current values."),
                       current=_current(user, member.pk)) from None
    return member_detail_data(user, selectors.member_get(user, member.pk, request=request))
