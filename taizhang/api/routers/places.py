"""党员之家 (places), read only: the rooms, bookings (staff: the requests to decide; everyone: their own), the
interest groups and the heart-to-heart talks (that a talk took place, never its content) — through the places
selectors, scoped as the pages (``rooms_selectors.committee_for``, ``groups_selectors.groups_for``,
``talks_selectors.visible_talks``)."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, Ref
from taizhang.core.permissions import has_capability, home_committee
from taizhang.places import groups_selectors, rooms_selectors, talks_selectors
from taizhang.places.models import TalkKind

router = Router(tags=["places"])


def _committee(user):
    """The rooms pages' rule (rooms_views._committee)."""
    committee = rooms_selectors.committee_for(user)
    if committee is None:
        raise PermissionDenied(_("Your role does not give access to the party members' home."))
    return committee


class RoomRow(Schema):
    id: int
    name: str
    place: str
    capacity: int
    equipment: str
    who_may_book: str
    active: bool


@router.get("/rooms", response={200: Paged[RoomRow], **LIST_ERRORS}, summary="党员之家的活动室")
def room_list(request, paging: Query[PageParams]):
    """The committee's rooms in use (the committee admin also sees those out of use)."""
    user = request.auth
    committee = _committee(user)
    manage = has_capability(user, "places.rooms", committee.pk)
    qs = rooms_selectors.rooms(committee, active_only=not manage).order_by("sort_order", "name", "id")
    return paged(request, qs, paging, row=lambda r: {
        "id": r.pk, "name": r.name, "place": r.place, "capacity": r.capacity, "equipment": r.equipment,
        "who_may_book": r.who_may_book, "active": r.active})


class BookingRow(Schema):
    id: int
    room: Ref
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    purpose: str
    status: str
    booked_by: str
    member: Ref | None
    activity_id: int | None


class BookingFilters(Schema):
    which: Literal["mine", "pending"] = Field("mine", description="mine 本人的预约 / pending 待审批（工作人员）")


@router.get("/bookings", response={200: Paged[BookingRow], **LIST_ERRORS}, summary="活动室预约")
def booking_list(request, filters: Query[BookingFilters], paging: Query[PageParams]):
    """The user's own bookings still to come, or (staff of the home) the requests still to decide."""
    user = request.auth
    committee = _committee(user)
    if filters.which == "pending":
        if not rooms_selectors.may_manage(user, committee):
            raise PermissionDenied(_("Only staff of the party members' home may do this."))
        qs = rooms_selectors.pending(committee)
    else:
        qs = rooms_selectors.my_bookings(user, committee)
    return paged(request, qs, paging, row=lambda b: {
        "id": b.pk, "room": {"id": b.room_id, "name": b.room.name}, "starts_at": b.starts_at, "ends_at": b.ends_at,
        "purpose": b.purpose, "status": b.status, "booked_by": b.booked_by.display_name or b.booked_by.username,
        "member": {"id": b.member_id, "name": b.member.name} if b.member_id else None, "activity_id": b.activity_id})


class GroupRow(Schema):
    id: int
    name: str
    description: str
    leader: Ref | None
    members: int = Field(description="现有成员数")


@router.get("/groups", response={200: Paged[GroupRow], **LIST_ERRORS}, summary="兴趣小组")
def group_list(request, paging: Query[PageParams]):
    user = request.auth
    if not groups_selectors.visible_committee_ids(user):
        raise PermissionDenied(_("Your role does not give access to the interest groups."))
    qs = groups_selectors.groups_for(user).order_by("name", "id")
    return paged(request, qs, paging, row=lambda g: {
        "id": g.pk, "name": g.name, "description": g.description,
        "leader": {"id": g.leader_id, "name": g.leader.name} if g.leader_id else None, "members": g.current})


class TalkRow(Schema):
    id: int
    held_on: datetime.date
    kind: str
    place: str
    members: list[Ref] = Field(description="谈话对象（仅本人可见范围内的党员）")
    members_total: int
    talkers: list[str]
    follow_up_on: datetime.date | None
    follow_up_done_on: datetime.date | None
    content_readable: bool = Field(description="本人可否在页面上阅读谈话内容（内容不经 API 提供）")


class TalkFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    kind: Literal[("", *TalkKind.values)] = ""


def _talks_committee(user):
    """The talks pages' rule (talks_views._committee)."""
    committee = home_committee(user)
    if not talks_selectors.may_use_talks(user, committee):
        committee = talks_selectors.reader_committee(user)
        if not talks_selectors.may_use_talks(user, committee):
            raise PermissionDenied(_("Your role does not give access to heart-to-heart talks."))
    return committee


@router.get("/talks", response={200: Paged[TalkRow], **LIST_ERRORS}, summary="谈心谈话记录（不含内容）")
def talk_list(request, filters: Query[TalkFilters], paging: Query[PageParams]):
    """The talks of a year the user sees took place, newest first: with whom (of the members they may see), by
    whom, the follow-up. The content stays on the pages, shown only by the talks module's own rule."""
    user = request.auth
    committee = _talks_committee(user)
    year = filters.year or timezone.localdate().year
    qs = talks_selectors.visible_talks(user, committee=committee).filter(held_on__year=year)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    result = paged(request, talks_selectors.with_people(qs, user), paging)
    talks = result["results"]
    readable = talks_selectors.readable_ids(user, talks)
    result["results"] = [{
        "id": t.pk, "held_on": t.held_on, "kind": t.kind, "place": t.place,
        "members": [{"id": m.pk, "name": m.name} for m in t.visible_members], "members_total": t.members_n,
        "talkers": [u.display_name or u.username for u in t.talkers.all()],
        "follow_up_on": t.follow_up_on, "follow_up_done_on": t.follow_up_done_on, "content_readable": t.pk in readable,
    } for t in talks]
    return result
