"""The ledger list's rows (``members/partials/member_table.html``), rendered in Python: the cells of a page are
most of the list's rendering, and one ``format_html`` per cell costs a fraction of the template tags per cell."""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from taizhang.core.templatetags.tzui import status_badge

register = template.Library()


@register.filter
def ledger_cells(cells, member):
    """The ``<td>`` of one row of the ledger list: ``cells`` are ``visibility.row_cells``' (column, value) pairs
    of ``member``. The name links to the member's page (with the elderly badge), the status is a badge, the
    last contact a day."""
    out = []
    for column, value in cells:
        if column.key == "name":
            inner = format_html('<a class="fw-semibold" href="{}">{}</a>', reverse("members:detail", args=[member.pk]),
                                value)
            if member.is_elderly:
                age = settings.ELDERLY_AGE
                inner += format_html(' <span class="badge text-bg-light border" title="{}">{}+</span>',
                                     _("%(elderly_age)s and over") % {"elderly_age": age}, age)
        elif column.key == "status":
            inner = format_html('<span class="badge text-bg-{}">{}</span>', status_badge(member.status), value)
        elif column.key == "last_contact":
            inner = value.strftime("%Y-%m-%d") if value else ""
        else:
            inner = conditional_escape(value)
        out.append(format_html('<td class="{}">{}</td>', column.css, inner))
    return mark_safe("".join(out))
