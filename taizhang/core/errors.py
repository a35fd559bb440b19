"""Errors services raise. Views turn them into Chinese messages on the page, never a stack trace."""

from django.contrib import messages
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



def error_text(exc: ValidationError) -> str:
    """A service's refusal as one line for a message at the top of the page."""
    return "；".join(exc.messages)


def service_message(request, call, success) -> bool:
    """The thin view's "service → message" step of a POST action (ARCHITECTURE.md rule 5): run ``call()``;
    a refusal (ValidationError) becomes an error message, else ``success`` (a text, or a function of what
    the service returned) a success message. True when the service ran; the view then redirects."""
    try:
        result = call()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def service_on_form(request, form, call, success) -> bool:
    """The same for a form's service: a refusal goes on the form's fields (``form_errors_from``) for the
    page to show again. True when the service ran; the view then redirects."""
    try:
        result = call()
    except ValidationError as exc:
        form_errors_from(exc, form)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


__all__ = ["ConcurrentEditError", "ValidationError", "error_text", "form_errors_from", "service_message",
           "service_on_form"]
