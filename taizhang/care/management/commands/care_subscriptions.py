"""``manage.py care_subscriptions YEAR [--commit] [--as USER] [--day YYYY-MM-DD] [--committee NAME] [--format json]``:
the preview of a year's newspaper list (one per household with a member aged 60+ on the reference day), and
with ``--commit`` its confirmation in one transaction, as ``--as`` (a committee administrator). JSON:
``{"year": 2027, "households": N, "new": N, "continued": N, "stopped": N}`` (plus ``"written"`` with --commit)."""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.care import selectors, services
from taizhang.care.models import DEFAULT_PAPER, Subscription
from taizhang.core.commands import ProjectCommand, active_user, parse_day
from taizhang.core.money import parse_yuan
from taizhang.organisation.commands import the_committee


class Command(ProjectCommand):
    help = "Preview (and with --commit confirm) a year's newspaper subscriptions, one per elderly household."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--commit", action="store_true", help="write the list (needs --as)")
        parser.add_argument("--as", dest="as_user", help="the committee administrator who confirms it")
        parser.add_argument("--day", help="count ages on this day (default: the setting, 1 December of the year before)")
        parser.add_argument("--price", help="price per copy for the year, in yuan (default: last year's)")
        parser.add_argument("--committee", help="the committee's name (needed when there are several)")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(_("Choose a year between 2000 and 2100."))
        day = parse_day(options["day"], option="--day") if options["day"] else None
        committee = the_committee(options["committee"])
        if options["commit"]:
            if not options["as_user"]:
                raise CommandError(_("--commit needs --as USER: the committee administrator who confirms the list."))
            actor = active_user(options["as_user"])
            last = Subscription.objects.filter(committee=committee, year=year - 1).order_by("-id").first()
            try:
                price = parse_yuan(options["price"]) if options["price"] else (last.cost_fen // last.copies if last else 0)
            except ValueError as exc:
                raise CommandError(_("--price: enter yuan, e.g. 72 or 72.50.")) from exc
            try:
                preview, made = services.subscriptions_confirm(actor=actor, committee=committee, year=year, day=day,
                                                               paper=last.paper if last else DEFAULT_PAPER,
                                                               price_fen=price)
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            data = {**preview.as_dict(), "written": len(made)}
        else:
            preview = selectors.subscription_preview(committee=committee, year=year, day=day)
            data = preview.as_dict()
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(_("%(year)s: %(households)d households (%(new)d new, %(continued)d continued), %(stopped)d "
                            "stopped.") % data)
        for line in preview.lines:
            if line.change == "stopped":
                self.stdout.write(f"  {line.recipient.name}: {line.reason}")
        if "written" in data:
            self.stdout.write(_("%(written)d subscriptions written.") % data)
        elif preview.to_write:
            self.stdout.write(_("Nothing written: add --commit --as USER to confirm the list."))
