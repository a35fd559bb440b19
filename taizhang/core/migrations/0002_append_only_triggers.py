"""Database triggers that make the audit log append-only even for raw SQL (SQLite and PostgreSQL).

They always refuse UPDATE; they refuse DELETE (and TRUNCATE on PostgreSQL) unless the connection is in
maintenance mode (taizhang.core.maintenance), which only operator commands switch on.
"""

from django.db import migrations

FUNCTION = """CREATE OR REPLACE FUNCTION taizhang_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
       AND coalesce(current_setting('taizhang.maintenance', true), 'off') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME;
END; $$ LANGUAGE plpgsql;"""


def sqlite_triggers(table):
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN taizhang_maintenance() = 0
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;""",
    ]


def postgres_triggers(table):
    return [
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION taizhang_append_only();""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION taizhang_append_only();""",
    ]


def drop_statements(vendor, table):
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_no_update;", f"DROP TRIGGER IF EXISTS {table}_no_delete;"]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        ]
    return []


def protect(schema_editor, table):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = sqlite_triggers(table)
    elif vendor == "postgresql":
        statements = [FUNCTION, *postgres_triggers(table)]
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql)


def unprotect(schema_editor, table):
    for sql in drop_statements(schema_editor.connection.vendor, table):
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    protect(schema_editor, "core_auditentry")


def backwards(apps, schema_editor):
    unprotect(schema_editor, "core_auditentry")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
