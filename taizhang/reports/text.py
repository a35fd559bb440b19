"""Plain-text renderings of the reports for the commands (Chinese, aligned for East Asian wide characters)."""

import datetime
import unicodedata

from django.utils.translation import gettext as _

from taizhang.reports.flow import ordered_reasons


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text, cells: int, *, right: bool = False) -> str:
    text = str(text)
    space = " " * max(cells - width(text), 0)
    return space + text if right else text + space


def grid_text(header: list, rows: list[list]) -> str:
    """Rows of cells as aligned columns: the first column left-aligned, the rest (numbers) right-aligned."""
    table = [header, *rows]
    cells = [max(width(row[i]) for row in table) for i in range(len(header))]
    rule = "-" * (sum(cells) + 2 * (len(cells) - 1))
    lines = []
    for n, row in enumerate(table):
        lines.append("  ".join(pad(value, cells[i], right=i > 0) for i, value in enumerate(row)).rstrip())
        if n == 0 or n == len(table) - 2:
            lines.append(rule)
    return "\n".join(lines)


def table_text(title: str, table) -> str:
    """A ``composition.Table`` with its totals."""
    first = str(table.dimensions[0].label)
    header = [first, *[label for _key, label in table.columns]]
    if table.two_way:
        header.append(_("Total"))
    rows = []
    for _key, label, counts, total in table.grid():
        rows.append([label, *counts, total] if table.two_way else [label, total])
    footer = [_("Total"), *table.footer()]
    if table.two_way:
        footer.append(table.total)
    return title + "\n" + grid_text(header, [*rows, footer])


def flow_text(report: dict, start: datetime.date, end: datetime.date) -> str:
    """``flow_report``'s figures as the party statistics table says them."""
    rows = [[_("On the roster at the start (end of %(day)s)") % {"day": (start - datetime.timedelta(days=1)).isoformat()},
             report["opening"]]]
    increase = ordered_reasons("increase", report["increase"])
    decrease = ordered_reasons("decrease", report["decrease"])
    rows.append([_("Increase"), sum(n for _c, _l, n in increase)])
    rows += [["  " + label, n] for _code, label, n in increase]
    rows.append([_("Decrease"), sum(n for _c, _l, n in decrease)])
    rows += [["  " + label, n] for _code, label, n in decrease]
    rows.append([_("On the roster at the end (end of %(day)s)") % {"day": end.isoformat()}, report["closing"]])
    title = _("Increase and decrease of members, %(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    return title + "\n" + grid_text([_("Item"), _("Members")], rows)
