"""Every API error is JSON: ``{"detail": "<中文>", "errors": [{"field": "...", "message": "..."}]}``, with
the status that fits (400 a service refused, 401 no or a bad token, 403 not allowed / read-only token / CSRF,
404 not found or outside the user's scope, 409 a stale version or a state that forbids the change, 422 the
request does not match the schema, 429 too many requests (with Retry-After), 500 anything else — logged,
never a traceback in the answer)."""

import logging
import math

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import ConcurrentEditError

logger = logging.getLogger("taizhang.api")


class Conflict(Exception):
    """A 409: the record changed since the client read it, or its state forbids the change. ``current``: the
    record as it is now (sent back as ``current``)."""

    def __init__(self, detail: str, current=None, errors=None):
        super().__init__(detail)
        self.detail = detail
        self.current = current
        self.errors = errors or []


def error_body(detail: str, errors=None, **extra) -> dict:
    return {"detail": str(detail), "errors": list(errors or []), **extra}


def json_error(status: int, detail: str, errors=None, **extra) -> JsonResponse:
    return JsonResponse(error_body(detail, errors, **extra), status=status,
                        json_dumps_params={"ensure_ascii": False})


def django_validation_errors(exc: DjangoValidationError) -> list[dict]:
    """A service's ValidationError as ``[{"field", "message"}]`` (field "" for the record as a whole)."""
    if hasattr(exc, "error_dict"):
        return [{"field": "" if field == "__all__" else field, "message": str(message)}
                for field, messages in exc.message_dict.items() for message in messages]
    return [{"field": "", "message": str(message)} for message in exc.messages]


# pydantic's error types → a Chinese message (the rest: "invalid value")
def _schema_messages() -> dict:
    return {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_type": _("Enter a date as YYYY-MM-DD."),
        "datetime_parsing": _("Enter a date and time (ISO 8601)."),
        "string_type": _("Enter text."),
        "string_too_long": _("The text is too long."),
        "string_too_short": _("The text is too short."),
        "greater_than_equal": _("The value is too small."),
        "greater_than": _("The value is too small."),
        "less_than_equal": _("The value is too large."),
        "less_than": _("The value is too large."),
        "literal_error": _("Choose one of the allowed values."),
        "enum": _("Choose one of the allowed values."),
        "json_invalid": _("The request body is not valid JSON."),
        "model_attributes_type": _("The request body must be a JSON object."),
        "dict_type": _("The request body must be a JSON object."),
        "list_type": _("Enter a list."),
        "extra_forbidden": _("This field is not allowed."),
    }


def schema_errors(errors) -> list[dict]:
    messages = _schema_messages()
    found = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
            loc = loc[1:]
        # ninja puts the body's schema name (e.g. "payload") first
        if len(loc) > 1 and loc[0] in ("payload", "data", "filters", "pagination"):
            loc = loc[1:]
        found.append({"field": ".".join(loc), "message": str(messages.get(error.get("type"), _("The value is not valid.")))})
    return found


def register(api) -> None:
    """Install the handlers on the NinjaAPI instance."""

    @api.exception_handler(NinjaValidationError)
    def schema_invalid(request, exc):
        return json_error(422, _("The request does not match the API's schema."), schema_errors(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def service_refused(request, exc):
        errors = django_validation_errors(exc)
        return json_error(400, "；".join(e["message"] for e in errors) or _("The request was refused."), errors)

    @api.exception_handler(Conflict)
    def conflict(request, exc):
        return json_error(409, exc.detail, exc.errors, current=exc.current)

    @api.exception_handler(ConcurrentEditError)
    def stale(request, exc):
        return json_error(409, _("Someone else changed this record after you read it; here are its current values."),
                          current=exc.current)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return json_error(404, _("Not found, or not in your scope."))

    @api.exception_handler(PermissionDenied)
    def denied(request, exc):
        message = str(exc) or _("You may not do this.")
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        audit_log(actor=user, username=getattr(user, "username", "") or "", action="access.denied",
                  object_type="url", object_repr=request.path[:200], success=False, message=message[:500],
                  ip_address=client_ip(request))
        return json_error(403, message)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        response = json_error(401, _("Sign in, or send a valid API token: Authorization: Bearer <token>."))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request, exc):
        response = json_error(429, _("Too many requests; try again later."))
        wait = getattr(request, "_api_retry_after", None)
        if wait is not None:
            response["Retry-After"] = str(max(1, math.ceil(wait)))
        return response

    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request, exc):  # e.g. multipart/form-data without a boundary: the request, not the server
        return json_error(400, _("The request is not valid."))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request, exc):  # e.g. more than DATA_UPLOAD_MAX_NUMBER_FIELDS query parameters (Django: 400)
        return json_error(400, _("The request is not valid."))

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        messages = {400: _("The request is not valid."), 401: _("Sign in, or send a valid API token."),
                    403: _("You may not do this."), 404: _("Not found, or not in your scope."),
                    405: _("This method is not allowed here."), 409: _("The request conflicts with the record's state."),
                    413: _("The request is too large."), 415: _("Send JSON (Content-Type: application/json).")}
        return json_error(exc.status_code, messages.get(exc.status_code, _("The request is not valid.")))

    @api.exception_handler(Exception)
    def server_error(request, exc):
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
        return json_error(500, _("The server could not answer; the error was logged."))
