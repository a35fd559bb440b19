"""``manage.py rebuild_projections [--committee ID] [--format text|json]``: recompute the roster spells and
the stored monthly activity tallies.

The spells (``RosterSpell``) are a projection of the flow events that the services keep up to date in
the same transaction as each event; this command recomputes them from the events (one committee or
all), repairs every member whose spells differ and says how many it checked and repaired. Running it
on a consistent database changes nothing. Then it recomputes the activity tallies of the complete past
months (``activities.tally_projection``, a projection of the attendance, the activities and the spells,
through ``hooks.projection_rebuild``) from scratch, one committee per transaction, and says how many months
it projected.
"""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand
from taizhang.members import hooks, projection
from taizhang.organisation.models import Committee

FORMATS = ("text", "json")


class Command(ProjectCommand):
    help = "Recompute the roster spells (the projection of the flow history) from the flow events."

    def add_arguments(self, parser):
        parser.add_argument("--committee", dest="committee", default=None, metavar="ID",
                            help="only this committee's members (default: every committee)")
        parser.add_argument("--format", dest="format", default="text", metavar="text|json")

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if options["format"] not in FORMATS:
            raise CommandError(_("The output format must be “text” or “json”, not “%(value)s”.")
                               % {"value": options["format"]})
        committee = None
        if options["committee"] is not None:
            value = str(options["committee"]).strip()
            if not value.isdigit():
                raise CommandError(_("The committee ID must be a whole number, not “%(value)s”.") % {"value": value})
            committee = Committee.objects.filter(pk=int(value)).first()
            if committee is None:
                raise CommandError(_("There is no committee with the ID %(id)s.") % {"id": value})
        result = projection.rebuild(committee_id=committee.pk if committee else None)
        committee_ids = [committee.pk] if committee else list(Committee.objects.order_by("pk").values_list("pk", flat=True))
        result["tally_months"] = sum(months for pk in committee_ids  # the later apps' projections (activities)
                                     for _listener, months in hooks.projection_rebuild.collect(committee_id=pk))
        if options["format"] == "json":
            payload = {"committees": [committee.pk] if committee else None, **result}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        scope = committee.name if committee else _("every committee")
        self.stdout.write(_(
            "Roster spells of %(scope)s rebuilt from the flow history: %(members)d members and %(events)d "
            "flow events checked, %(spells)d spells; %(repaired)d members' spells did not match the events "
            "and were repaired."
        ) % {"scope": scope, "members": result["members"], "events": result["events"], "spells": result["spells"],
             "repaired": result["repaired_members"]})
        self.stdout.write(_("Activity tallies of %(scope)s rebuilt: %(months)d complete past months projected.")
                          % {"scope": scope, "months": result["tally_months"]})
