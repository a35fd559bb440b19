"""The audit log is hash-chained: a deleted, altered or forged row breaks the chain even when the
append-only triggers are bypassed, ``verify_audit_log`` says where, and the purge keeps it verifiable."""

import datetime
import importlib
import json
import threading
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from taizhang.core import auditchain
from taizhang.core.audit import audit_entry, audit_log, audit_log_many
from taizhang.core.maintenance import maintenance_mode
from taizhang.core.models import AuditChain, AuditEntry

triggers = importlib.import_module("taizhang.core.migrations.0002_append_only_triggers")


def verify_json():
    out = StringIO()
    try:
        call_command("verify_audit_log", "--format", "json", stdout=out)
    except CommandError as exc:
        return json.loads(out.getvalue()), exc
    return json.loads(out.getvalue()), None


def write(n, prefix="test"):
    return [audit_log(actor=None, username="someone", action=f"{prefix}.{i}", new={"i": i, "x": 1.5, "ok": True},
                      ip_address="192.0.2.7") for i in range(n)]


def bypass_triggers():
    """What an attacker with superuser rights does first (undone by the test's rollback)."""
    for sql in triggers.drop_statements(connection.vendor, "core_auditentry"):
        raw(sql)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_entries_carry_their_position_and_hashes_and_the_chain_verifies():
    entries = write(5)
    seqs = [e.seq for e in AuditEntry.objects.order_by("seq")]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    stored = list(AuditEntry.objects.order_by("seq"))
    for before, after in zip(stored, stored[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    assert AuditChain.objects.get().head_hash == entries[-1].entry_hash
    result, error = verify_json()
    assert error is None
    assert result["ok"] is True and result["entries"] == AuditEntry.objects.count()
    assert result["head_hash"] == entries[-1].entry_hash


@pytest.mark.django_db
def test_an_entry_altered_behind_the_triggers_breaks_the_chain_there():
    entries = write(4)
    bypass_triggers()
    raw("UPDATE core_auditentry SET new_values = %s WHERE id = %s", [json.dumps({"i": 99}), entries[2].pk])
    result, error = verify_json()
    assert result == {"entries": AuditEntry.objects.filter(seq__lt=entries[2].seq).count(), "ok": False,
                      "broken_at": entries[2].pk, "reason": result["reason"]}
    assert error is not None and error.returncode == 1
    assert str(entries[2].pk) in str(error)


@pytest.mark.django_db
def test_an_entry_whose_hash_is_recomputed_without_the_key_still_breaks_the_chain():
    entries = write(3)
    bypass_triggers()
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.action = "test.forged"
    wrong_key = b"\x00" * 32
    raw("UPDATE core_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
        ["test.forged", auditchain.hash_of(forged, forged.prev_hash, wrong_key), forged.pk])
    result, _error = verify_json()
    assert result["ok"] is False and result["broken_at"] == entries[1].pk


@pytest.mark.django_db
def test_a_deleted_entry_breaks_the_chain_at_the_next_one():
    entries = write(4)
    with maintenance_mode():  # the only door: even an operator's raw DELETE is seen
        raw("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    result, error = verify_json()
    assert result["ok"] is False and result["broken_at"] == entries[2].pk
    assert error.returncode == 1


@pytest.mark.django_db
def test_deleting_the_newest_entries_is_seen_against_the_chain_head():
    entries = write(3)
    with maintenance_mode():
        raw("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
    result, _error = verify_json()
    assert result["ok"] is False and result["broken_at"] == entries[-2].pk


@pytest.mark.django_db
def test_removing_the_oldest_entries_without_a_purge_is_seen_even_with_the_head_moved():
    entries = write(3)
    with maintenance_mode():
        raw("DELETE FROM core_auditentry WHERE seq <= %s", [entries[0].seq])
    AuditChain.objects.filter(pk=1).update(base_seq=entries[0].seq, base_hash=entries[0].entry_hash)
    result, _error = verify_json()
    assert result["ok"] is False


@pytest.mark.django_db
def test_bulk_writes_are_chained_in_order_between_single_ones():
    first = audit_log(actor=None, username="a", action="test.one")
    many = audit_log_many([audit_entry(actor=None, username="b", action="test.bulk", new={"n": n}) for n in range(250)])
    last = audit_log(actor=None, username="c", action="test.two")
    assert [e.seq for e in many] == list(range(first.seq + 1, first.seq + 251))
    assert many[0].prev_hash == first.entry_hash and last.prev_hash == many[-1].entry_hash
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_gap():
    write(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        write(3, "test.rolled_back")
        raise RuntimeError
    write(1, "test.after")
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db
def test_verify_streams_the_chain_in_small_chunks():
    write(7)
    verdict = auditchain.verify(chunk_size=2)
    assert verdict.ok and verdict.entries == AuditEntry.objects.count()


def _written_days_ago(days, action):
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - datetime.timedelta(days=days)):
        return audit_log(actor=None, username="someone", action=action)


@pytest.mark.django_db
def test_after_a_purge_the_chain_still_verifies_and_the_purge_records_its_cut(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    old = [_written_days_ago(400, f"test.old{i}") for i in range(3)]
    kept = _written_days_ago(10, "test.kept")
    call_command("purge_audit_log", stdout=StringIO())
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    purge = AuditEntry.objects.get(action="audit.purge")
    assert purge.new_values["deleted"] >= 3
    assert purge.new_values["cut_after_seq"] == kept.seq - 1 and purge.new_values["cut_hash"] == kept.prev_hash
    result, error = verify_json()
    assert error is None and result["ok"] is True
    # A second purge with nothing to delete keeps the chain's start.
    call_command("purge_audit_log", stdout=StringIO())
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db
def test_a_purge_of_everything_starts_the_chain_after_the_last_deleted_entry(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    with maintenance_mode():
        raw("DELETE FROM core_auditentry")
    AuditChain.objects.filter(pk=1).update(seq=0, head_hash="", base_seq=0, base_hash="")
    _written_days_ago(500, "test.ancient")
    call_command("purge_audit_log", stdout=StringIO())
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["audit.purge"]
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); the row lock is PostgreSQL's")
    errors = []

    def writer(n):
        try:
            for i in range(15):
                with transaction.atomic():
                    audit_log(actor=None, username=f"w{n}", action="test.parallel", new={"i": i})
                    audit_log_many([audit_entry(actor=None, username=f"w{n}", action="test.parallel.bulk")] * 1)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEntry.objects.count() == 6 * 15 * 2
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_rows_written_before_it():
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0002_append_only_triggers")])
    try:
        with connection.cursor() as cursor:
            for i in range(3):
                cursor.execute(
                    "INSERT INTO core_auditentry (timestamp, actor_username, action, object_type, object_id,"
                    " object_repr, old_values, new_values, success, message) VALUES (%s, 'x', %s, '', '', '',"
                    " '{}', %s, %s, '')", [timezone.now(), f"legacy.{i}", json.dumps({"i": i}), True])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert list(AuditEntry.objects.order_by("seq").values_list("action", "seq")) == [
        ("legacy.0", 1), ("legacy.1", 2), ("legacy.2", 3)]
    audit_log(actor=None, username="x", action="test.after_migration")
    assert verify_json()[0] == {"entries": 4, "ok": True, "head_seq": 4,
                                "head_hash": AuditEntry.objects.get(seq=4).entry_hash}
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:  # triggers are back
        cursor.execute("UPDATE core_auditentry SET action = 'x'")


@pytest.mark.django_db
def test_buffered_entries_are_written_in_order_at_the_end_of_the_block_and_chained():
    from taizhang.core.audit import audit_buffered

    before = AuditEntry.objects.count()
    with transaction.atomic(), audit_buffered():
        write(3, "test.buffered")
        audit_log_many([audit_entry(actor=None, username="b", action="test.buffered.bulk")])
        with audit_buffered():  # nested: the outer block writes
            write(1, "test.inner")
        assert AuditEntry.objects.count() == before  # nothing written yet: one bulk write at the end
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))[before:]
    assert actions == ["test.buffered.0", "test.buffered.1", "test.buffered.2", "test.buffered.bulk", "test.inner.0"]
    assert verify_json()[0]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_buffering_outside_a_transaction_is_refused():
    from taizhang.core.audit import audit_buffered

    with pytest.raises(RuntimeError), audit_buffered():
        pass
