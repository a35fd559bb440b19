from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from taizhang.accounts.services import is_locked_out
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.forms import TzForm


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


class UserCreateForm(TzForm):
    username = forms.RegexField(
        label=_("user name"), max_length=150, regex=r"^[A-Za-z0-9_.@+-]+$",
        error_messages={"invalid": _("Use letters, digits and . _ @ + - only.")},
    )
    display_name = forms.CharField(label=_("display name"), max_length=50, required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput(render_value=False))


class RoleAssignForm(TzForm):
    role = forms.ChoiceField(label=_("role"))
    branch = forms.ModelChoiceField(label=_("branch"), queryset=None, required=False,
                                    help_text=_("Empty means the whole committee."))
    member = forms.ModelChoiceField(label=_("member record"), queryset=None, required=False,
                                    help_text=_("For the role “party member”: the ledger record of this person."))

    def __init__(self, *args, committee, **kwargs):
        from taizhang.accounts.models import Role
        from taizhang.members.models import Member
        from taizhang.organisation.models import Branch

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["branch"].queryset = Branch.objects.filter(committee=committee)
        self.fields["member"].queryset = Member.objects.filter(committee=committee, user__isnull=True)
