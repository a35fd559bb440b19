"""Money (财务), read only: the donation campaigns with their totals, and a campaign's gifts the user may see
— through ``finance.selectors`` (``campaigns_for``, ``campaign_get``, ``gifts_visible``), scoped as the
pages: the committee's money staff see every gift, a branch secretary their branch's, a member their own.
Amounts are integer fen."""

import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, Ref
from taizhang.core.permissions import capability_committee_ids, has_capability
from taizhang.finance import selectors

# a record id in the path: out of range is a 422, never a database overflow
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = Router(tags=["finance"])


class CampaignRow(Schema):
    id: int
    title: str
    purpose: str
    starts_on: datetime.date
    deadline: datetime.date
    target_fen: int | None = Field(description="目标金额（分）")
    total_fen: int = Field(description="已收（分，已扣除冲正）")
    gift_count: int


def _campaign_row(c) -> dict:
    return {"id": c.pk, "title": c.title, "purpose": c.purpose, "starts_on": c.starts_on, "deadline": c.deadline,
            "target_fen": c.target_fen, "total_fen": c.total_fen, "gift_count": c.gift_count}


@router.get("/campaigns", response={200: Paged[CampaignRow], **LIST_ERRORS}, summary="捐款活动")
def campaign_list(request, paging: Query[PageParams]):
    """The campaigns of the committees where the user sees money (and their own committee's), newest first."""
    user = request.auth
    qs = selectors.campaigns_for(user)
    if (not capability_committee_ids(user, "finance.manage") and not has_capability(user, "finance.view")
            and not qs.exists()):
        raise PermissionDenied(_("Your role does not give access to the donation campaigns."))
    return paged(request, qs, paging, row=_campaign_row)


class GiftRow(Schema):
    id: int
    giver: str
    member: Ref | None
    amount_fen: int = Field(description="金额（分；冲正为负数）")
    received_on: datetime.date
    method: str
    late: bool = Field(description="截止后捐款")
    reverses: int | None = Field(description="冲正的原记录 id")
    reversed: bool


@router.get("/campaigns/{campaign_id}/gifts", response={200: Paged[GiftRow], **READ_ERRORS},
            summary="某捐款活动中本人可见的捐款")
def gift_list(request, campaign_id: PathId, paging: Query[PageParams]):
    user = request.auth
    campaign = selectors.campaign_get(user, campaign_id)
    if campaign is None:
        raise Http404
    qs = selectors.gifts_visible(user, campaign).order_by("-received_on", "-id")

    def row(g):
        return {"id": g.pk, "giver": g.giver_name,
                "member": {"id": g.member_id, "name": g.member.name} if g.member_id else None,
                "amount_fen": g.amount_fen, "received_on": g.received_on, "method": g.method, "late": g.late,
                "reverses": g.reverses_id, "reversed": hasattr(g, "reversed_by") and g.reversed_by is not None}

    return paged(request, qs, paging, row=row)
