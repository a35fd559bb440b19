"""A member's flow history and the flow events, through the page's form (``FlowEventForm``), state machine
(``members.flow``) and services (``flow_record_event``, ``flow_correct_latest``): the same checks and the
same Chinese messages. An event the member's status does not allow is a 409 with the state machine's
message; other refusals (a date before the latest event, a missing reason …) are a 400 naming the field."""

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as Created

from taizhang.api.auth import require_write
from taizhang.api.errors import Conflict
from taizhang.api.forms import form_data, raise_form_errors
from taizhang.api.routers.members import require_ledger, status_label
from taizhang.api.schemas import READ_ERRORS, WRITE_ERRORS, Day, IdPath, Int, Pk, Ref
from taizhang.core.permissions import EDIT, allows
from taizhang.members import flow, selectors, services, visibility
from taizhang.members.forms import CorrectionForm, FlowEventForm
from taizhang.members.models import EventKind, Status

router = Router(tags=["flow"])

RECORDABLE = [kind for kind in EventKind.values if kind != EventKind.CORRECTION]


class Event(Schema):
    id: int
    kind: str
    kind_label: str
    effective_date: datetime.date
    recorded_at: datetime.datetime
    recorded_by: str
    reason: str
    lost_contact_cause: int | None = None
    status_after: str
    status_after_label: str
    branch_after: Ref
    from_branch: Ref | None = None
    corrects: int | None = Field(None, description="更正所作废的事件")
    voided: bool = Field(description="已被更正作废")


class History(Schema):
    member: int
    status: str
    status_label: str
    standing: str = Field(description="党籍状态")
    allowed_kinds: list[str] = Field(description="现在可以登记的事件（有修改权限时）")
    events: list[Event]


def event_data(event) -> dict:
    return {
        "id": event.pk, "kind": event.kind, "kind_label": str(EventKind(event.kind).label),
        "effective_date": event.effective_date, "recorded_at": event.recorded_at,
        "recorded_by": str(event.recorded_by) if event.recorded_by_id else "", "reason": event.reason,
        "lost_contact_cause": event.lost_contact_cause, "status_after": event.status_after,
        "status_after_label": str(Status(event.status_after).label) if event.status_after else "",
        "branch_after": {"id": event.branch_after_id, "name": event.branch_after.name},
        "from_branch": {"id": event.from_branch_id, "name": event.from_branch.name} if event.from_branch_id else None,
        "corrects": event.corrects_id, "voided": getattr(event, "is_voided", False),
    }


def _history(user, member) -> dict:
    timeline = selectors.member_timeline(member)
    editable = allows(user, EDIT, committee_id=member.committee_id, branch_id=member.branch_id,
                      member_user_id=member.user_id)
    return {
        "member": member.pk, "status": member.status or "", "status_label": status_label(member),
        "standing": str(selectors.party_standing(timeline)),
        "allowed_kinds": [str(k) for k in flow.allowed_kinds(member.status, member.membership_type)] if editable else [],
        "events": [event_data(e) for e in timeline],
    }


@router.get("/{int:member_id}/events", response={200: History, **READ_ERRORS}, summary="党员的流动记录")
def member_events(request, member_id: int = IdPath()):
    """The member's flow history, newest first, with what each correction voided (the member page's
    timeline; a role without the record's details — the study role — may not read it: 403)."""
    user = request.auth
    require_ledger(user)
    member = selectors.member_get(user, member_id, request=request)
    if not visibility.member_sections(user, member).flow:
        raise PermissionDenied(_("Your role does not show the flow history."))
    return _history(user, member)


class EventIn(Schema):
    kind: Literal[*RECORDABLE] = Field(description="left_beijing 流出、returned 返回、transferred_out 转出、"
                                                   "lost_contact 失联、contact_restored 恢复联系、registered 流入 …")
    effective_date: Day
    reason: str = Field("", max_length=500)
    lost_contact_cause: Int(1, 7) | None = Field(None, description="失联原因代码（仅 lost_contact）")
    to_branch: Pk | None = Field(None, description="调入支部（仅 moved_branch）")


@router.post("/{int:member_id}/events", response={201: History, **WRITE_ERRORS}, summary="登记流动事件")
def event_record(request, payload: EventIn, member_id: int = IdPath()):
    """Record a flow event (outflow, return, transfer, lost contact …) as the member page does."""
    user = request.auth
    require_write(request)
    require_ledger(user)
    member = selectors.member_get(user, member_id, EDIT, request=request)
    why = flow.refusal(member.status, payload.kind, member.membership_type)
    if why:
        raise Conflict(why, errors=[{"field": "kind", "message": why}])
    form = FlowEventForm(form_data(payload.dict() | {"confirm": True}), kind=payload.kind, member=member)
    if not form.is_valid():
        raise_form_errors(form)
    services.flow_record_event(
        actor=user, member=member, kind=payload.kind, effective_date=form.cleaned_data["effective_date"],
        reason=form.cleaned_data.get("reason", ""), lost_contact_cause=form.cleaned_data.get("lost_contact_cause"),
        to_branch=form.cleaned_data.get("to_branch"),
    )
    return Created(201, _history(user, selectors.member_get(user, member.pk)))


class CorrectionIn(Schema):
    reason: str = Field(max_length=500, description="原记录错在哪里")


@router.post("/{int:member_id}/events/{int:event_id}/correct", response={201: History, **WRITE_ERRORS},
             summary="更正（作废）最近一条事件")
def event_correct(request, payload: CorrectionIn, member_id: int = IdPath(), event_id: int = IdPath()):
    """Void the member's latest event with a correction; the status reverts to before it."""
    user = request.auth
    require_write(request)
    require_ledger(user)
    member = selectors.member_get(user, member_id, EDIT, request=request)
    event = get_object_or_404(member.events, pk=event_id)
    form = CorrectionForm(form_data(payload.dict() | {"confirm": True}))
    if not form.is_valid():
        raise_form_errors(form)
    services.flow_correct_latest(actor=user, member=member, event=event, reason=form.cleaned_data["reason"])
    return Created(201, _history(user, selectors.member_get(user, member.pk)))
