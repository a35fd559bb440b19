"""Small template helpers shared by every page."""

from django import forms, template

register = template.Library()


@register.filter
def bs_widget(bound_field):
    """Render a form field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    widget = bound_field.field.widget
    if isinstance(widget, (forms.CheckboxInput,)):
        css = "form-check-input"
    elif isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return bound_field.as_widget()
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": css}
    if bound_field.field.required and not isinstance(widget, forms.CheckboxInput):
        attrs["required"] = True
    return bound_field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(bound_field):
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(bound_field):
    return isinstance(bound_field.field.widget, forms.CheckboxSelectMultiple)


@register.simple_tag
def query_with(query, **kwargs):
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    from django.http import QueryDict

    params = QueryDict(query, mutable=True)
    for key, value in kwargs.items():
        params[key] = value
    return "?" + params.urlencode()


@register.filter
def status_badge(status):
    return {
        "active": "success",
        "awaiting": "info",
        "outflow": "warning",
        "lost": "danger",
        "suspended": "danger",
        "transferred": "secondary",
        "deceased": "dark",
    }.get(status, "light")




@register.filter
def audit_values(values):
    """An audit entry's old/new values as (label, text) pairs a person can read.

    Keys that are member fields get the field's (translated) name; booleans and empty values are
    spelled out.
    """
    from django.apps import apps
    from django.utils.translation import gettext as _

    if not isinstance(values, dict):
        return [("", str(values))]
    member = apps.get_model("members", "Member")
    labels = {f.name: f.verbose_name for f in member._meta.get_fields() if hasattr(f, "verbose_name")}
    labels.update({"id_number": _("citizen ID number"), "phone": _("mobile phone"), "status": _("status")})
    pairs = []
    for key, value in values.items():
        if value is True:
            text = _("yes")
        elif value is False:
            text = _("no")
        elif value in (None, "", [], {}):
            text = "—"
        elif isinstance(value, list):
            text = "、".join(str(v) for v in value)
        else:
            text = str(value)
        pairs.append((labels.get(key, key), text))
    return pairs
