"""``manage.py purge_audit_log [--dry-run]``: delete audit entries older than the retention period.

DOMAIN_RULES.md "Security": audit entries are kept at least 184 days (setting AUDIT_RETENTION_DAYS,
default 365). This is the only way entries ever leave the log: it runs in maintenance mode (the
append-only triggers refuse everything else) and records its own run in the log.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_log
from taizhang.core.maintenance import maintenance_mode
from taizhang.core.models import AuditEntry

MINIMUM_RETENTION_DAYS = 184


class Command(BaseCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS (at least 184 days)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        days = settings.AUDIT_RETENTION_DAYS
        if days < MINIMUM_RETENTION_DAYS:
            raise CommandError(
                _("TAIZHANG_AUDIT_RETENTION_DAYS is %(days)d; audit entries must be kept at least %(min)d days.")
                % {"days": days, "min": MINIMUM_RETENTION_DAYS}
            )
        cutoff = timezone.now() - datetime.timedelta(days=days)
        old = AuditEntry.objects.filter(timestamp__lt=cutoff)
        count = old.count()
        if options["dry_run"]:
            self.stdout.write(_("%(n)d audit entries are older than %(days)d days.") % {"n": count, "days": days})
            return
        with transaction.atomic(), maintenance_mode():
            # QuerySet.delete() is refused for AuditEntry on purpose; only this maintenance-mode path deletes.
            deleted = _delete_before(cutoff)
            audit_log(actor=None, username="operator", action="audit.purge", object_type="core.auditentry",
                      new={"deleted": deleted, "before": cutoff.isoformat(), "retention_days": days})
        self.stdout.write(_("Deleted %(n)d audit entries older than %(days)d days.") % {"n": deleted, "days": days})


def _delete_before(cutoff) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE timestamp < %s", [cutoff])
        return cursor.rowcount
