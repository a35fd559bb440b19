"""Home page and the error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from taizhang.core.audit import audit_log, client_ip
from taizhang.core.paging import page_of, pager_query


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


@login_required
def audit_log_list(request):
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from taizhang.core.filters import AuditFilter
    from taizhang.core.models import AuditEntry
    from taizhang.core.permissions import has_capability

    if not has_capability(request.user, "audit.view"):
        raise PermissionDenied(_("Only the audit administrator can read the audit log."))
    filterset = AuditFilter(request.GET, queryset=AuditEntry.objects.all())
    queryset = filterset.qs if filterset.is_valid() else AuditEntry.objects.none()
    page = page_of(request, queryset.order_by("-timestamp", "-id"), 50)
    template = "core/partials/audit_table.html" if request.htmx else "core/audit_list.html"
    return render(request, template, {"filter": filterset, "page": page, "query": pager_query(request)})


@login_required
def security_alerts(request):
    """The security alerts of the viewer's committees (security and audit administrators); opening the page
    marks the alerts shown as read for this viewer."""
    from django.conf import settings
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from taizhang.core import alerts
    from taizhang.core.permissions import has_capability

    if not has_capability(request.user, "security.alerts"):
        raise PermissionDenied(_("Only the security and audit administrators see the security alerts."))
    queryset = alerts.alert_queryset(request.user)
    unread = set(queryset.exclude(reads__user=request.user).values_list("pk", flat=True))
    page = page_of(request, queryset, 50)
    rows = [{"alert": a, "unread": a.pk in unread} for a in page.object_list]
    alerts.security_alerts_mark_read(actor=request.user, alerts=page.object_list)
    return render(request, "core/security_alerts.html", {
        "page": page, "rows": rows, "can_audit": has_capability(request.user, "audit.view"),
        "reveal_limit": settings.REVEAL_LIMIT, "reveal_window": settings.REVEAL_WINDOW_MINUTES,
    })
