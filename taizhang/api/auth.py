"""Who is calling the API, and may they write.

Two ways in, tried in this order:

* ``TokenAuth``: ``Authorization: Bearer tzk_…`` — a personal access token (``taizhang.api.tokens``). A bad,
  expired or revoked token is a 401 at once (no fall-back to the session).
* ``SessionAuth``: the browser's session cookie, for same-origin calls from the pages; writes need the CSRF
  token (header ``X-CSRFToken``), as a form post would.

After authentication ``request.auth`` is the ``accounts.User`` (also set as ``request.user``), and
``request.api_token`` the ``ApiToken`` used (None for the session). Everything an endpoint reads or writes
then goes through that user's own scoping (``core.permissions``): the admin posts (system, security and audit
administrator) reach no member at all, through the API as on the pages. A write endpoint first calls
``require_write(request)``: a read-only token gets 403.

``TokenRate`` limits each token (or session user) to ``TAIZHANG_API_RATE_LIMIT`` requests (default
"120/min") in a fixed window counted in Django's cache (Redis in production, so every web process shares
the count); over it: 429 with Retry-After.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle

from taizhang.api.tokens import token_user
from taizhang.core.audit import set_audit_via


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``."""

    openapi_name = "token"

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if not header:
            return None
        parts = header.split(" ", 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise AuthenticationError()
        return self.authenticate(request, parts[1].strip())

    def authenticate(self, request, token):
        row = token_user(token)
        if row is None:
            raise AuthenticationError()
        user = row.user
        if user.must_change_password or user.password_reset_pending:
            raise PermissionDenied(_("Change your password on the site before using the API."))
        request.user = user
        request.api_token = row
        set_audit_via(_("API token %(prefix)s") % {"prefix": row.prefix})
        return user


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (same-origin calls from the pages), with Django's CSRF check on writes."""

    openapi_name = "session"
    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=False)  # checked below, with a Chinese answer

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        check = _CsrfCheck(lambda req: None)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason is not None:
            raise PermissionDenied(_("The CSRF check failed: send the X-CSRFToken header with a session."))
        request.api_token = None
        set_audit_via(_("API"))
        return user


def require_write(request) -> None:
    """Refuse (403) a write with a read-only token. Call first in every endpoint that changes something."""
    token = getattr(request, "api_token", None)
    if token is not None and token.read_only:
        raise PermissionDenied(_("This token is read-only; make a read-write token to change data."))


def parse_rate(rate: str) -> tuple[int, int]:
    """"120/min" → (120, 60). Units: s, sec, m, min, h, hour, d, day."""
    number, _slash, unit = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}[unit.strip().lower()]
    return int(number), seconds


class TokenRate(BaseThrottle):
    """A fixed window per token (or per session user): ``cache.add`` + ``cache.incr`` are atomic in Redis."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request) -> bool:
        limit, period = parse_rate(settings.API_RATE_LIMIT)
        token = getattr(request, "api_token", None)
        who = f"t{token.pk}" if token is not None else f"u{getattr(request.auth, 'pk', None)}"
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{who}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
        if count > limit:
            request._api_retry_after = (window + 1) * period - now
            return False
        return True

    def wait(self):
        return None  # the throttled request carries its own (see allow_request); set by the error handler
