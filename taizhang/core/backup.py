"""Backup and restore (``manage.py backup PATH`` / ``manage.py restore PATH``).

One archive (``.tar.gz``) holds a consistent copy of the database, the uploaded files and a manifest:

* ``database.sqlite3`` — SQLite's online backup API (a consistent copy while the application runs), or
  ``database.pgdump`` — ``pg_dump --format=custom`` taken from an exported snapshot, so the row counts in
  the manifest and the dump see the same moment;
* ``media/…`` — every file of the default storage (``TAIZHANG_MEDIA_ROOT``);
* ``manifest.json`` — format, database kind, creation time, row count per table, the audit chain's head,
  and the SHA-256 and size of every other member of the archive.

``restore`` reads the whole archive first and refuses it when anything does not match its checksum, when
it was made from the other kind of database, or when the target database already holds data (only the
tables ``migrate`` fills on an empty database may have rows). Then it restores the database and the
files, counts every table against the manifest and verifies the audit chain.

The archive holds personal data **encrypted with TAIZHANG_FIELD_KEY**, and the audit chain is keyed with
TAIZHANG_HASH_KEY: keep the keys, but never in or next to the archive (README "Backup and restore").
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.attachments import storage_files

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# What ``migrate`` writes into an empty database: a database with rows only here counts as empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission", "core_auditchain"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` is the Chinese text for the operator."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class RestoreReport:
    tables: dict
    files: int
    manifest: dict
    mismatches: list = field(default_factory=list)
    chain_ok: bool = True
    chain_reason: str = ""
    pending_migrations: int = 0


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(settings_dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = settings_dict["NAME"]
    return env


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if path is None:
        raise BackupError(_("%(tool)s is not installed; on Debian: apt-get install postgresql-client.") % {"tool": name})
    return path


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_counts(cursor, tables) -> dict:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_tables(conn) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


# --- backup --------------------------------------------------------------------------------------------


def create_backup(path: Path) -> dict:
    """Write the archive to ``path`` (through a temporary name, readable by its owner only); returns the manifest."""
    from taizhang.core.audit import audit_log

    path = Path(path)
    if path.is_dir():
        raise BackupError(_("“%(path)s” is a folder; give a file name, e.g. %(example)s.")
                          % {"path": path, "example": path / "taizhang-backup.tar.gz"})
    if not path.parent.is_dir():
        raise BackupError(_("The folder “%(folder)s” does not exist.") % {"folder": path.parent})
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot be taken inside a transaction."))
    vendor = connection.vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(_("Backups of a %(vendor)s database are not supported.") % {"vendor": vendor})
    # The backup's own entry goes into the log before the copy, so the archive holds it.
    audit_log(actor=None, username="operator", action="system.backup", object_type="",
              object_repr=path.name, new={"path": str(path)})
    work = Path(tempfile.mkdtemp(prefix="taizhang-backup-"))
    try:
        db_file = work / DB_MEMBERS[vendor]
        if vendor == "sqlite":
            tables, chain = _dump_sqlite(db_file)
        else:
            tables, chain = _dump_postgresql(db_file)
        manifest = {
            "format": FORMAT,
            "application": "taizhang",
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "tables": tables,
            "audit_chain": chain,
            "members": {DB_MEMBERS[vendor]: {"sha256": _sha256_file(db_file), "size": db_file.stat().st_size}},
        }
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
        try:
            with tarfile.open(temporary, "w:gz") as archive:
                archive.add(db_file, arcname=DB_MEMBERS[vendor])
                for name in storage_files(default_storage):
                    manifest["members"][MEDIA_PREFIX + name] = _add_storage_file(archive, name)
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
                archive.addfile(info, io.BytesIO(data))
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _add_storage_file(archive, name) -> dict:
    digest, size = hashlib.sha256(), 0
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
            size += len(block)
    info = tarfile.TarInfo(MEDIA_PREFIX + name)
    info.size, info.mode = size, 0o600
    info.mtime = int(timezone.now().timestamp())
    with default_storage.open(name, "rb") as handle:
        archive.addfile(info, handle)
    return {"sha256": digest.hexdigest(), "size": size}


def _chain_of(rows) -> dict:
    row = rows[0] if rows else (0, "", 0, "")
    return {"seq": row[0], "head_hash": row[1], "base_seq": row[2], "base_hash": row[3]}


def _dump_sqlite(target: Path):
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # the online backup API: a consistent copy
        tables = {t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in _sqlite_tables(copy)}
        chain = _chain_of(copy.execute(
            "SELECT seq, head_hash, base_seq, base_hash FROM core_auditchain WHERE id = 1").fetchall())
    finally:
        copy.close()
    return tables, chain


def _dump_postgresql(target: Path):
    pg_dump = _tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = table_counts(cursor, connection.introspection.table_names(cursor))
        cursor.execute("SELECT seq, head_hash, base_seq, base_hash FROM core_auditchain WHERE id = 1")
        chain = _chain_of(cursor.fetchall())
        # pg_dump reads the same snapshot while this transaction keeps it alive.
        result = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={target}"],
            env=_pg_env(connection.settings_dict), capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()[:500]})
    return tables, chain


# --- restore -------------------------------------------------------------------------------------------


def read_archive(path: Path, into: Path) -> dict:
    """Unpack ``path`` into the folder ``into`` and check every member against the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("The file “%(path)s” does not exist.") % {"path": path})
    try:
        with tarfile.open(path, "r:*") as archive:
            try:
                manifest = json.loads(archive.extractfile(MANIFEST).read().decode("utf-8"))
            except KeyError as exc:
                raise BackupError(_("“%(path)s” is not a Taizhang backup: it has no manifest.") % {"path": path}) from exc
            if manifest.get("application") != "taizhang" or manifest.get("format") != FORMAT:
                raise BackupError(_("“%(path)s” is not a Taizhang backup of a format this version reads.")
                                  % {"path": path})
            expected = manifest.get("members", {})
            seen = set()
            for member in archive:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or member.name not in expected or ".." in Path(member.name).parts \
                        or member.name.startswith("/"):
                    raise BackupError(_("The archive holds “%(name)s”, which its manifest does not list.")
                                      % {"name": member.name})
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with archive.extractfile(member) as source, open(target, "wb") as out:
                    for block in iter(lambda source=source: source.read(CHUNK), b""):
                        digest.update(block)
                        out.write(block)
                if digest.hexdigest() != expected[member.name]["sha256"]:
                    raise BackupError(_("The archive is damaged: “%(name)s” does not match its checksum.")
                                      % {"name": member.name})
                seen.add(member.name)
            missing = sorted(set(expected) - seen)
            if missing:
                raise BackupError(_("The archive is incomplete: %(names)s missing.") % {"names": "、".join(missing[:5])})
    except (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(_("The archive “%(path)s” is damaged and cannot be read (%(error)s).")
                          % {"path": path, "error": exc}) from exc
    return manifest


def data_tables() -> dict:
    """Row counts of the tables that hold data (not what ``migrate`` fills in)."""
    with connection.cursor() as cursor:
        names = [t for t in connection.introspection.table_names(cursor) if t not in BOOKKEEPING_TABLES]
        return table_counts(cursor, names)


def restore_backup(path: Path) -> RestoreReport:
    from taizhang.core import auditchain
    from taizhang.core.audit import audit_log

    vendor = connection.vendor
    work = Path(tempfile.mkdtemp(prefix="taizhang-restore-"))
    try:
        manifest = read_archive(path, work)
        if connection.in_atomic_block:
            raise BackupError(_("A restore cannot run inside a transaction."))
        if manifest.get("vendor") != vendor:
            raise BackupError(_("This backup is of a %(theirs)s database; the target is %(ours)s.")
                              % {"theirs": manifest.get("vendor"), "ours": vendor})
        filled = {t: n for t, n in data_tables().items() if n}
        if filled:
            sample = "、".join(f"{t}（{n}）" for t, n in sorted(filled.items())[:5])
            raise BackupError(_("The target database is not empty (%(tables)s): restore only into an empty "
                                "database.") % {"tables": sample})
        media = [name[len(MEDIA_PREFIX):] for name in manifest["members"] if name.startswith(MEDIA_PREFIX)]
        for name in media:
            if default_storage.exists(name) and _sha256_storage(name) != manifest["members"][MEDIA_PREFIX + name]["sha256"]:
                raise BackupError(_("The uploaded file “%(name)s” already exists with other contents; restore into "
                                    "an empty file store.") % {"name": name})
        db_file = work / DB_MEMBERS[vendor]
        if vendor == "sqlite":
            _load_sqlite(db_file)
        else:
            _load_postgresql(db_file)
        for name in media:
            if not default_storage.exists(name):
                with open(work / (MEDIA_PREFIX + name), "rb") as handle:
                    saved = default_storage.save(name, File(handle))
                if saved != name:
                    raise BackupError(_("The uploaded file “%(name)s” was stored as “%(saved)s”.")
                                      % {"name": name, "saved": saved})
        with connection.cursor() as cursor:
            restored = table_counts(cursor, manifest["tables"].keys())
        mismatches = [(t, n, restored.get(t)) for t, n in manifest["tables"].items() if restored.get(t) != n]
        verdict = auditchain.verify()
        report = RestoreReport(tables=restored, files=len(media), manifest=manifest, mismatches=mismatches,
                               chain_ok=verdict.ok, chain_reason=verdict.reason,
                               pending_migrations=_pending_migrations())
        audit_log(actor=None, username="operator", action="system.restore", object_type="",
                  object_repr=Path(path).name[:200], success=not mismatches and verdict.ok,
                  new={"path": str(path), "created_at": manifest.get("created_at"),
                       "rows": sum(restored.values()), "files": len(media)})
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sha256_storage(name) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_sqlite(db_file: Path) -> None:
    source = sqlite3.connect(db_file)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)  # replaces the whole target database, schema and all
    finally:
        source.close()
    connection.close()  # the next query opens a connection on the restored database


def _load_postgresql(db_file: Path) -> None:
    pg_restore = _tool("pg_restore")
    settings_dict = connection.settings_dict
    connection.close()
    result = subprocess.run(
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", f"--dbname={settings_dict['NAME']}", str(db_file)],
        env=_pg_env(settings_dict), capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BackupError(_("pg_restore failed: %(error)s") % {"error": result.stderr.strip()[:500]})


def _pending_migrations() -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))

