"""The project's own form messages: every field's problem named by its label, in the project's style.

Django's built-in messages ("This field is required.", "Ensure this value is greater than or equal to
0.") say neither which field nor what to do. ``TzForm`` / ``TzModelForm`` (and ``TzFilterForm`` for
django-filter sets) replace them on every field, once, when the form is built: a message a form or
field sets itself in ``error_messages`` is kept. Messages from the services are already the project's.
"""

import datetime

from django import forms
from django.utils.translation import gettext as _

# The days a form accepts where a date has no narrower rule: before 1900 or after 2099 is a typing error, and
# the calendar arithmetic of ages and spells (years_ago, months_before) cannot reach every year Python can.
EARLIEST_DAY, LATEST_DAY = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)


def day_out_of_range(day, first: datetime.date = EARLIEST_DAY, last: datetime.date = LATEST_DAY) -> str | None:
    """The message for ``day`` outside [first, last] ("Enter a date between …"), None when it is inside or empty:
    one rule and one message for every date field (the forms add it to the field, the API to its error list)."""
    if day is None or first <= day <= last:
        return None
    return _("Enter a date between %(first)s and %(last)s.") % {"first": first.isoformat(), "last": last.isoformat()}


def _messages_for(field: forms.Field) -> dict:
    """code -> message template with ``{field}`` for the label (Django fills ``%(limit_value)s`` etc.)."""
    choose = isinstance(field, (forms.ChoiceField, forms.ModelChoiceField, forms.FileField, forms.MultipleChoiceField))
    messages = {
        "required": _("Choose %(field)s.") if choose else _("Enter %(field)s."),
        "max_length": _("%(field)s can be at most %(limit_value)d characters (now %(show_value)d)."),
        "min_length": _("%(field)s needs at least %(limit_value)d characters (now %(show_value)d)."),
        "min_value": _("%(field)s cannot be less than %(limit_value)s."),
        "max_value": _("%(field)s cannot be more than %(limit_value)s."),
        "invalid_choice": _("%(field)s: choose one of the options in the list."),
        "invalid_list": _("%(field)s: choose one of the options in the list."),
        "invalid_pk_value": _("%(field)s: choose one of the options in the list."),
        "max_digits": _("%(field)s can have at most %(max)s digits."),
        "max_decimal_places": _("%(field)s can have at most %(max)s decimal places."),
        "max_whole_digits": _("%(field)s can have at most %(max)s digits before the decimal point."),
    }
    if isinstance(field, forms.BooleanField):
        messages["required"] = _("Tick “%(field)s” to go on.")
    if isinstance(field, forms.DateTimeField):
        messages["invalid"] = _("%(field)s: enter a date and a time, e.g. 2024-05-01 09:30.")
    elif isinstance(field, forms.DateField):
        messages["invalid"] = _("%(field)s: enter a date as YYYY-MM-DD, e.g. 2024-05-01.")
    elif isinstance(field, forms.TimeField):
        messages["invalid"] = _("%(field)s: enter a time, e.g. 09:30.")
    elif isinstance(field, forms.IntegerField):
        messages["invalid"] = _("%(field)s: enter a whole number.")
    elif isinstance(field, forms.DecimalField):
        messages["invalid"] = _("%(field)s: enter a number, e.g. 1.5.")
    elif isinstance(field, forms.FileField):
        messages.update(
            invalid=_("%(field)s: the upload did not arrive as a file; choose the file again."),
            missing=_("Choose %(field)s."),
            empty=_("%(field)s: the file is empty."),
        )
    return messages


def apply_project_messages(form) -> None:
    """Set the project's messages on every field of ``form`` that still has Django's default for a code."""
    for field in form.fields.values():
        label = str(field.label or "").strip() or _("this field")
        defaults = {}
        for klass in reversed(type(field).__mro__):
            defaults.update(getattr(klass, "default_error_messages", {}))
        for code, template in _messages_for(field).items():
            if code in field.error_messages and (code not in defaults
                                                 or str(field.error_messages[code]) != str(defaults[code])):
                continue  # the form set its own message for this code
            field.error_messages[code] = template.replace("%(field)s", label)


class TzFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_project_messages(self)


class TzForm(TzFormMixin, forms.Form):
    pass


class TzModelForm(TzFormMixin, forms.ModelForm):
    pass
