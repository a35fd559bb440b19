"""``manage.py roster --as-of YYYY-MM-DD [--format json|text] [--list]``: the roster as it stood on a day.

Counts come from the flow history (``selectors.roster_counts``), so any past day can be asked; ``--list``
adds the members counted (``selectors.roster_on``): name, branch and status as they stood that day,
never an ID or phone number.
"""

import json
import unicodedata

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from taizhang.core.commands import ProjectCommand, active_user, parse_day
from taizhang.core.paging import GroupedRows
from taizhang.core.permissions import restrict
from taizhang.members.models import ROSTER_STATUSES, Member, Status
from taizhang.members.selectors import (
    annotate_status,
    branch_name_on,
    home_counts,
    roster_counts,
    roster_on,
    roster_totals,
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, cells: int) -> str:
    return text + " " * max(cells - _width(text), 0)


def format_text(counts: dict) -> str:
    sections = [
        (_("By branch"), counts["by_branch"]),
        (_("By category"), counts["by_category"]),
        (_("By status"), counts["by_status"]),
    ]
    labels = [label for _title, rows in sections for label in rows] + [_("Total")]
    label_cells = max(_width(label) for label in labels) + 2
    number_cells = max(len(str(counts["total"])), 3)
    rule = "-" * (label_cells + number_cells + 2)
    lines = [_("Roster as of %(day)s") % {"day": counts["as_of"]}, rule]
    lines.append("  " + _pad(_("Total"), label_cells) + str(counts["total"]).rjust(number_cells))
    for title, rows in sections:
        lines += [rule, title]
        if not rows:
            lines.append("  " + _("(none)"))
        for label, n in rows.items():
            lines.append("  " + _pad(label, label_cells) + str(n).rjust(number_cells))
    return "\n".join(lines)


def roster_result(user, day) -> dict:
    """The counts of ``--format json``: as_of, total, by branch, by category, by status. For a user (``--as``,
    the API) the home page's reading of the same counts (``home_counts``, cached under the roster's
    generations); for the operator ``roster_counts``."""
    counts = roster_counts(None, day) if user is None else home_counts(user, day)
    return {key: counts[key] for key in ("as_of", "total", "by_branch", "by_category", "by_status")}


def roster_members_queryset(user, day):
    """The members counted in the roster's ``total``, by branch and pinyin (also the API's paged list)."""
    return roster_on(user, day).order_by("branch_on", "name_pinyin", "pk")


def roster_members_by_branch(user, day) -> GroupedRows:
    """``roster_members_queryset(user, day)`` read a page at a time (``GroupedRows``, the API's paged list): one
    group per branch that day, in the branches' order, each read by pinyin and id up to the page (the members'
    pinyin index, each row's roster spell checked as it is read) instead of sorting the whole roster for every
    page. Its length and the groups' sizes are ``roster_totals``' (cached under the roster's generations)."""
    by_branch = roster_totals(user, day)
    branch_ids = sorted(by_branch) if None not in by_branch else []  # no branch: one sort of the whole list
    roster = roster_on(user, day)
    # the groups say "on the roster" on the status column itself (the spell's, today the current event's), not
    # on the annotation's COALESCE: the same rows, but the planner then knows that most members match and walks
    # the pinyin index to the page (it took 60 of 6,000 and sorted the whole branch)
    members = annotate_status(Member.objects.all() if user is None else restrict(Member.objects.all(), user), day)
    status = "current_event__status_after" if day >= timezone.localdate() else "spell_on__status"
    groups = [members.filter(**{f"{status}__in": ROSTER_STATUSES}, branch_on=pk) for pk in branch_ids]

    return GroupedRows(groups, sum(by_branch.values()),
                       [by_branch[pk] for pk in branch_ids], order=("name_pinyin", "id"),
                       whole=roster_members_queryset(user, day), fetch=lambda ids: roster.filter(pk__in=ids))


def roster_member_row(member) -> dict:
    """One member of ``--list``: name, branch and status that day (never an ID or phone number)."""
    return {"name": member.name, "branch": branch_name_on(member), "status": str(Status(member.status).label)}


def roster_members(user, day) -> list[dict]:
    """``{"name", "branch", "status"}`` for each member counted in the roster's ``total``, by branch and pinyin."""
    return [roster_member_row(m) for m in roster_members_queryset(user, day).iterator(chunk_size=1000)]


def format_members_text(members: list[dict]) -> str:
    lines = [_("Members on the roster"), "-" * 20]
    if not members:
        lines.append("  " + _("(none)"))
    name_cells = max((_width(m["name"]) for m in members), default=0) + 2
    branch_cells = max((_width(m["branch"]) for m in members), default=0) + 2
    for m in members:
        lines.append("  " + _pad(m["name"], name_cells) + _pad(m["branch"], branch_cells) + m["status"])
    return "\n".join(lines)


class Command(ProjectCommand):
    help = "Print roster counts (total, by branch, category and status) as of a day, from the flow history."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--format", dest="format", choices=["json", "text"], default="text")
        parser.add_argument(
            "--as", dest="as_user", default=None, metavar="USERNAME",
            help="count only the members this user may see (default: the whole database, as the operator)",
        )
        parser.add_argument(
            "--list", dest="list", action="store_true",
            help="also list the members counted: name, branch and status that day (no ID or phone number)",
        )

    def handle(self, *args, **options):
        translation.activate(settings.LANGUAGE_CODE)
        day = (parse_day(options["as_of"], option="--as-of", not_after_today=True) if options["as_of"] is not None
               else timezone.localdate())  # the flow history knows nothing about days to come
        user = None
        if options["as_user"]:
            user = active_user(options["as_user"])
        members = roster_members(user, day) if options["list"] else None
        if options["format"] == "json":
            result = roster_result(user, day)
            if members is not None:
                result["members"] = members
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(format_text(roster_counts(user, day)))
            if members is not None:
                self.stdout.write(format_members_text(members))
