"""Audit retention: entries older than AUDIT_RETENTION_DAYS (>= 184) can be purged, nothing else can."""

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from taizhang.core.audit import audit_log
from taizhang.core.maintenance import maintenance_mode
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(action, days_ago):
    """An entry written ``days_ago`` (through the chain, with the clock set back)."""
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - datetime.timedelta(days=days_ago)):
        return audit_log(actor=None, username="x", action=action)


def test_purge_deletes_only_entries_past_the_retention_and_logs_itself(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    old = _entry("test.old", 400)
    recent = _entry("test.recent", 200)
    out = StringIO()
    call_command("purge_audit_log", "--dry-run", stdout=out)
    assert AuditEntry.objects.filter(pk=old.pk).exists()
    call_command("purge_audit_log", stdout=out)
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=recent.pk).exists()
    purge = AuditEntry.objects.get(action="audit.purge")
    assert purge.new_values["deleted"] == 1
    # Outside the command the log is append-only again, and even maintenance mode cannot change an entry.
    with pytest.raises(DatabaseError), transaction.atomic(), maintenance_mode(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [recent.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [recent.pk])


def test_retention_below_184_days_is_refused(settings):
    settings.AUDIT_RETENTION_DAYS = 100
    with pytest.raises(CommandError):
        call_command("purge_audit_log")
