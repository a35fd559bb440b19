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
def page_numbers(page):
    """The page numbers a pager shows: the first, the last and two either side of the current one; None
    stands for the gaps between."""
    ellipsis = page.paginator.ELLIPSIS
    return [None if n == ellipsis else n
            for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)]


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
def audit_values(values, object_type=""):
    """An audit entry's old/new values as (label, text) pairs a person can read (core/actions.py)."""
    from taizhang.core.actions import describe_values

    return describe_values(values, object_type)


@register.filter
def audit_action(entry):
    """The Chinese name of an entry's action (the code stays in the entry)."""
    from taizhang.core.actions import action_label

    return action_label(entry.action, entry.new_values)


@register.filter
def audit_object_type(code):
    from taizhang.core.actions import object_type_label

    return object_type_label(code)


@register.filter
def audit_message(message):
    from taizhang.core.actions import message_label

    return message_label(message)
