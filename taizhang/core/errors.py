"""Errors services raise. Views turn them into Chinese messages on the page, never a stack trace."""

from django.core.exceptions import ValidationError


class ConcurrentEditError(Exception):
    """Someone else saved the record after this user opened it."""

    def __init__(self, current):
        super().__init__("concurrent edit")
        self.current = current


def form_errors_from(exc: ValidationError, form, aliases=None) -> None:
    """Put a service's ValidationError on the form: each message next to its field (``aliases`` maps a
    service field name to the form's), messages about unknown fields at the top of the form."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            field = aliases.get(field, field)
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


__all__ = ["ConcurrentEditError", "ValidationError", "form_errors_from"]
