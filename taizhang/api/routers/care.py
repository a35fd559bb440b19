"""Care of elderly members (关怀), read only: the 60+ list on a day and the visits — through
``care.selectors`` (``elderly_list``, ``elderly_filter``, ``visits_for``), scoped as the care pages: the
members the user may edit, in the committee where they hold ``care.manage``."""

import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, Day, Ref
from taizhang.care import selectors
from taizhang.care.forms import ElderlyFilterForm
from taizhang.core.permissions import EDIT, branches_for, home_committee_for

router = Router(tags=["care"])


def _committee(user):
    """The care pages' rule (care.views._committee)."""
    return home_committee_for(user, "care.manage", _("Your role does not give access to the care of elderly members."))


class ElderlyRow(Schema):
    id: int
    name: str
    age: int = Field(description="在所选日期的年龄")
    branch: Ref
    household: Ref | None
    lives_alone: bool | None = Field(description="独居（null：尚无关怀记录）")
    needs_home_visit: bool | None
    mobility: str | None


class ElderlyFilters(Schema):
    day: Day | None = Field(None, description="名单日期（默认今天）")
    branch: int | None = Field(None, ge=1, le=2**31 - 1)
    q: str = Field("", max_length=50, description="姓名、拼音或户名")
    flag: Literal["", "alone", "home_visit", "housebound", "no_notes"] = ""


@router.get("/elderly", response={200: Paged[ElderlyRow], **LIST_ERRORS}, summary="60 岁以上党员名单")
def elderly(request, filters: Query[ElderlyFilters], paging: Query[PageParams]):
    """The members aged 60+ on ``day`` the user cares for, grouped by household (the care list's order)."""
    user = request.auth
    committee = _committee(user)
    form = ElderlyFilterForm({k: (v.isoformat() if isinstance(v, datetime.date) else v)
                              for k, v in filters.dict().items() if v not in (None, "")},
                             branches=branches_for(user, EDIT).filter(committee=committee))
    if not form.is_valid():  # the page's form, so the page's messages
        raise ValidationError({f: [str(m) for m in msgs] for f, msgs in form.errors.items()})
    day = form.cleaned_data.get("day") or timezone.localdate()
    branch = form.cleaned_data.get("branch")
    qs = selectors.elderly_filter(selectors.elderly_list(user, day, committee=committee), branch=branch,
                                  text=filters.q.strip(), flag=filters.flag)

    def row(m):
        profile = getattr(m, "care_profile", None)
        return {"id": m.pk, "name": m.name, "age": m.age_on(day), "branch": {"id": m.branch_id, "name": m.branch.name},
                "household": {"id": m.household_id, "name": m.household.name} if m.household_id else None,
                "lives_alone": profile.lives_alone if profile else None,
                "needs_home_visit": profile.needs_home_visit if profile else None,
                "mobility": profile.mobility if profile else None}

    return paged(request, qs, paging, row=row)


class VisitRow(Schema):
    id: int
    visited_on: datetime.date
    occasion: str
    mode: str
    branch: Ref | None
    plan_id: int | None
    visitors: str
    members: list[Ref]
    withdrawn: bool


@router.get("/visits", response={200: Paged[VisitRow], **LIST_ERRORS}, summary="走访慰问记录")
def visits(request, paging: Query[PageParams]):
    """The visits of the branches the user may edit, newest first."""
    user = request.auth
    committee = _committee(user)
    qs = selectors.visits_for(user).filter(committee=committee).prefetch_related("members")
    return paged(request, qs, paging, row=lambda v: {
        "id": v.pk, "visited_on": v.visited_on, "occasion": v.occasion, "mode": v.mode,
        "branch": {"id": v.branch_id, "name": v.branch.name} if v.branch_id else None, "plan_id": v.plan_id,
        "visitors": v.visitors, "members": [{"id": m.pk, "name": m.name} for m in v.members.all()],
        "withdrawn": v.withdrawn_at is not None})
