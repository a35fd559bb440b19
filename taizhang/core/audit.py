"""Writing the audit log. Call ``audit_log`` inside the same transaction as the change it records."""

import datetime
import decimal
import ipaddress

from django.conf import settings

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
    """The client's address for the audit log.

    Behind ``TRUSTED_PROXIES`` reverse proxies (production: nginx, 1) REMOTE_ADDR is the proxy's own
    address; the client's is the entry the nearest trusted proxy appended to X-Forwarded-For — counted from
    the right, so an entry the client wrote itself is never taken. Anything that is not an IP address falls
    back to REMOTE_ADDR.
    """
    if request is None:
        return None
    hops = settings.TRUSTED_PROXIES
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")
