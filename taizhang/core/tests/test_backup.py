"""``backup`` writes one archive (database, uploaded files, manifest); ``restore`` brings every row and file
back into an empty database, and refuses a damaged archive or a database that holds data."""

import io
import json
import tarfile
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from taizhang.core import auditchain
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)

CHANGES_ON_RESTORE = {"core_auditentry", "core_auditchain"}  # restore appends its own system.restore entry


def every_row() -> dict:
    """{table: sorted rows} for every table of the database."""
    with connection.cursor() as cursor:
        result = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            result[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return result


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    default_storage.save("notes/2026/心得.txt", ContentFile("学习体会".encode()))
    default_storage.save("imports/ledger.xlsx", ContentFile(b"PK\x03\x04 not really a workbook"))
    return tmp_path / "media"


def wipe(media_root):
    call_command("flush", interactive=False, verbosity=0)
    for path in sorted(media_root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def test_a_restored_backup_has_every_row_of_every_table_and_every_file(cast, media, tmp_path):
    archive = tmp_path / "taizhang.tar.gz"
    out = StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "taizhang.tar.gz" in out.getvalue()
    before = every_row()
    assert sum(len(rows) for rows in before.values()) > 100

    wipe(media)
    assert not AuditEntry.objects.exists() and not default_storage.exists("notes/2026/心得.txt")
    out = StringIO()
    call_command("restore", str(archive), stdout=out)

    after = every_row()
    assert set(after) == set(before)
    for table in set(before) - CHANGES_ON_RESTORE:
        assert after[table] == before[table], table
    restored_log = [row for row in after["core_auditentry"] if "system.restore" not in row]
    assert restored_log == before["core_auditentry"]
    assert AuditEntry.objects.order_by("-seq").first().action == "system.restore"
    assert auditchain.verify().ok
    assert default_storage.open("notes/2026/心得.txt").read().decode() == "学习体会"
    assert default_storage.open("imports/ledger.xlsx").read() == b"PK\x03\x04 not really a workbook"
    assert str(len(before)) in out.getvalue()  # it says how many tables it restored


def test_the_manifest_counts_every_table_and_lists_every_member_with_its_checksum(cast, media, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive), stdout=StringIO())
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["members_member"] == len(cast.members)
    assert set(manifest["members"]) | {"manifest.json"} == names
    assert {"media/notes/2026/心得.txt", "media/imports/ledger.xlsx"} <= names
    assert all(len(m["sha256"]) == 64 for m in manifest["members"].values())
    assert manifest["audit_chain"]["seq"] == AuditEntry.objects.count()


def _rewrite(archive, target, change):
    """Copy ``archive`` to ``target`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_a_damaged_archive_is_refused_before_anything_is_written(cast, media, tmp_path):
    archive, damaged = tmp_path / "good.tar.gz", tmp_path / "damaged.tar.gz"
    call_command("backup", str(archive), stdout=StringIO())
    _rewrite(archive, damaged, lambda name, data: data + b"x" if name.startswith("media/notes") else data)
    wipe(media)
    with pytest.raises(CommandError, match="校验|checksum") as refused:
        call_command("restore", str(damaged), stdout=StringIO())
    assert "心得.txt" in str(refused.value)
    assert not AuditEntry.objects.exists() and not default_storage.exists("imports/ledger.xlsx")

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError):
        call_command("restore", str(truncated), stdout=StringIO())
    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_text("hello")
    with pytest.raises(CommandError):
        call_command("restore", str(not_an_archive), stdout=StringIO())
    assert not AuditEntry.objects.exists()


def test_restore_into_a_database_with_data_is_refused(cast, media, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive), stdout=StringIO())
    before = every_row()
    with pytest.raises(CommandError, match="members_member|不是空"):
        call_command("restore", str(archive), stdout=StringIO())
    assert every_row() == before
