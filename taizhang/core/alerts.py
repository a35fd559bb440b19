"""Security alerts for the security and audit administrators (三员): raising, reading, marking read.

An alert is raised where a rule of the security policy is hit (today: ``members.services.member_reveal``
when one user reveals more full numbers in a window than ``TAIZHANG_REVEAL_LIMIT``). Each alert is also
written to the audit log (``security.alert``). Who sees an alert: the holders of ``security.alerts``
(security and audit administrators) of the alert's committee; each has their own unread count.
"""

from django.db import transaction

from taizhang.core.audit import audit_log
from taizhang.core.models import SecurityAlert, SecurityAlertRead
from taizhang.core.permissions import capability_committee_ids


@transaction.atomic
def security_alert_raise(*, actor, kind: str, committee_id, message: str, details: dict | None = None,
                         ip_address=None) -> SecurityAlert:
    """Record an alert about ``actor`` (the user whose behaviour raised it) and audit it."""
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    alert = SecurityAlert.objects.create(
        kind=kind,
        committee_id=committee_id,
        actor=real_actor,
        actor_username=real_actor.get_username() if real_actor else "",
        message=message[:500],
        details=details or {},
    )
    audit_log(actor=actor, action="security.alert", obj=alert, new={"kind": kind, **(details or {})},
              message=message, ip_address=ip_address)
    return alert


def alert_queryset(user):
    """The alerts ``user`` may see (their committees' alerts), newest first."""
    committees = capability_committee_ids(user, "security.alerts")
    if not committees:
        return SecurityAlert.objects.none()
    return SecurityAlert.objects.filter(committee_id__in=committees).select_related("actor")


def unread_count(user) -> int:
    return alert_queryset(user).exclude(reads__user=user).count()


@transaction.atomic
def security_alerts_mark_read(*, actor, alerts) -> int:
    """Mark the given alerts read for ``actor`` (only those they may see); returns how many were new."""
    ids = set(alert_queryset(actor).filter(pk__in=[a.pk for a in alerts]).exclude(reads__user=actor)
              .values_list("pk", flat=True))
    SecurityAlertRead.objects.bulk_create([SecurityAlertRead(alert_id=pk, user=actor) for pk in ids],
                                          ignore_conflicts=True)
    return len(ids)
