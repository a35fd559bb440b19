"""Logging filters (wired in config/settings.py ``LOGGING``). Nothing here may import models: logging is
configured before the apps are loaded."""

import logging


class ForbiddenOneLine(logging.Filter):
    """A 403 on ``django.request`` becomes one line naming the user and the path, without a traceback.

    Django logs a ``PermissionDenied`` with the exception attached, so every refused click wrote a
    traceback into the server log; a refusal is the permission system working, not a fault. The line keeps
    what an operator or an auditor needs: who (user name or ``anonymous``), what (method and path; no query
    string, which may carry search terms) and the status.
    """

    def filter(self, record):
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            who = user.get_username()
        else:
            who = "anonymous"
        record.msg = "Forbidden (403): user=%s %s %s"
        record.args = (who, getattr(request, "method", "-"), getattr(request, "path", "-"))
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
