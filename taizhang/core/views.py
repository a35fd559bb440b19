"""Home page and the error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from taizhang.core.audit import audit_log, client_ip


def permission_denied(request, exception=None):
    user = getattr(request, "user", None)
    audit_log(
        actor=user,
        username=getattr(user, "username", "") or "",
        action="access.denied",
        object_type="url",
        object_repr=request.path[:200],
        success=False,
        message=str(exception or "")[:500],
        ip_address=client_ip(request),
    )
    return render(request, "403.html", {"exception": exception}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    return render(request, "500.html", status=500)
