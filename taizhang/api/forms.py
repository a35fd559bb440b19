"""The API's writes go through the pages' own forms (same choices scoped to the user, same messages, same
service calls): a JSON body becomes the form's data here, and a form's errors become a 400."""

import datetime

from django.core.exceptions import ValidationError
from django.http import QueryDict


def form_data(values: dict) -> QueryDict:
    """JSON values as the POST data a browser would send: dates in ISO, booleans as a ticked box (or left
    out), lists as repeated keys, None as empty."""
    data = QueryDict(mutable=True)
    for name, value in values.items():
        if value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data.setlist(name, [str(v) for v in value])
        elif isinstance(value, (datetime.date, datetime.datetime)):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def raise_form_errors(form) -> None:
    """The form's errors as a ValidationError by field (→ 400 with ``errors``), "" for the form as a whole."""
    errors = {}
    for field, messages in form.errors.items():
        errors.setdefault("__all__" if field == "__all__" else field, []).extend(str(m) for m in messages)
    raise ValidationError(errors)
