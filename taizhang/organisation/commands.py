"""The committee a management command works on, by the name an operator types (``--committee``).

Here rather than in ``core.commands``: core imports no domain app (ARCHITECTURE.md layout).
"""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from taizhang.organisation.models import Committee


def committee_named(name: str, *, option: str = "--committee") -> Committee:
    committee = Committee.objects.filter(name=(name or "").strip()).first()
    if committee is None:
        raise CommandError(f"{option}：" + _("There is no committee named “%(name)s”.") % {"name": name})
    return committee


def the_committee(name: str | None, *, option: str = "--committee") -> Committee:
    """The committee named by ``option``, or the only one in the database when none is named."""
    if name:
        return committee_named(name, option=option)
    committees = list(Committee.objects.order_by("id")[:2])
    if len(committees) != 1:
        raise CommandError(_("Name the committee with --committee."))
    return committees[0]
