"""One random step of a member's flow history, through the real services: the property tests over random
histories (the roster projection, the activity tallies and their stored months) drive their members with it."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from taizhang.members import flow
from taizhang.members.models import EventKind, FlowEvent, LostContactCause
from taizhang.members.services import flow_correct_latest, flow_record_event

CORRECT = "correct"
REASONS = {EventKind.TRANSFERRED_OUT: "组织关系转出", EventKind.SUSPENDED: "停止党籍", EventKind.DECEASED: "病故"}


def apply_random_event(*, admin, member, choice: int, gap: int, branch_index: int, branches, founded: datetime.date):
    """Record one of the events allowed for ``member`` now (``choice`` picks it; or a correction of the latest),
    ``gap`` days after their latest event (never after today); a move goes to ``branches[branch_index]`` (or the
    next one when that is the member's own). A refused event (e.g. a day before the latest event after a
    correction) leaves the history as it was."""
    today = timezone.localdate()
    latest = FlowEvent.objects.effective().filter(member=member).order_by("-effective_date", "-id").first()
    status = latest.status_after if latest else flow.NOT_REGISTERED
    member.refresh_from_db()
    kinds = [k for k in flow.allowed_kinds(status, member.membership_type) if k != EventKind.PROBATION_COMPLETED]
    options = kinds + ([CORRECT] if latest else [])
    if not options:
        return
    kind = options[choice % len(options)]
    if kind == CORRECT:
        flow_correct_latest(actor=admin, member=member, event=latest, reason="录入有误")
        return
    day = min((latest.effective_date if latest else founded) + datetime.timedelta(days=gap), today)
    to_branch = None
    if kind == EventKind.MOVED_BRANCH:
        to_branch = branches[branch_index]
        if to_branch.pk == member.branch_id:
            to_branch = branches[(branch_index + 1) % len(branches)]
    try:
        flow_record_event(actor=admin, member=member, kind=kind, effective_date=day, reason=REASONS.get(kind, ""),
                          to_branch=to_branch, lost_contact_cause=LostContactCause.RESIDENCE_CHANGED)
    except ValidationError:
        pass
