"""Reads of report pages from a streaming read replica (``DATABASE_REPLICA_URL``, issue 10 scale-out).

With the setting, ``config/settings.py`` adds the database alias ``replica`` and this router. Nothing is
read from the replica unless the code asks for it: a report view is wrapped in ``use_replica()`` (a
decorator or a ``with`` block), and only then are its reads sent there. Everything else stays on
``default`` (the primary):

* every write, whatever was marked (a hot standby is read-only);
* reads of accounts, roles, sessions and the security policy (``PRIMARY_ONLY_APPS``): who the user is and
  what they may see is decided on the primary, so a role just revoked never lingers on a lagging replica;
* reads inside a transaction on the primary (an export that has just written its audit entry reads its
  own writes);
* related objects of an instance loaded from the primary (Django's own rule: the instance's database).

Without the setting there is no ``replica`` alias and the router is not installed: nothing changes. A
report may then be a moment behind the primary (streaming replication lag, normally well under a
second); that is what reports accept in exchange for keeping their long aggregates off the primary.
"""

import contextvars
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PRIMARY_ONLY_APPS = frozenset({"accounts", "auth", "contenttypes", "sessions", "django_tasks_database"})

_use_replica = contextvars.ContextVar("taizhang_use_replica", default=False)


@contextmanager
def use_replica():
    """Send the reads inside to the replica, where one is configured (see the module docstring).

    Use as ``@use_replica()`` under ``@login_required`` on a report view, or ``with use_replica():``.
    A context variable, so it holds for this request's thread (or task) only.
    """
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def reading_from_replica() -> bool:
    """Whether a read made here would go to the replica (ignoring the per-model exceptions)."""
    return (_use_replica.get() and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block)


class ReplicaRouter:
    """Installed by the settings only when ``DATABASE_REPLICA_URL`` is set."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS or not reading_from_replica():
            return None  # Django's default: the instance's database, else default
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS  # also for an object read from the replica

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True  # the same data
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False  # it replays the primary's WAL, migrations included
        return None
