"""The audit log's hash chain: evidence that survives someone with the database's superuser rights.

Every entry stores its position ``seq`` in one chain, ``prev_hash`` (the hash of the entry before it)
and ``entry_hash`` = HMAC-SM3(chain key, prev_hash ‖ the entry's content). The chain key is derived
from ``TAIZHANG_HASH_KEY``, which lives outside the database: whoever deletes, edits or inserts a
row with raw SQL (triggers dropped) cannot recompute the hashes after it, and ``verify_audit_log``
reports the first entry where the chain breaks.

**One global chain, not one per committee.** Many entries belong to no committee (logins, failed
logins, access denials, the three admin posts' work, operator commands such as purges and backups),
and those are the ones an assessor asks about first; one chain also proves the order of entries
across committees, and that no committee's entries vanished as a whole (separate chains would each
need an anchor of their own). The price is one lock: every transaction that writes the log takes
the chain head's row lock (``AuditChain``, id 1) for its remaining life. Services write their audit
entry at the end of their work, so the lock is held for milliseconds; imports write their entries
in one bulk call (``audit_log_many``).

**Concurrent writers never fork the chain.** The first statement is an ``UPDATE … RETURNING`` on the
head row: on PostgreSQL it takes the row lock (a second transaction waits until the first commits,
then reads the committed head); on SQLite writes are serialised anyway (``BEGIN IMMEDIATE``). The
entries and the new head are written in the same transaction, so a rolled-back transaction leaves
neither a gap nor a hash behind.

**Retention.** ``purge_audit_log`` deletes a prefix of the chain and records where it cut
(``base_seq``/``base_hash`` on the head and ``cut_after_seq``/``cut_hash`` in its own chained
``audit.purge`` entry), so the remaining chain still verifies and a silent cut does not.

What the chain cannot show on its own: that the newest entries were removed *and* the head row
rewritten to match. ``verify_audit_log`` prints the head hash; keep that line outside the database
(cron mail, syslog, the backup manifest) to close that gap too.
"""

import datetime
import ipaddress
import json
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import connection, transaction

CHAIN_ID = 1
ALGORITHM = "v1"  # HMAC-SM3 over the canonical JSON below; change both together


@lru_cache(maxsize=4)
def _chain_key(hash_key_hex: str) -> bytes:
    mac = hmac.HMAC(bytes.fromhex(hash_key_hex), hashes.SM3())
    mac.update(b"taizhang audit chain " + ALGORITHM.encode())
    return mac.finalize()


def chain_key() -> bytes:
    return _chain_key(settings.FIELD_HASH_KEY)


def _number(value):
    # PostgreSQL's jsonb gives back 1e20 as an integer and 1.0 as 1.0; hash one spelling for both.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def _normalised(value):
    if isinstance(value, dict):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(v) for v in value]
    return _number(value)


def _ip(value) -> str:
    if not value:
        return ""
    try:
        return ipaddress.ip_address(value).packed.hex()
    except ValueError:
        return str(value)


def _time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(*, seq, timestamp, actor_id, actor_username, action, object_type, object_id, object_repr,
            old_values, new_values, success, message, ip_address) -> bytes:
    """The bytes an entry's hash covers: every column except the id and the hashes themselves."""
    return json.dumps(
        [seq, _time(timestamp), actor_id, actor_username, action, object_type, str(object_id), object_repr,
         _normalised(old_values), _normalised(new_values), bool(success), message, _ip(ip_address)],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    ).encode("utf-8")


def entry_hash(prev_hash: str, data: bytes, key: bytes | None = None) -> str:
    mac = hmac.HMAC(key or chain_key(), hashes.SM3())
    mac.update(prev_hash.encode("ascii") + b"\n" + data)
    return mac.finalize().hex()


def hash_of(entry, prev_hash: str, key: bytes | None = None) -> str:
    """The hash ``entry`` (an AuditEntry, saved or not) must carry after ``prev_hash``."""
    return entry_hash(prev_hash, content(
        seq=entry.seq, timestamp=entry.timestamp, actor_id=entry.actor_id, actor_username=entry.actor_username,
        action=entry.action, object_type=entry.object_type, object_id=entry.object_id,
        object_repr=entry.object_repr, old_values=entry.old_values, new_values=entry.new_values,
        success=entry.success, message=entry.message, ip_address=entry.ip_address,
    ), key)


# --- the head row -----------------------------------------------------------------------------------


def _table() -> str:
    from taizhang.core.models import AuditChain

    return connection.ops.quote_name(AuditChain._meta.db_table)


def reserve(count: int) -> tuple[int, str]:
    """Lock the chain head and reserve ``count`` positions. Returns (first seq, hash before it).

    Must run inside the transaction that writes the entries (``audit_log_many`` opens one).

    The hash to chain to is kept in the locked row itself (``head_hash``, moved by ``set_head``): on
    PostgreSQL a waiting UPDATE re-reads the row's committed version, whereas a sub-query for the newest
    entry would still read the statement's old snapshot and fork the chain
    (test_parallel_writers_never_fork_the_chain)."""
    from taizhang.core.models import AuditChain

    if not connection.in_atomic_block:
        raise RuntimeError("the audit chain is written inside a transaction only")
    sql = f"UPDATE {_table()} SET seq = seq + %s WHERE id = %s RETURNING seq, head_hash"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, CHAIN_ID])
        row = cursor.fetchone()
        if row is None:  # a new or flushed database: start the chain (two first writers: one insert wins)
            AuditChain.objects.bulk_create([AuditChain(id=CHAIN_ID)], ignore_conflicts=True)
            cursor.execute(sql, [count, CHAIN_ID])
            row = cursor.fetchone()
    last_seq, head_hash = row
    return last_seq - count + 1, head_hash


def set_head(head_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET head_hash = %s WHERE id = %s", [head_hash, CHAIN_ID])


def lock_head():
    """Lock the head row without reserving anything; returns it (for the purge)."""
    from taizhang.core.models import AuditChain

    reserve(0)
    return AuditChain.objects.get(pk=CHAIN_ID)


def set_base(base_seq: int, base_hash: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET base_seq = %s, base_hash = %s WHERE id = %s",
                       [base_seq, base_hash, CHAIN_ID])


def chain(entries, *, keep_time: bool = False) -> None:
    """Give unsaved entries their time, position and hashes, in order, under the head's lock; move the
    head past them. The caller inserts them in the same transaction."""
    from django.utils import timezone

    first, prev = reserve(len(entries))
    key = chain_key()
    now = timezone.now()
    for offset, entry in enumerate(entries):
        if not keep_time:  # buffered entries (audit_buffered) keep the time they were made
            entry.timestamp = now
        entry.seq = first + offset
        entry.prev_hash = prev
        entry.entry_hash = prev = hash_of(entry, prev, key)
    set_head(prev)


# --- verification -------------------------------------------------------------------------------------


@dataclass
class Verdict:
    entries: int
    ok: bool
    broken_at: int | None = None  # the id of the first entry that does not fit
    reason: str = ""
    head_seq: int = 0
    head_hash: str = ""

    def as_dict(self) -> dict:
        result = {"entries": self.entries, "ok": self.ok}
        if self.ok:
            result |= {"head_seq": self.head_seq, "head_hash": self.head_hash}
        else:
            result |= {"broken_at": self.broken_at, "reason": self.reason}
        return result


FIELDS = ["id", "seq", "timestamp", "actor_id", "actor_username", "action", "object_type", "object_id",
          "object_repr", "old_values", "new_values", "success", "message", "ip_address", "prev_hash", "entry_hash"]


def verify(chunk_size: int = 2000) -> Verdict:
    """Walk the whole chain in order (streaming: constant memory) and say where it first breaks."""
    from django.utils.translation import gettext as _

    from taizhang.core.models import AuditChain, AuditEntry

    postgresql, outer = connection.vendor == "postgresql", connection.in_atomic_block
    with transaction.atomic() if postgresql else nullcontext():
        if postgresql and not outer:  # the head and the entries from one snapshot
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = AuditChain.objects.filter(pk=CHAIN_ID).first() or AuditChain(id=CHAIN_ID)
        key = chain_key()
        expected_seq, expected_prev = head.base_seq + 1, head.base_hash
        count, last_id, last_cut = 0, None, None
        # Entries after the head read are not looked at: they were committed after it (on SQLite there is
        # no snapshot; the head and its entries are always committed together).
        rows = AuditEntry.objects.filter(seq__lte=head.seq).order_by("seq").values_list(*FIELDS).iterator(chunk_size=chunk_size)
        for values in rows:
            row = dict(zip(FIELDS, values, strict=True))
            entry_id = row["id"]
            if row["seq"] != expected_seq:
                reason = (_("Entries are missing before this one (position %(seq)d, expected %(expected)d).")
                          if row["seq"] > expected_seq else
                          _("This entry's position %(seq)d comes before the chain's start %(expected)d."))
                return Verdict(count, False, entry_id, reason % {"seq": row["seq"], "expected": expected_seq})
            if row["prev_hash"] != expected_prev:
                return Verdict(count, False, entry_id,
                               _("This entry does not follow the one before it (the previous entry was changed, "
                                 "removed or replaced)."))
            computed = entry_hash(expected_prev, content(**{k: row[k] for k in FIELDS[1:-2]}), key)
            if computed != row["entry_hash"]:
                return Verdict(count, False, entry_id, _("This entry was changed after it was written."))
            if row["action"] == "audit.purge" and "cut_after_seq" in row["new_values"]:
                last_cut = row["new_values"]
            count += 1
            last_id = entry_id
            expected_seq, expected_prev = expected_seq + 1, computed
        if expected_seq - 1 != head.seq or expected_prev != head.head_hash:
            return Verdict(count, False, last_id,
                           _("The newest entries are missing: the chain ends at position %(seq)d but its head "
                             "says %(head)d.") % {"seq": expected_seq - 1, "head": head.seq})
        recorded = (last_cut["cut_after_seq"], last_cut["cut_hash"]) if last_cut else (0, "")
        if (head.base_seq, head.base_hash) != tuple(recorded):
            first = AuditEntry.objects.order_by("seq").values_list("id", flat=True).first()
            return Verdict(count, False, first,
                           _("The oldest entries were removed without a recorded purge (the chain starts after "
                             "position %(seq)d).") % {"seq": head.base_seq})
    return Verdict(count, True, head_seq=head.seq, head_hash=head.head_hash)


def chain_existing_rows(apps, schema_editor) -> None:
    """Migration helper: chain the rows written before the chain existed, in the order they were written."""
    AuditEntry = apps.get_model("core", "AuditEntry")
    AuditChain = apps.get_model("core", "AuditChain")
    conn = schema_editor.connection
    table = conn.ops.quote_name(AuditEntry._meta.db_table)
    key = chain_key()
    prev, seq, batch = "", 0, []

    def flush():
        with conn.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET seq = %s, prev_hash = %s, entry_hash = %s WHERE id = %s", batch)
        batch.clear()

    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        entry.seq = seq
        digest = hash_of(entry, prev, key)
        batch.append((seq, prev, digest, entry.pk))
        prev = digest
        if len(batch) >= 2000:
            flush()
    if batch:
        flush()
    AuditChain.objects.update_or_create(id=CHAIN_ID, defaults={"seq": seq, "head_hash": prev,
                                                               "base_seq": 0, "base_hash": ""})
