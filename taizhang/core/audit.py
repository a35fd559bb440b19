"""Writing the audit log. Call ``audit_log`` inside the same transaction as the change it records.

Entries are hash-chained (taizhang/core/auditchain.py): ``audit_log`` and ``audit_log_many`` are the
only ways to write one. Bulk writers (imports, the demo loads) build unsaved entries with
``audit_entry`` and append them with one ``audit_log_many`` call.
"""

import datetime
import decimal

from django.db import transaction

from taizhang.core import auditchain
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


def audit_entry(
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
    """An unsaved entry, exactly as ``audit_log`` writes it (append it with ``audit_log_many``)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    real_actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
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
        ip_address=ip_address or None,
    )


def audit_log_many(entries, *, insert=None) -> list[AuditEntry]:
    """Append unsaved entries, in order, to the chain in one step (one lock, one bulk insert).

    ``insert`` (optional) writes the prepared objects, e.g. a COPY-based fast path; by default
    ``bulk_create``. Joins the caller's transaction, or opens one.
    """
    entries = list(entries)
    if not entries:
        return entries
    with transaction.atomic(savepoint=False):
        auditchain.chain(entries)
        if insert is not None:
            insert(entries)
        else:
            AuditEntry.objects.bulk_create(entries, batch_size=500)
    return entries


def audit_log(**kwargs) -> AuditEntry:
    """Append one entry. ``action`` is a dotted name such as ``member.update`` (see ``actions.py``);
    the keyword arguments are those of ``audit_entry``."""
    return audit_log_many([audit_entry(**kwargs)])[0]


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
