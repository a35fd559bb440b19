from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.services import is_locked_out
from taizhang.core.audit import audit_log, client_ip


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or password is wrong."),
        "inactive": _("This account is disabled."),
        "locked": _("Too many failed attempts: this account is locked for %(minutes)d minutes."),
    }

    def clean(self):
        from django.conf import settings

        username = self.cleaned_data.get("username", "")
        if username and is_locked_out(username):
            audit_log(actor=None, username=username, action="auth.login_locked", object_type="accounts.user",
                      object_repr=username, success=False, ip_address=client_ip(self.request))
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOCKOUT_MINUTES}
            )
        return super().clean()
