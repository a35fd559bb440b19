"""Writing the audit log. Call ``audit_log`` inside the same transaction as the change it records."""

import datetime
import decimal

from taizhang.core.models import AuditEntry


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def audit_log(
    *,
    actor,
    action: str,
    obj=None,
    old=None,
    new=None,
    success: bool = True,
    message: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    ip_address: str | None = None,
    username: str = "",
) -> AuditEntry:
    """Append one entry. ``action`` is a dotted name such as ``member.update``."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=real_actor,
        actor_username=(real_actor.get_username() if real_actor else username)[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        old_values=jsonable(old or {}),
        new_values=jsonable(new or {}),
        success=success,
        message=str(message)[:500],
        ip_address=ip_address,
    )


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
