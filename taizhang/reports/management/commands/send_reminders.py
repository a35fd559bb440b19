"""``manage.py send_reminders [--dry-run] [--format text|json]``: send the reminders due now.

What the background worker's periodic task does (``reports.tasks.send_reminders_task``), by hand. With
``--dry-run`` it prints what would be sent now — one line per recipient and channel: event key, user name,
channel, title — and writes nothing. A second run sends nothing already sent (the send log).
"""

import json

from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.reports import reminders


class Command(ProjectCommand):
    help = "Send the reminders due now (in-app notices, e-mail); --dry-run prints them and writes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print what would be sent; write nothing")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        outcome = reminders.reminders_send(dry_run=dry_run)
        if options["format"] == "json":
            self.stdout.write(json.dumps({
                "dry_run": dry_run,
                "planned": [{"event": r.event_key, "user": r.recipient.get_username(), "kind": r.kind,
                             "channel": channel, "title": r.title} for r, channel in outcome.planned],
                "sent": outcome.sent, "failed": outcome.failed, "already_sent": outcome.raced,
            }, ensure_ascii=False))
            return
        for reminder, channel in outcome.planned:
            self.stdout.write(reminders.describe(reminder, channel))
        if dry_run:
            self.stdout.write(_("Dry run: %(n)d reminders would be sent; nothing was written.")
                              % {"n": len(outcome.planned)})
        else:
            self.stdout.write(_("%(sent)d reminders sent, %(failed)d failed, %(raced)d already sent by another run.")
                              % {"sent": outcome.sent, "failed": outcome.failed, "raced": outcome.raced})
