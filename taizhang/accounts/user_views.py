"""Accounts and roles (三员分立): the system admin manages accounts (create, deactivate, unlock, reset
passwords), the security admin gives and removes roles and sets the security policy. Both see the same
list of accounts, never anyone's personal data. Every user changes their own password here too."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from taizhang.accounts import selectors, services
from taizhang.accounts.forms import (
    PasswordChangeForm,
    PasswordResetForm,
    RoleAssignForm,
    SecurityPolicyForm,
    UserCreateForm,
)
from taizhang.accounts.models import RoleAssignment
from taizhang.accounts.policy import current_policy
from taizhang.core.errors import error_text, form_errors_from, service_message, service_on_form
from taizhang.core.paging import page_of
from taizhang.core.permissions import has_capability


def _committee(user):
    if not (has_capability(user, "users.manage") or has_capability(user, "roles.manage")):
        raise PermissionDenied(_("Only the system administrator and the security administrator manage accounts."))
    return selectors.managed_committees(user).first()


def _require(user, capability, message):
    if not has_capability(user, capability):
        raise PermissionDenied(message)


def _managed_user(request, pk):
    committee = _committee(request.user)
    return committee, get_object_or_404(selectors.users_of([committee]), pk=pk)


USERS_PAGE_SIZE = 50  # every member with a login is a user: thousands in a big committee


@login_required
def user_list(request):
    committee = _committee(request.user)
    can_manage = has_capability(request.user, "users.manage")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST":
        _require(request.user, "users.manage", _("Only the system administrator creates accounts."))
        if form.is_valid():
            try:
                user = services.user_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("User %(u)s has been created. The security administrator gives the "
                                            "roles.") % {"u": user.username})
                return redirect("accounts:user_detail", pk=user.pk)
    page = page_of(request, selectors.users_of([committee]), USERS_PAGE_SIZE)
    return render(request, "accounts/user_list.html", {
        "users": list(page.object_list), "page": page, "form": form if can_manage else None, "committee": committee,
        "locked": selectors.locked_usernames(),
    })


@login_required
def user_detail(request, pk):
    committee, user = _managed_user(request, pk)
    can_roles = has_capability(request.user, "roles.manage", committee)
    can_accounts = has_capability(request.user, "users.manage", committee)
    form = RoleAssignForm(request.POST or None, committee=committee) if can_roles else None
    if request.method == "POST":
        _require(request.user, "roles.manage", _("Only the security administrator gives and removes roles."))
        if form.is_valid():
            try:
                services.role_assign(actor=request.user, user=user, role=form.cleaned_data["role"],
                                     committee=committee, branch=form.cleaned_data["branch"],
                                     member=form.cleaned_data.get("member"))
            except ValidationError as exc:
                form_errors_from(exc, form)
            else:
                messages.success(request, _("The role has been given."))
                user.refresh_from_db()
                if user.must_change_password and user.is_admin_post:
                    messages.warning(request, _("This account must change its password at the next sign-in: an "
                                                "admin post needs at least %(n)d characters.")
                                     % {"n": current_policy().admin_password_min_length})
                return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_detail.html", {
        "the_user": user, "form": form, "committee": committee, "can_roles": can_roles,
        "can_accounts": can_accounts, "is_self": user.pk == request.user.pk,
        "reset_form": PasswordResetForm() if can_accounts else None,
        "lock": selectors.lock_of(user.username) if can_accounts else None,
        "assignments": user.role_assignments.select_related("branch", "committee"),
    })


@login_required
@require_POST
def role_revoke(request, pk):
    committee = _committee(request.user)
    _require(request.user, "roles.manage", _("Only the security administrator gives and removes roles."))
    assignment = get_object_or_404(RoleAssignment.objects.filter(committee=committee), pk=pk)
    service_message(request, lambda: services.role_revoke(actor=request.user, assignment=assignment),
                    _("The role has been removed."))
    return redirect("accounts:user_detail", pk=assignment.user_id)


@login_required
@require_POST
def user_reset_password(request, pk):
    committee, user = _managed_user(request, pk)
    _require(request.user, "users.manage", _("Only the system administrator resets passwords."))
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            messages.error(request, _("The password was not reset: %(why)s") % {"why": error_text(exc)})
        else:
            messages.success(request, _("The password of %(u)s has been reset. It works once the security "
                                        "administrator has confirmed the reset, and must be changed at the next "
                                        "sign-in.") % {"u": user.username})
    else:
        messages.error(request, _("The password was not reset: enter the new password."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_confirm_password_reset(request, pk):
    committee, user = _managed_user(request, pk)
    _require(request.user, "roles.manage", _("Only the security administrator confirms a password reset."))
    service_message(request, lambda: services.user_confirm_password_reset(actor=request.user, user=user),
                    _("The password reset of %(u)s is confirmed: the new password works now.") % {"u": user.username})
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_set_active(request, pk):
    committee, user = _managed_user(request, pk)
    _require(request.user, "users.manage", _("Only the system administrator deactivates accounts."))
    active = request.POST.get("active") == "1"
    service_message(request, lambda: services.user_set_active(actor=request.user, user=user, active=active),
                    _("The account has been activated.") if active else _("The account has been deactivated."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_unlock(request, pk):
    committee, user = _managed_user(request, pk)
    _require(request.user, "users.manage", _("Only the system administrator unlocks accounts."))
    services.user_unlock(actor=request.user, username=user.username)
    messages.success(request, _("The account %(u)s has been unlocked.") % {"u": user.username})
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
def security_policy(request):
    _require(request.user, "security.manage", _("Only the security administrator sets the security policy."))
    policy = current_policy()
    form = SecurityPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        if service_on_form(request, form, lambda: services.security_policy_update(actor=request.user,
                                                                                  values=form.cleaned_data),
                           _("The security policy has been saved.")):
            return redirect("accounts:security_policy")
    return render(request, "accounts/security_policy.html", {"form": form, "policy": policy})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_change_password(actor=request.user, user=request.user,
                                                 current_password=form.cleaned_data["current_password"],
                                                 new_password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            update_session_auth_hash(request, user)  # this session stays; every other one ends
            messages.success(request, _("Your password has been changed. Your other sessions have ended and your "
                                        "calendar link has changed."))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form, "required": request.user.must_change_password})
