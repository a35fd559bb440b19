"""Idle session timeout (15 minutes for admin posts, 30 for others) and an absolute limit (12 hours)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from taizhang.core.permissions import roles_of

ADMIN_POSTS = {"system_admin", "security_admin", "audit_admin"}


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get("last_seen")
            minutes = (
                settings.ADMIN_IDLE_TIMEOUT_MINUTES if roles_of(user) & ADMIN_POSTS else settings.IDLE_TIMEOUT_MINUTES
            )
            started = request.session.setdefault("started", now)
            if last is not None and now - last > minutes * 60:
                logout(request)
                messages.info(request, _("You were signed out after %(n)d minutes without activity.") % {"n": minutes})
            elif now - started > settings.SESSION_ABSOLUTE_HOURS * 3600:
                logout(request)
                messages.info(request, _("You were signed out because a session lasts at most %(n)d hours.") % {"n": settings.SESSION_ABSOLUTE_HOURS})
            else:
                request.session["last_seen"] = now
        return self.get_response(request)
