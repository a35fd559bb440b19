"""``manage.py donation_summary CAMPAIGN_ID [--format json|text]``: a campaign's totals, exact to the fen:
``{"total": "19230.00", "gifts": 49, "late": 1, "late_total": "3000.00"}`` (amounts as strings)."""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.core.money import yuan
from taizhang.finance.models import Campaign
from taizhang.finance.selectors import campaign_totals


class Command(ProjectCommand):
    help = "A donation campaign's totals (gifts net of reversals; late gifts counted apart)."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        campaign = Campaign.objects.filter(pk=options["campaign_id"]).first()
        if campaign is None:
            raise CommandError(_("There is no donation campaign with the number %(id)s.") % {"id": options["campaign_id"]})
        t = campaign_totals(campaign)
        data = {"campaign": campaign.title, "total": yuan(t.total_fen), "gifts": t.gifts, "late": t.late,
                "late_total": yuan(t.late_fen), "handed_over": yuan(t.handed_fen)}
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        self.stdout.write(_("%(campaign)s: %(total)s yuan from %(gifts)s gifts; %(late)s late gifts, %(late_total)s yuan; "
                            "%(handed_over)s yuan handed over.") % data)
