"""Maintenance mode: the one door through which append-only tables may lose rows.

The audit log and the flow events are protected by database triggers (migrations core/0002 and
members/0002) that always refuse UPDATE and refuse DELETE unless maintenance mode is on *for this
connection*:

* PostgreSQL: the session setting ``taizhang.maintenance`` is ``on``;
* SQLite: the SQL function ``taizhang_maintenance()`` (registered on every Django connection)
  returns 1. Outside Django the function does not exist, so the trigger fails closed.

Only operator commands use it: ``flush`` (wipe the whole database, used by test teardown) and,
later, retention purges of audit entries older than AUDIT_RETENTION_DAYS. Never a request.
"""

from contextlib import contextmanager

from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created)
def _register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "taizhang_maintenance", 0, lambda: 1 if getattr(connection, "taizhang_maintenance", False) else 0
        )


@contextmanager
def maintenance_mode(using="default"):
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('taizhang.maintenance', 'on', false)")
    connection.taizhang_maintenance = True
    try:
        yield
    finally:
        connection.taizhang_maintenance = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('taizhang.maintenance', 'off', false)")
