"""The ledger list's rows (``members/partials/member_table.html``), rendered in Python: the cells of a page are
most of the list's rendering, and one ``format_html`` per cell costs a fraction of the template tags per cell."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from taizhang.core.templatetags.tzui import status_badge

register = template.Library()


@register.filter
def ledger_cells(cells, member):
    """The ``<td>`` of one row of the ledger list: ``cells`` are ``visibility.row_cells``' (column, value) pairs
    of ``member``. The name links to the member's page (with the elderly badge), the status is a badge, the
    last contact a day. Every value is escaped (``conditional_escape``)."""
    out = []
    for column, value in cells:
        key = column.key
        if key == "name":
            inner = (f'<a class="fw-semibold" href="{reverse("members:detail", args=[member.pk])}">'
                     f"{conditional_escape(value)}</a>")
            if member.is_elderly:
                age = settings.ELDERLY_AGE
                title = conditional_escape(_("%(elderly_age)s and over") % {"elderly_age": age})
                inner += f' <span class="badge text-bg-light border" title="{title}">{age}+</span>'
        elif key == "status":
            inner = f'<span class="badge text-bg-{status_badge(member.status)}">{conditional_escape(value)}</span>'
        elif key == "last_contact":
            inner = value.strftime("%Y-%m-%d") if value else ""
        else:
            inner = conditional_escape(value)
        out.append(f'<td class="{column.css}">{inner}</td>')
    return mark_safe("".join(out))  # noqa: S308  (every value above is escaped)
