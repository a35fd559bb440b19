from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from taizhang.accounts import services
from taizhang.accounts.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
@require_POST
def display_toggle(request):
    """Elderly mode: switch large text or high contrast for this user (saved on the user), then go back."""
    option = request.POST.get("option", "")
    try:
        services.user_set_display(actor=request.user, option=option, on=request.POST.get("on") == "1")
    except ValidationError:
        return HttpResponseBadRequest()
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "/"
    return redirect(back)
