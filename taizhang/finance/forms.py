from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.forms import TzForm
from taizhang.core.money import MoneyField
from taizhang.finance.models import GiftMethod

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(TzForm):
    title = forms.CharField(label=_("title"), max_length=100)
    purpose = forms.CharField(label=_("purpose"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("start"), widget=DATE)
    deadline = forms.DateField(label=_("deadline"), widget=DATE)
    target_fen = MoneyField(label=_("target (optional)"), required=False)
    outsiders_allowed = forms.BooleanField(label=_("people outside the ledger may give"), required=False, initial=True)


class GiftForm(TzForm):
    member = forms.ModelChoiceField(label=_("member"), queryset=None, required=False,
                                    help_text=_("A member of the ledger; or leave empty and enter the giver's name."))
    giver_name = forms.CharField(label=_("giver (not in the ledger)"), max_length=50, required=False)
    amount_fen = MoneyField(label=_("amount"))
    received_on = forms.DateField(label=_("date received"), widget=DATE)
    method = forms.ChoiceField(label=_("method"), choices=GiftMethod.choices)
    receipt_no = forms.CharField(label=_("receipt number"), max_length=50, required=False)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)
    thanks_opt_out = forms.BooleanField(label=_("leave off the thank-you list"), required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: f"{m.name} · {m.branch.name}"


class ReverseForm(TzForm):
    reason = forms.CharField(label=_("reason"), max_length=200)


class HandoverForm(TzForm):
    amount_fen = MoneyField(label=_("amount"))
    handed_on = forms.DateField(label=_("date handed over"), widget=DATE)
    recipient = forms.CharField(label=_("recipient"), max_length=100)
    receipt_no = forms.CharField(label=_("receipt number"), max_length=50, required=False)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)
