"""The roster as of a date: the ``roster`` command's JSON (``manage.py roster --format json``, the same
functions), counted over what the calling user may see; its members (``--list``) paged."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, Day
from taizhang.core.permissions import has_capability
from taizhang.members.management.commands.roster import roster_member_row, roster_members_by_branch, roster_result

router = Router(tags=["roster"])


class RosterParams(Schema):
    as_of: Day | None = Field(None, description="名册日期（默认今天；不能是将来）")


class Roster(Schema):
    as_of: str
    total: int
    by_branch: dict[str, int]
    by_category: dict[str, int]
    by_status: dict[str, int]


class RosterMember(Schema):
    name: str
    branch: str
    status: str


def _day(params: RosterParams) -> datetime.date:
    """The command's rule (``parse_day(not_after_today=True)``): the flow history knows no days to come."""
    today = timezone.localdate()
    if params.as_of is not None and params.as_of > today:
        raise ValidationError({"as_of": [_("The roster can only be shown for today or a past date.")]})
    return params.as_of or today


def _require_roster(user) -> None:
    # the roster counts are the ledger's (the home page shows them to the ledger roles only)
    if not has_capability(user, "ledger.use"):
        raise PermissionDenied(_("Your role does not give access to the member ledger."))


@router.get("", response={200: Roster, **LIST_ERRORS}, summary="某日名册统计")
def roster(request, params: Query[RosterParams]):
    """Total, by branch, by category and by status on ``as_of``, from the flow history's roster spells."""
    _require_roster(request.auth)
    return roster_result(request.auth, _day(params))


@router.get("/members", response={200: Paged[RosterMember], **LIST_ERRORS}, summary="某日名册上的党员")
def roster_members(request, params: Query[RosterParams], paging: Query[PageParams]):
    """The members counted in ``total``: name, branch and status that day (no ID or phone number), by branch
    and pinyin, paged (a page at a time, branch by branch: ``roster_members_by_branch``)."""
    user = request.auth
    _require_roster(user)
    rows = roster_members_by_branch(user, _day(params))
    return paged(request, rows, paging, row=roster_member_row, count=len(rows))
