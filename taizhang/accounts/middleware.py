"""Session limits and the forced password change, with the numbers of the security policy.

* ``SessionTimeoutMiddleware``: the idle timeout (shorter for the admin posts) and the absolute limit.
* ``PasswordChangeRequiredMiddleware``: an account that must change its password (new, reset by an
  admin, or no longer meeting the policy) reaches nothing but the change page, sign-out and static files.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.urls import reverse
from django.utils.translation import gettext as _

from taizhang.accounts.models import ADMIN_POSTS
from taizhang.accounts.policy import current_policy
from taizhang.core.htmx import full_redirect
from taizhang.core.permissions import roles_of


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            policy = current_policy()
            now = time.time()
            last = request.session.get("last_seen")
            minutes = (
                policy.admin_idle_timeout_minutes if roles_of(user) & ADMIN_POSTS else policy.idle_timeout_minutes
            )
            started = request.session.setdefault("started", now)
            if last is not None and now - last > minutes * 60:
                logout(request)
                messages.info(request, _("You were signed out after %(n)d minutes without activity.") % {"n": minutes})
            elif now - started > policy.session_absolute_hours * 3600:
                logout(request)
                messages.info(request, _("You were signed out because a session lasts at most %(n)d hours.")
                              % {"n": policy.session_absolute_hours})
            else:
                request.session["last_seen"] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password and not self._allowed(request):
            return full_redirect(request, reverse("accounts:password_change"))
        return self.get_response(request)

    @staticmethod
    def _allowed(request) -> bool:
        path = request.path_info
        # the JSON API answers such an account itself, with a JSON 403 instead of a redirect to a page
        return path in (reverse("accounts:password_change"), reverse("accounts:logout")) or path.startswith(
            (settings.STATIC_URL, "/api/")
        )
