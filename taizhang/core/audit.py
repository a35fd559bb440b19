"""Writing the audit log. Call ``audit_log`` inside the same transaction as the change it records.

Entries are hash-chained (taizhang/core/auditchain.py): ``audit_log`` and ``audit_log_many`` are the
only ways to write one. Bulk writers (imports, the demo loads) build unsaved entries with
``audit_entry`` and append them with one ``audit_log_many`` call.
"""

import contextvars
import datetime
import decimal
import ipaddress
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

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


# How the request that writes the entry came in, when not through the pages: the API sets it for the
# request's duration (``audit_via``) — e.g. "API 令牌 abcd1234" — and every entry written meanwhile says so in
# its message, whichever service writes it.
_via = contextvars.ContextVar("taizhang_audit_via", default="")


@contextmanager
def audit_via(label: str):
    """Within the block every audit entry's message names ``label`` as the channel (see ``_via``)."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)


def set_audit_via(label: str) -> None:
    """Name the channel for the rest of the current ``audit_via`` block (once the request's token is known)."""
    _via.set(label)


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
    via = _via.get()
    if via:
        message = f"[{via}] {message}" if message else f"[{via}]"
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
    pending = getattr(_buffer, "entries", None)
    if pending is not None:  # inside audit_buffered(): keep them in order with the others
        if insert is None:
            now = timezone.now()
            for entry in entries:
                entry.timestamp = now
            pending.extend(entries)
            if len(pending) >= BUFFER_LIMIT:
                _flush(pending)
            return entries
        _flush(pending)
    with transaction.atomic(savepoint=False):
        auditchain.chain(entries)
        if insert is not None:
            insert(entries)
        else:
            AuditEntry.objects.bulk_create(entries, batch_size=500)
    return entries


_buffer = threading.local()
BUFFER_LIMIT = 5000


def audit_log(**kwargs) -> AuditEntry:
    """Append one entry. ``action`` is a dotted name such as ``member.update`` (see ``actions.py``);
    the keyword arguments are those of ``audit_entry``. Inside ``audit_buffered()`` the entry is kept
    (with its time) and written with the others at the end of the block."""
    entry = audit_entry(**kwargs)
    pending = getattr(_buffer, "entries", None)
    if pending is not None:
        entry.timestamp = timezone.now()
        pending.append(entry)
        if len(pending) >= BUFFER_LIMIT:
            _flush(pending)
        return entry
    return audit_log_many([entry])[0]


def _flush(pending) -> None:
    entries = list(pending)
    pending.clear()
    if entries:
        with transaction.atomic(savepoint=False):
            auditchain.chain(entries, keep_time=True)
            AuditEntry.objects.bulk_create(entries, batch_size=500)


@contextmanager
def audit_buffered():
    """Bulk path for loaders that call many services in one transaction (the demo loads): every
    ``audit_log`` inside the block is written in a few chained bulk inserts instead of one by one.
    Use it only inside the caller's transaction (the entries are written before it commits; an
    exception discards them with everything else), only where nothing reads the log back meanwhile,
    and only where no savepoint inside the block is rolled back after logging (its entries would stay)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_buffered() is used inside a transaction only")
    if getattr(_buffer, "entries", None) is not None:  # nested: the outer block writes
        yield
        return
    _buffer.entries = []
    try:
        yield
        _flush(_buffer.entries)
    finally:
        _buffer.entries = None


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
