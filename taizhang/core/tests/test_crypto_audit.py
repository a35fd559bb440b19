"""Personal numbers are encrypted at rest; the audit log and the flow history are append-only."""

import base64

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from taizhang.core import crypto
from taizhang.core.audit import audit_log
from taizhang.core.models import AppendOnlyError, AuditEntry
from taizhang.members.models import EventKind, FlowEvent, Member
from taizhang.members.services import flow_record_event, member_register, member_update
from taizhang.members.tests.factories import REGISTERED_ON, member_data, update_data

OTHER_KEY = "ffeeddccbbaa99887766554433221100"

# --- encryption and the blind index --------------------------------------------------------------


def test_encrypt_decrypt_round_trip_chinese_and_ascii():
    for text in ["110101198005170011", "13800138000", "北京市朝阳区"]:
        token = crypto.encrypt(text)
        assert token.startswith("v1:")
        assert text not in token
        assert crypto.decrypt(token) == text


def test_encryption_is_randomised_per_value():
    assert crypto.encrypt("13800138000") != crypto.encrypt("13800138000")


def test_empty_values_stay_empty():
    assert crypto.encrypt("") == ""
    assert crypto.decrypt("") == ""
    assert crypto.blind_index("") == ""


def test_tampered_token_is_refused():
    token = crypto.encrypt("13800138000")
    raw = bytearray(base64.b64decode(token[3:]))
    raw[15] ^= 0x01  # flip one bit of the ciphertext
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("v1:" + base64.b64encode(bytes(raw)).decode())


def test_token_from_another_key_is_refused(settings):
    token = crypto.encrypt("13800138000")
    settings.FIELD_ENCRYPTION_KEY = OTHER_KEY
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_unknown_token_format_is_refused():
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("13800138000")


def test_blind_index_is_deterministic_and_depends_on_the_key(settings):
    first = crypto.blind_index("13800138000")
    assert first == crypto.blind_index("13800138000")
    assert first != crypto.blind_index("13800138001")
    assert "13800138000" not in first
    settings.FIELD_HASH_KEY = OTHER_KEY
    assert crypto.blind_index("13800138000") != first


# --- what is in the database ---------------------------------------------------------------------


def raw_member_row(pk) -> str:
    """Every column of the member's row, as the database holds it, joined into one string."""
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(), "members_member")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM members_member WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None and len(row) == len(columns)
    return " | ".join("" if v is None else str(v) for v in row)


@pytest.mark.django_db
def test_id_number_and_phone_are_not_stored_in_plain(cast):
    data = member_data(cast.east, phone="+86 139-1234-5678")
    member = member_register(actor=cast.admin, data=data, registered_on=REGISTERED_ON)
    row = raw_member_row(member.pk)
    plain_id = data["id_number"]
    assert plain_id not in row
    assert plain_id[:17] not in row  # not even without the check digit
    assert plain_id[6:14] + plain_id[14:] not in row
    assert "13912345678" not in row
    assert "139-1234-5678" not in row
    # What is kept in plain is only what the masked display needs.
    assert member.id_number_masked == plain_id[:4] + "*" * 10 + plain_id[-4:]
    assert member.phone_masked == "139****5678"
    # The model decrypts on demand.
    assert Member.objects.get(pk=member.pk).id_number == plain_id
    assert Member.objects.get(pk=member.pk).phone == "13912345678"


@pytest.mark.django_db
def test_audit_log_holds_personal_numbers_only_masked(cast):
    data = member_data(cast.east, phone="13912345678")
    member = member_register(actor=cast.admin, data=data, registered_on=REGISTERED_ON)
    entries = AuditEntry.objects.filter(object_type="members.member", object_id=str(member.pk))
    text = " ".join(f"{e.old_values} {e.new_values} {e.message} {e.object_repr}" for e in entries)
    assert entries.exists()
    assert data["id_number"] not in text
    assert "13912345678" not in text


@pytest.mark.django_db
def test_lookup_by_blind_index_finds_the_member(cast):
    member = cast.me
    number = member.id_number
    assert Member.objects.get(id_number_hash=crypto.blind_index(number)) == member
    assert Member.objects.get(phone_hash=crypto.blind_index(member.phone)) == member
    assert not Member.objects.filter(id_number_hash=crypto.blind_index(number[:-1] + "0")).exclude(pk=member.pk)


# --- the audit log is append-only ----------------------------------------------------------------


@pytest.fixture
def entry(db):
    return audit_log(actor=None, username="someone", action="test.action", new={"a": 1})


def test_saving_an_existing_audit_entry_is_refused(entry):
    entry.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


def test_queryset_update_and_delete_of_audit_entries_are_refused(entry):
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk, action="test.action").exists()


def test_raw_sql_update_of_audit_entries_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.action"


def test_raw_sql_delete_of_audit_entries_is_refused_by_the_database(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_raw_sql_truncate_of_audit_entries_is_refused_on_postgresql(entry):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- flow events are append-only too -------------------------------------------------------------


@pytest.fixture
def event(cast):
    return cast.me.events.get(kind=EventKind.REGISTERED)


def test_raw_sql_update_of_flow_events_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE members_flowevent SET status_after = 'deceased' WHERE id = %s", [event.pk])
    assert FlowEvent.objects.get(pk=event.pk).status_after == "active"


def test_raw_sql_delete_of_flow_events_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM members_flowevent WHERE id = %s", [event.pk])
    assert FlowEvent.objects.filter(pk=event.pk).exists()


# --- every change is audited in the same transaction ---------------------------------------------


@pytest.mark.django_db
def test_register_update_and_flow_event_each_write_an_audit_entry(cast):
    before = AuditEntry.objects.count()
    member = member_register(actor=cast.admin, data=member_data(cast.west), registered_on=REGISTERED_ON)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True)[before:])
    assert actions == ["member.create", "flow.registered"]

    member_update(
        actor=cast.west_secretary,
        member=member,
        expected_version=member.version,
        data=update_data(member, name="改名后"),
    )
    entry = AuditEntry.objects.filter(action="member.update").latest("id")
    assert entry.actor == cast.west_secretary
    assert entry.object_id == str(member.pk)
    assert entry.old_values["name"] != "改名后" and entry.new_values == {"name": "改名后"}

    flow_record_event(actor=cast.west_secretary, member=member, kind=EventKind.CONTACTED, effective_date=REGISTERED_ON)
    assert AuditEntry.objects.filter(action="flow.contacted", actor_username="west_secretary").count() == 1


@pytest.mark.django_db
def test_update_without_changes_writes_no_update_entry(cast):
    member = cast.me
    member_update(actor=cast.admin, member=member, expected_version=member.version, data=update_data(member))
    assert not AuditEntry.objects.filter(action="member.update").exists()


@pytest.mark.django_db
def test_failed_registration_leaves_no_member_and_no_audit_entry(cast):
    members, entries = Member.objects.count(), AuditEntry.objects.count()
    bad = member_data(cast.east, phone="12345")
    with pytest.raises(ValidationError):
        member_register(actor=cast.admin, data=bad, registered_on=REGISTERED_ON)
    assert Member.objects.count() == members
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_registration_failing_after_the_member_is_saved_rolls_back_member_and_audit_entry(cast, monkeypatch):
    """If recording the first flow event fails, the member row and its audit entry go too."""
    from taizhang.members import services

    def broken_record(**kwargs):
        raise ValidationError("the first event could not be recorded")

    monkeypatch.setattr(services, "_registered_events", broken_record)
    members, entries = Member.objects.count(), AuditEntry.objects.count()
    data = member_data(cast.east)
    with pytest.raises(ValidationError):
        member_register(actor=cast.admin, data=data, registered_on=REGISTERED_ON)
    assert Member.objects.count() == members
    assert AuditEntry.objects.count() == entries
    assert (
        not AuditEntry.objects.filter(action="member.create")
        .exclude(object_id__in=[str(m.pk) for m in cast.members])
        .exists()
    )


@pytest.mark.django_db
def test_failed_update_changes_nothing_and_logs_nothing(cast):
    member = cast.me
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        member_update(
            actor=cast.admin,
            member=member,
            expected_version=member.version,
            data=update_data(member, name="新名字", phone="999"),
        )
    member.refresh_from_db()
    assert member.name == "张伟明"
    assert AuditEntry.objects.count() == entries


# --- transactional tests (live_server, browser tests) can still empty the database ---------------


def _append_only_is_enforced():
    for sql in [
        "DELETE FROM core_auditentry",
        "DELETE FROM members_flowevent",
        "UPDATE core_auditentry SET action = 'x'",
        "UPDATE members_flowevent SET reason = 'x'",
    ]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE core_auditentry")


@pytest.mark.django_db(transaction=True)
def test_transactional_test_writing_audit_entries_and_events_is_flushed_afterwards(cast):
    """The flush after this test passes the triggers (core/management/commands/flush.py, maintenance mode)..."""
    assert AuditEntry.objects.exists() and FlowEvent.objects.exists()
    _append_only_is_enforced()


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_database_is_empty_and_the_triggers_are_back(request):
    """...and leaves maintenance mode off: the triggers refuse again. (Runs after the test above.)"""
    assert not AuditEntry.objects.exists() and not FlowEvent.objects.exists() and not Member.objects.exists()
    request.getfixturevalue("cast")  # rows to refuse deleting
    _append_only_is_enforced()


def test_maintenance_mode_is_the_only_door_and_closes_behind_it(entry):
    from taizhang.core.maintenance import maintenance_mode

    with transaction.atomic():
        with maintenance_mode(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
        assert not AuditEntry.objects.filter(pk=entry.pk).exists()
        transaction.set_rollback(True)
    other = audit_log(actor=None, username="someone", action="test.after")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [other.pk])
