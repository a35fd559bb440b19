"""``manage.py purge_audit_log [--dry-run]``: delete audit entries older than the retention period.

DOMAIN_RULES.md "Security": audit entries are kept at least 184 days (setting AUDIT_RETENTION_DAYS,
default 365). This is the only way entries ever leave the log: it runs in maintenance mode (the
append-only triggers refuse everything else) and records its own run in the log.

The log is hash-chained (taizhang/core/auditchain.py): the purge deletes a *prefix* of the chain —
every entry before the oldest one still inside the retention period — and records where it cut, on
the chain head and in its own chained ``audit.purge`` entry (``cut_after_seq``, ``cut_hash``), so
``verify_audit_log`` still verifies the rest and notices any other cut.
"""

import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import auditchain
from taizhang.core.audit import audit_log
from taizhang.core.commands import ProjectCommand
from taizhang.core.maintenance import maintenance_mode
from taizhang.core.models import AuditEntry

MINIMUM_RETENTION_DAYS = 184


class Command(ProjectCommand):
    help = "Delete audit entries older than AUDIT_RETENTION_DAYS (at least 184 days)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, **options):
        days = settings.AUDIT_RETENTION_DAYS
        if days < MINIMUM_RETENTION_DAYS:
            raise CommandError(
                _("TAIZHANG_AUDIT_RETENTION_DAYS is %(days)d; audit entries must be kept at least %(min)d days.")
                % {"days": days, "min": MINIMUM_RETENTION_DAYS}
            )
        cutoff = timezone.now() - datetime.timedelta(days=days)
        if options["dry_run"]:
            count = AuditEntry.objects.filter(seq__lt=_cut_seq(cutoff)).count()
            self.stdout.write(_("%(n)d audit entries are older than %(days)d days.") % {"n": count, "days": days})
            return
        with transaction.atomic(), maintenance_mode():
            head = auditchain.lock_head()  # no entry is written while the cut is made
            cut_seq = _cut_seq(cutoff, head)
            cut_hash = (AuditEntry.objects.filter(seq=cut_seq).values_list("prev_hash", flat=True).first()
                        if cut_seq <= head.seq else head.head_hash)
            # QuerySet.delete() is refused for AuditEntry on purpose; only this maintenance-mode path deletes.
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq < %s", [cut_seq])
                deleted = cursor.rowcount
            if deleted:
                auditchain.set_base(cut_seq - 1, cut_hash)
            else:  # nothing cut: the chain keeps its start
                cut_seq, cut_hash = head.base_seq + 1, head.base_hash
            audit_log(actor=None, username="operator", action="audit.purge", object_type="core.auditentry",
                      new={"deleted": deleted, "before": cutoff.isoformat(), "retention_days": days,
                           "cut_after_seq": cut_seq - 1, "cut_hash": cut_hash})
        self.stdout.write(_("Deleted %(n)d audit entries older than %(days)d days.") % {"n": deleted, "days": days})


def _cut_seq(cutoff, head=None) -> int:
    """The position of the oldest entry inside the retention period (everything before it is older)."""
    first_kept = AuditEntry.objects.filter(timestamp__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    if first_kept is not None:
        return first_kept
    last = head.seq if head is not None else AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return (last or 0) + 1
