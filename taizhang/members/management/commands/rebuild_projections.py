"""``manage.py rebuild_projections [--committee ID] [--format text|json]``: recompute the roster spells and the
projections other apps derive from the roster (``members.hooks.projection_rebuild``: the study read tallies).

The spells (``RosterSpell``) are a projection of the flow events that the services keep up to date in
the same transaction as each event; this command recomputes them from the events (one committee or
all), repairs every member whose spells differ and says how many it checked and repaired. Running it
on a consistent database changes no data; it gives the committees new data generations (``core.generations``),
so no answer cached before the rebuild is read again.
"""

import json

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from taizhang.core import generations
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
        # the projections other apps derive from the roster (e.g. the study read tallies), after the spells
        derived = hooks.projection_rebuild.collect(committee_id=committee.pk if committee else None)
        # the data may have been written behind the services' back: nothing cached before is trusted
        generations.renew_all([committee.pk] if committee else Committee.objects.values_list("pk", flat=True))
        if options["format"] == "json":
            payload = {"committees": [committee.pk] if committee else None, **result,
                       **{listener.key: answer["counts"] for listener, answer in derived}}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        scope = committee.name if committee else _("every committee")
        self.stdout.write(_(
            "Roster spells of %(scope)s rebuilt from the flow history: %(members)d members and %(events)d "
            "flow events checked, %(spells)d spells; %(repaired)d members' spells did not match the events "
            "and were repaired."
        ) % {"scope": scope, "members": result["members"], "events": result["events"], "spells": result["spells"],
             "repaired": result["repaired_members"]})
        for _listener, answer in derived:
            self.stdout.write(answer["text"])
