"""``manage.py finance_summary --year YYYY [--committee NAME] [--format json|text]``: budget, spent and rest
per line, exact to the fen: ``{"year": 2026, "lines": [{"use": "…", "budget": "1200.00", "spent": "980.50",
"rest": "219.50"}], "total": {…}}`` (amounts as strings; spent counts approved expenses)."""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.core.money import yuan
from taizhang.finance.budget import budget_report
from taizhang.finance.models import Budget
from taizhang.organisation.commands import the_committee


def _line(row) -> dict:
    return {"use": str(row.use), "budget": yuan(row.planned_fen), "spent": yuan(row.spent_fen),
            "pending": yuan(row.pending_fen), "rest": yuan(row.rest_fen)}


class Command(ProjectCommand):
    help = "A year's budget against what was spent, per line (exact amounts)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--committee", help="the committee's name (needed when there are several)")
        parser.add_argument("--format", choices=["json", "text"], default="text")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        committee = the_committee(options["committee"])
        budget = Budget.objects.filter(committee=committee, year=options["year"]).first()
        if budget is None:
            raise CommandError(_("%(committee)s has no budget for %(year)s.")
                               % {"committee": committee.name, "year": options["year"]})
        rows, total = budget_report(budget)
        data = {"year": budget.year, "lines": [_line(r) for r in rows], "total": _line(total)}
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for row in [*data["lines"], data["total"]]:
            self.stdout.write(_("%(use)s: budget %(budget)s, spent %(spent)s, awaiting approval %(pending)s, rest %(rest)s")
                              % row)
