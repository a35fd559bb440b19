"""The organisation page: branches, their districts (editable mapping) and party groups."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.core.errors import error_text, service_message
from taizhang.core.permissions import VIEW, capability_committee_ids, committee_ids_for, has_capability
from taizhang.organisation import services
from taizhang.organisation.models import Branch, Committee, District


def _committees(user):
    """The committees whose organisation page the user opens: where they see people, and where they
    manage the organisation (the system admin sees no people but manages the tree)."""
    ids = committee_ids_for(user, VIEW) | capability_committee_ids(user, "organisation.manage")
    return Committee.objects.filter(pk__in=ids)


@login_required
def organisation(request):
    committees = list(_committees(request.user).select_related("superior"))
    if not committees:
        raise PermissionDenied(_("Your role does not give access to the organisation."))
    can_manage = has_capability(request.user, "organisation.manage")
    branches = (
        Branch.objects.filter(committee__in=committees)
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related("districts", "groups")
        .order_by("committee_id", "sort_order")
    )
    districts = District.objects.filter(committee__in=committees).select_related("branch").order_by("sort_order")
    return render(
        request,
        "organisation/organisation.html",
        {"committees": committees, "branches": branches, "districts": districts, "can_manage": can_manage},
    )


@login_required
@require_POST
def district_update(request, pk):
    if not has_capability(request.user, "organisation.manage"):
        raise PermissionDenied(_("Your role cannot change the district mapping."))
    district = get_object_or_404(District.objects.filter(committee__in=_committees(request.user)), pk=pk)
    branch_id = request.POST.get("branch", "").strip()
    branch = Branch.objects.filter(committee=district.committee, pk=branch_id).first() if branch_id.isdigit() else None
    if branch is None:
        messages.error(request, _("District %(d)s: choose one of the committee's branches.") % {"d": district.name})
        return redirect("organisation:index")
    service_message(request, lambda: services.district_set_branch(actor=request.user, district=district, branch=branch),
                    _("District %(d)s now maps to %(b)s.") % {"d": district.name, "b": branch.name})
    return redirect("organisation:index")


@login_required
@require_POST
def committee_superior(request, pk):
    if not has_capability(request.user, "organisation.manage", pk):
        raise PermissionDenied(_("Your role cannot change the organisation of this committee."))
    committee = get_object_or_404(_committees(request.user), pk=pk)
    try:
        committee = services.committee_set_superior(actor=request.user, committee=committee,
                                                    name=request.POST.get("superior", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if committee.superior_id:
            messages.success(request, _("%(c)s is now under %(s)s.") % {"c": committee.name, "s": committee.superior.name})
        else:
            messages.success(request, _("%(c)s has no superior organisation now.") % {"c": committee.name})
    return redirect("organisation:index")
