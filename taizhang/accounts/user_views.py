"""User and role administration for the system admin (三员: system admin manages logins and roles)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts import selectors, services
from taizhang.accounts.forms import RoleAssignForm, UserCreateForm
from taizhang.accounts.models import RoleAssignment
from taizhang.core.permissions import has_capability


def _committee(user):
    if not has_capability(user, "users.manage"):
        raise PermissionDenied(_("Only the system administrator manages users and roles."))
    return selectors.managed_committees(user).first()


@login_required
def user_list(request):
    committee = _committee(request.user)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errs in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else "password", errs)
        else:
            messages.success(request, _("User %(u)s has been created. Now give them a role.") % {"u": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    users = selectors.users_of([committee])
    return render(request, "accounts/user_list.html", {"users": users, "form": form, "committee": committee})


@login_required
def user_detail(request, pk):
    committee = _committee(request.user)
    user = get_object_or_404(selectors.users_of([committee]), pk=pk)
    form = RoleAssignForm(request.POST or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_assign(actor=request.user, user=user, role=form.cleaned_data["role"], committee=committee,
                                 branch=form.cleaned_data["branch"], member=form.cleaned_data["member"])
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("The role has been given."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_detail.html", {"the_user": user, "form": form, "committee": committee,
                                                          "assignments": user.role_assignments.select_related("branch", "committee")})


@login_required
@require_POST
def role_revoke(request, pk):
    committee = _committee(request.user)
    assignment = get_object_or_404(RoleAssignment.objects.filter(committee=committee), pk=pk)
    services.role_revoke(actor=request.user, assignment=assignment)
    messages.success(request, _("The role has been removed."))
    return redirect("accounts:user_detail", pk=assignment.user_id)
