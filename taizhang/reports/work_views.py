"""The worklist, the notices and the reminder preferences (thin: scope → compute → render)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from taizhang.core.paging import page_of, pager_query
from taizhang.reports import notices as svc
from taizhang.reports import worklist as wl
from taizhang.reports.models import Channel, ReminderKind

PAGE_SIZE = 50
NOTICES_PAGE_SIZE = 20


def _require_worklist(user):
    if not wl.may_see_worklist(user):
        raise PermissionDenied(_("Your role does not give access to the worklist."))


@login_required
@require_GET
def worklist_page(request):
    _require_worklist(request.user)
    today = timezone.localdate()
    items = wl.worklist(request.user, today)
    return render(request, "reports/worklist.html", {
        "items": items, "today": today, "open": sum(1 for i in items if i.level != "success")})


@login_required
@require_GET
def worklist_item(request, key):
    """All the members of one member rule (paged): the card's "more"."""
    _require_worklist(request.user)
    if key not in wl.MEMBER_RULES:
        raise Http404
    if not wl.member_rule_allowed(request.user, key):
        raise PermissionDenied(_("Your role does not give access to this item of the worklist."))
    today = timezone.localdate()
    members = wl.MEMBER_RULES[key](request.user, today)
    page = page_of(request, members, PAGE_SIZE)
    rows = [(m, wl.member_entry(key, m)) for m in page.object_list]
    action_url, action_label = wl.member_rule_action(key)
    return render(request, "reports/worklist_item.html", {
        "key": key, "title": wl.member_rule_title(key), "hint": wl.member_rule_hint(key), "page": page,
        "rows": rows, "query": pager_query(request), "action_url": action_url, "action_label": action_label})


@login_required
@require_GET
def notice_list(request):
    notices = svc.notices_for(request.user)
    page = page_of(request, notices, NOTICES_PAGE_SIZE)
    base = request.build_absolute_uri("/")
    rows = [(n, svc.wechat_text(n, base)) for n in page.object_list]
    return render(request, "reports/notices.html", {"page": page, "rows": rows, "query": pager_query(request)})


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def notice_read(request, pk):
    """Mark one notice read and go to its link (``open``) or back to the list."""
    notice = svc.notices_for(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    svc.notice_mark_read(actor=request.user, notice_id=notice.pk)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(notice.link, allowed_hosts={request.get_host()},
                                                                    require_https=request.is_secure()):
        return redirect(notice.link)
    return redirect(_back(request, "reports:notices"))


@login_required
@require_POST
def notice_read_all(request):
    n = svc.notice_mark_all_read(actor=request.user)
    messages.success(request, _("%(n)d notices marked as read.") % {"n": n})
    return redirect(_back(request, "reports:notices"))


@login_required
@require_http_methods(["GET", "POST"])
def preferences_page(request):
    """Which reminders the user wants, per kind and channel (a table of check boxes)."""
    kinds = [(k, label) for k, label in ReminderKind.choices
             if k != ReminderKind.WORKLIST or wl.may_see_worklist(request.user)]
    if request.method == "POST":
        wanted = {(k, c) for k, _label in kinds for c in Channel.values if request.POST.get(f"{k}:{c}")}
        # kinds not offered to this user keep their current setting
        current = svc.preferences(request.user)
        offered = {k for k, _label in kinds}
        wanted |= {pair for pair, on in current.items() if on and pair[0] not in offered}
        svc.reminder_preferences_set(actor=request.user, wanted=wanted)
        messages.success(request, _("Your reminder settings were saved."))
        return redirect("reports:notice_preferences")
    current = svc.preferences(request.user)
    rows = [(k, label, [(c, clabel, current[(k, c)]) for c, clabel in Channel.choices]) for k, label in kinds]
    return render(request, "reports/notice_preferences.html", {
        "rows": rows, "channels": Channel.choices, "email": request.user.email})
