from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.policy import FIELDS, current_policy
from taizhang.accounts.services import SignIn, sign_in
from taizhang.accounts.validators import PolicyPasswordValidator
from taizhang.core.forms import TzForm


class LoginForm(AuthenticationForm):
    """Sign-in through ``services.sign_in``, which counts failures and locks the user name."""

    error_messages = {
        "invalid_login": _("The user name or password is wrong."),
        "inactive": _("This account is disabled."),
        "locked_now": _("The user name or password is wrong. After %(failures)d failed attempts in a row this "
                        "account is locked for %(minutes)d minutes."),
        "locked": _("Too many failed attempts: this account is locked for %(minutes)d minutes."),
        "reset_pending": _("This account's password was reset by the system administrator: it works once the "
                           "security administrator has confirmed the reset."),
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        outcome, user = sign_in(request=self.request, username=username, password=password)
        policy = current_policy()
        params = {"minutes": policy.lockout_minutes, "failures": policy.lockout_failures}
        if outcome is SignIn.LOCKED:
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params=params)
        if outcome is SignIn.LOCKED_NOW:
            raise forms.ValidationError(self.error_messages["locked_now"], code="locked_now", params=params)
        if outcome is SignIn.RESET_PENDING:
            raise forms.ValidationError(self.error_messages["reset_pending"], code="reset_pending")
        if outcome is SignIn.WRONG:
            raise self.get_invalid_login_error()
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data


def _password_help():
    return PolicyPasswordValidator().get_help_text()


class UserCreateForm(TzForm):
    username = forms.RegexField(
        label=_("user name"), max_length=150, regex=r"^[A-Za-z0-9_.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and . _ @ + - only.")},
    )
    display_name = forms.CharField(label=_("display name"), max_length=50, required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("The user must change it at the first sign-in."))


class PasswordResetForm(TzForm):
    password = forms.CharField(label=_("new password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("The user must change it at the next sign-in."))


class PasswordChangeForm(TzForm):
    current_password = forms.CharField(label=_("current password"), strip=False,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("new password"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("new password again"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = _password_help()

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class RoleAssignForm(TzForm):
    role = forms.ChoiceField(label=_("role"))
    branch = forms.ModelChoiceField(label=_("branch"), queryset=None, required=False,
                                    help_text=_("Empty means the whole committee."))
    member = forms.ModelChoiceField(label=_("member record"), queryset=None, required=False,
                                    help_text=_("For the role “party member”: the ledger record of this person."))

    def __init__(self, *args, committee, **kwargs):
        from taizhang.accounts import hooks
        from taizhang.accounts.models import Role
        from taizhang.organisation.models import Branch

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["branch"].queryset = Branch.objects.filter(committee=committee)
        listeners = hooks.linkable_records.listeners()
        if not listeners:  # no ledger app: a login cannot be linked to a record
            del self.fields["member"]
            return
        self.fields["member"].queryset = listeners[0].function(committee=committee)
        self.fields["member"].label_from_instance = listeners[0].options["label"]


class SecurityPolicyForm(TzForm):
    """One whole-number field per policy number; the service checks the ranges."""

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        for f in FIELDS:
            model_field = policy._meta.get_field(f.name)
            self.fields[f.name] = forms.IntegerField(
                label=model_field.verbose_name, initial=getattr(policy, f.name),
                help_text=_("From %(min)d to %(max)d.") % {"min": f.minimum, "max": f.maximum},
            )
