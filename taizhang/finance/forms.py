from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.activities.content_forms import MultipleFileField
from taizhang.core.forms import TzForm
from taizhang.core.money import MoneyField
from taizhang.finance.models import DuesKind, GiftMethod

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


class BudgetLineForm(TzForm):
    planned_fen = MoneyField(label=_("planned"), allow_zero=True)
    reason = forms.CharField(label=_("reason"), max_length=200)


class PeriodForm(TzForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)


class ExpenseForm(TzForm):
    line = forms.ModelChoiceField(label=_("budget line"), queryset=None)
    spent_on = forms.DateField(label=_("date"), widget=DATE)
    amount_fen = MoneyField(label=_("amount"))
    payee = forms.CharField(label=_("payee"), max_length=100)
    description = forms.CharField(label=_("description"), max_length=300)
    receipt_no = forms.CharField(label=_("receipt or invoice number"), max_length=50, required=False)
    decision_activity = forms.ModelChoiceField(label=_("decided at meeting"), queryset=None, required=False,
                                               help_text=_("A meeting recorded under organisational life, e.g. a 支委会."))
    decision = forms.CharField(label=_("or the decision entered by hand"), max_length=200, required=False,
                               help_text=_("The meeting that decided it, when it is not recorded as an activity."))
    decided_on = forms.DateField(label=_("decided on"), widget=DATE)
    scans = MultipleFileField(label=_("scans of the receipt or invoice"), required=False)
    confirm_over_budget = forms.BooleanField(label=_("I know this takes the line over its plan"), required=False)

    def __init__(self, *args, lines, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines
        self.fields["line"].label_from_instance = lambda line: line.use.name
        self.fields["decision_activity"].queryset = meetings
        self.fields["decision_activity"].label_from_instance = (
            lambda a: f"{timezone.localdate(a.starts_at).isoformat()} {a.title}")


class DuesBaseForm(TzForm):
    kind = forms.ChoiceField(label=_("kind of base"), choices=DuesKind.choices)
    income_fen = MoneyField(label=_("monthly income after tax or pension"), required=False, allow_zero=True)
    flat_fen = MoneyField(label=_("fixed monthly amount (farmers: 0.20 to 1.00)"), required=False)
    applies_from = forms.DateField(label=_("applies from"), widget=DATE)


class DuesPaymentForm(TzForm):
    period_from = forms.DateField(label=_("first month"), widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                                  input_formats=["%Y-%m", "%Y-%m-%d"])
    months = forms.IntegerField(label=_("months"), min_value=1, max_value=24, initial=1)
    amount_fen = MoneyField(label=_("amount"))
    paid_on = forms.DateField(label=_("date paid"), widget=DATE)
    method = forms.ChoiceField(label=_("method"), choices=GiftMethod.choices, initial=GiftMethod.CASH)
    paid_by = forms.CharField(label=_("paid on behalf by"), max_length=50, required=False,
                              help_text=_("When someone else pays for the member (代缴)."))
    voluntary = forms.BooleanField(label=_("voluntary payment to the central organisation (above 1000 yuan)"),
                                   required=False)
