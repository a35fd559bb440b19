"""Members' own correction requests (phone, address, work situation) and the staff's decisions. Thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.errors import form_errors_from
from taizhang.core.permissions import has_capability
from taizhang.members import selectors, services
from taizhang.members.forms import ChangeDecisionForm, ChangeRequestForm
from taizhang.members.models import ChangeRequestStatus

PAGE_SIZE = 20
FIELD_LABELS = {
    "phone": _("mobile phone"),
    "residence": _("residence address"),
    "employment_status": _("employment status"),
    "employer": _("employer"),
    "industry": _("industry"),
    "position": _("position"),
}


def describe_changes(change_request, member=None) -> list[dict]:
    """``[{"label", "old", "new"}]`` for a request (the phone masked); ``old`` is the record now."""
    from taizhang.members.models import EmploymentStatus

    member = member or change_request.member
    rows = []
    if change_request.phone_encrypted:
        rows.append({"label": FIELD_LABELS["phone"], "old": member.phone_masked, "new": change_request.new_phone_masked})
    for name, value in change_request.changes.items():
        old = getattr(member, name) or ""
        if name == "employment_status":
            old = member.get_employment_status_display()
            value = EmploymentStatus(value).label if value in EmploymentStatus.values else value
        rows.append({"label": FIELD_LABELS.get(name, name), "old": old, "new": value})
    return rows


@login_required
def request_create(request, pk):
    member = selectors.member_get(request.user, pk, request=request)
    if member.user_id != request.user.pk:
        raise PermissionDenied(_("You can only ask to correct your own record."))
    form = ChangeRequestForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_request_submit(actor=request.user, member=member, data=form.service_data(),
                                           note=form.cleaned_data["note"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("Your request has been sent to the branch secretary. "
                                        "You can follow it on this page."))
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/change_request_form.html", {"form": form, "member": member})


def _require_decider(user):
    if not has_capability(user, "member.corrections"):
        raise PermissionDenied(_("Your role does not decide on members' correction requests."))


@login_required
def request_list(request):
    _require_decider(request.user)
    show_all = request.GET.get("status") == "all"
    queryset = selectors.change_requests_to_decide(request.user, status=None if show_all else ChangeRequestStatus.PENDING)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(r, describe_changes(r)) for r in page.object_list]
    return render(request, "members/change_request_list.html", {
        "page": page, "rows": rows, "show_all": show_all, "query": "status=all" if show_all else "",
    })


@login_required
@require_POST
def request_decide(request, request_pk, decision):
    _require_decider(request.user)
    if decision not in ("approve", "reject"):
        raise Http404
    change_request = selectors.change_request_get(request.user, request_pk)
    form = ChangeDecisionForm(request.POST)
    form.is_valid()
    try:
        if decision == "approve":
            services.change_request_approve(actor=request.user, change_request=change_request)
            messages.success(request, _("The correction for %(name)s has been approved and saved to the record.")
                             % {"name": change_request.member.name})
        else:
            services.change_request_reject(actor=request.user, change_request=change_request,
                                           reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("The request of %(name)s has been rejected.") % {"name": change_request.member.name})
    except ValidationError as exc:
        for field, errs in (exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]):
            label = str(ChangeDecisionForm.base_fields[field].label) if field in ChangeDecisionForm.base_fields else (
                str(FIELD_LABELS.get(field, "")))
            messages.error(request, f"{change_request.member.name}：{label + '：' if label else ''}{'；'.join(errs)}")
    return redirect("members:change_requests")
