"""``manage.py verify_audit_log [--format text|json]``: walk the audit log's hash chain and report where it breaks.

Streams the entries in chain order (constant memory). JSON: ``{"entries": N, "ok": true, "head_seq": N,
"head_hash": "…"}``, or ``{"entries": N, "ok": false, "broken_at": <entry id>, "reason": "…"}`` with exit
status 1 (``entries`` then counts the entries that verified before the break). Keep the printed head
hash outside the database (see taizhang/core/auditchain.py).
"""

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from taizhang.core import auditchain
from taizhang.core.commands import ProjectCommand


class Command(ProjectCommand):
    help = "Verify the audit log's hash chain (exit status 1 where it breaks)."

    def add_arguments(self, parser):
        parser.add_argument("--format", dest="format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        verdict = auditchain.verify()
        if options["format"] == "json":
            self.stdout.write(json.dumps(verdict.as_dict(), ensure_ascii=False))
        elif verdict.ok:
            self.stdout.write(_("The audit log is intact: %(n)d entries, the hash chain is unbroken. Head: "
                                "position %(seq)d, hash %(hash)s.")
                              % {"n": verdict.entries, "seq": verdict.head_seq, "hash": verdict.head_hash or "—"})
        if not verdict.ok:
            raise CommandError(_("The audit log's hash chain breaks at entry %(id)s (after %(n)d intact entries): "
                                 "%(reason)s") % {"id": verdict.broken_at, "n": verdict.entries,
                                                  "reason": verdict.reason})
