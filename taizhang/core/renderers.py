"""The project's form renderer (``FORM_RENDERER``): Django's, with the select widget written out in Python.

A select renders ``django/forms/widgets/select.html`` and then includes ``select_option.html`` once per option,
so a filter form of a few selects spends milliseconds in the template engine on every list page (the ledger's
nine filters: about 4 ms of a 20 ms page). ``select_html`` gives the same HTML, character for character, from
the same context (``Widget.get_context``: attributes, option groups, selected options), and falls back to the
templates for anything it does not reproduce exactly (another option template, a label that the template would
localise, such as a date)."""

from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> bool:
    return isinstance(value, (str, Promise))


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: `` name="value"`` each, `` name`` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True
                   else f' {conditional_escape(name)}="{_as_s(value)}"')
    return "".join(out)


def _as_s(value) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe string safe, anything else is escaped."""
    text = stringformat(value, "s")
    return text if isinstance(value, SafeData) else escape(text)


def select_html(context) -> str | None:
    """``select.html`` rendered from ``context`` (stripped, as ``BaseRenderer.render`` strips), or None when it
    holds something only the templates render the same way."""
    widget = context["widget"]
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name and not _text(group_name):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION or not _text(option["label"]):
                return None
            parts.append(f'\n  <option value="{_as_s(option["value"])}"{_attrs(option["attrs"])}>'
                         f'{conditional_escape(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


class FormRenderer(DjangoTemplates):
    """Django's template renderer, but selects are written out by ``select_html``."""

    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            html = select_html(context)
            if html is not None:
                return html
        return super().render(template_name, context, request=request)
