"""The token pages (account menu → API 令牌): a user makes a token (name, days, read-only or read-write) and
sees it once, lists and revokes their own; the security admin lists and revokes those of their committees'
accounts. Thin: form → service (``tokens.py``, audited) → page."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from taizhang.api import tokens
from taizhang.core.errors import service_message, service_on_form
from taizhang.core.forms import TzForm
from taizhang.core.paging import page_of, pager_query

PAGE_SIZE = 20


class TokenForm(TzForm):
    name = forms.CharField(label=gettext_lazy("name"), max_length=100,
                           help_text=gettext_lazy("What the token is for, e.g. 区委组织部对接 or 手机应用."))
    days = forms.IntegerField(label=gettext_lazy("valid for (days)"), min_value=1)
    access = forms.ChoiceField(label=gettext_lazy("access"), choices=[
        ("read", gettext_lazy("Read only")), ("write", gettext_lazy("Read and write"))], initial="read",
        widget=forms.RadioSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        most = tokens.max_days()  # the service refuses more (its message lands on this field)
        self.fields["days"].widget.attrs["max"] = most
        self.fields["days"].initial = most
        self.fields["days"].help_text = _("At most %(n)d days.") % {"n": most}


@login_required
def token_list(request):
    """The user's tokens (and, for the security admin, those of their committees' accounts); the form that
    makes one. A token just made is shown on this answer only — it is not stored anywhere readable."""
    form = TokenForm(request.POST or None)
    made = None
    if request.method == "POST" and form.is_valid():
        created = {}

        def create():
            created["token"], created["secret"] = tokens.api_token_create(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"],
                read_only=form.cleaned_data["access"] == "read")
            return created["token"]

        if service_on_form(request, form, create, _("The token has been made. Copy it now: it is shown only this once.")):
            made, form = created, TokenForm()
    rows = tokens.tokens_managed_by(request.user)
    page = page_of(request, rows, PAGE_SIZE)
    return render(request, "api/token_list.html", {
        "form": form, "made": made, "page": page, "query": pager_query(request), "now": timezone.now(),
        "manages_all": tokens.may_manage_all(request.user), "docs_url": reverse("api-v1:openapi-view"),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(tokens.tokens_managed_by(request.user), pk=pk)
    service_message(request, lambda: tokens.api_token_revoke(actor=request.user, token=token),
                    _("The token %(name)s has been revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
