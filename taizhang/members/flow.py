"""The flow state machine: which event may follow which status, and what status results.

Pure functions over (status, event kind) so the rules are tested without a database.
"""

from django.utils.translation import gettext as _

from taizhang.members.models import ROSTER_STATUSES, EventKind, MembershipType, Status

S = Status
K = EventKind
ON_ROSTER = set(ROSTER_STATUSES)
NOT_REGISTERED = ""

# kind -> (statuses it may follow, resulting status or None for "unchanged")
TRANSITIONS = {
    K.REGISTERED: ({NOT_REGISTERED, S.TRANSFERRED}, S.ACTIVE),
    K.REPORTED: ({S.AWAITING}, S.ACTIVE),
    K.MOVED_BRANCH: (ON_ROSTER, None),
    K.LEFT_BEIJING: ({S.ACTIVE, S.AWAITING}, S.OUTFLOW),
    K.RETURNED: ({S.OUTFLOW}, S.ACTIVE),
    K.TRANSFERRED_OUT: (ON_ROSTER, S.TRANSFERRED),
    K.LOST_CONTACT: ({S.ACTIVE, S.OUTFLOW, S.AWAITING}, S.LOST),
    K.CONTACT_RESTORED: ({S.LOST}, S.ACTIVE),
    K.CONTACTED: ({S.ACTIVE, S.OUTFLOW, S.AWAITING}, None),
    K.SUSPENDED: ({S.ACTIVE, S.OUTFLOW, S.LOST, S.AWAITING}, S.SUSPENDED),
    K.RESTORED: ({S.SUSPENDED}, S.ACTIVE),
    K.PROBATION_COMPLETED: (ON_ROSTER - {S.SUSPENDED}, None),
    K.DECEASED: (ON_ROSTER | {S.TRANSFERRED}, S.DECEASED),
}

# Events that count as contact with the organisation (they move the last-contact date).
CONTACT_KINDS = {K.REGISTERED, K.REPORTED, K.RETURNED, K.CONTACT_RESTORED, K.CONTACTED, K.RESTORED}


def refusal(status: str, kind: str, membership_type: str | None = None) -> str | None:
    """Why ``kind`` may not follow ``status`` (a Chinese message), or None when it may."""
    if status == S.DECEASED:
        return _("This member is recorded as deceased; no further events can be recorded.")
    if kind == K.PROBATION_COMPLETED and membership_type == MembershipType.FULL:
        return _("This member is already a full member.")
    allowed, _result = TRANSITIONS[kind]
    if status in allowed:
        return None
    specific = {
        (K.LEFT_BEIJING, S.OUTFLOW): _("This member already has an open outflow; record the return first."),
        (K.RETURNED, S.ACTIVE): _("This member has not left Beijing, so there is nothing to return from."),
        (K.RETURNED, S.AWAITING): _("This member has not left Beijing, so there is nothing to return from."),
        (K.REGISTERED, S.ACTIVE): _("This member is already registered in Beijing."),
        (K.CONTACT_RESTORED, S.ACTIVE): _("This member is not marked as lost contact."),
        (K.LOST_CONTACT, S.LOST): _("This member is already marked as lost contact."),
        (K.RESTORED, S.ACTIVE): _("This member's membership is not suspended."),
        (K.SUSPENDED, S.SUSPENDED): _("This member's membership is already suspended."),
        (K.REPORTED, S.ACTIVE): _("This member has already reported to the branch."),
    }.get((kind, status))
    if specific:
        return specific
    if status == NOT_REGISTERED:
        return _("This member is not registered in Beijing; register the inflow first.")
    if status == S.TRANSFERRED:
        return _("This member has been transferred out; register a new inflow first.")
    return _("“%(event)s” cannot be recorded while the member's status is “%(status)s”.") % {
        "event": K(kind).label,
        "status": S(status).label,
    }


def status_after(status: str, kind: str) -> str:
    result = TRANSITIONS[kind][1]
    return status if result is None else result


def allowed_kinds(status: str, membership_type: str | None = None) -> list:
    """The events that may be recorded next, in menu order."""
    return [kind for kind in TRANSITIONS if refusal(status, kind, membership_type) is None]
