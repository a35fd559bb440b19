"""/api/v1/: the NinjaAPI's URLs, each view run inside ``audit_via`` (the audit entries written by the request
say it came through the API), and a JSON 404 for any other path under /api/v1/ (never the HTML page)."""

import functools

from django.urls import re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from taizhang.api.api import api
from taizhang.api.errors import json_error
from taizhang.core.audit import audit_via


def _through_api(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        with audit_via(""):  # the authentication names the channel (auth.py) for the rest of the request
            response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")  # ninja's plain-text 405, as JSON like every other error
            response = json_error(405, _("This method is not allowed here."))
            response["Allow"] = allowed
        return response

    return wrapped


@csrf_exempt
def not_found(request, rest=""):
    return json_error(404, _("There is no such API endpoint."))


ninja_patterns, app_name, _namespace = api.urls  # app_name "ninja"; the instance namespace is "api-v1"
for pattern in ninja_patterns:
    pattern.callback = _through_api(pattern.callback)

urlpatterns = [*ninja_patterns, re_path(r"^(?P<rest>.*)$", not_found)]
