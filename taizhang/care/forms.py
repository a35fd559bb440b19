from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.activities.content_forms import MultipleFileField
from taizhang.care.models import DEFAULT_PAPER, FESTIVALS, Mobility, Occasion, VisitMode
from taizhang.core.forms import TzForm, day_out_of_range
from taizhang.core.money import MoneyField, yuan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
GIFT_ROWS = 3


def member_label(member) -> str:
    return f"{member.name} · {member.branch.name}"


class ElderlyFilterForm(TzForm):
    day = forms.DateField(label=_("Count ages on"), required=False, widget=DATE)
    branch = forms.ModelChoiceField(label=_("branch"), queryset=None, required=False, empty_label=_("All branches"))
    q = forms.CharField(label=_("Name or household"), required=False, max_length=50)
    flag = forms.ChoiceField(label=_("Care flag"), required=False, choices=[
        ("", _("All")), ("alone", _("lives alone")), ("home_visit", _("needs visits at home")),
        ("housebound", _("Housebound or bedridden")), ("no_notes", _("No care notes yet"))])

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches

    def clean_day(self):
        """Ages are counted on this day: a year the calendar arithmetic cannot reach (year 6, found by the API
        fuzz) is refused on the field, as the reports refuse it."""
        day = self.cleaned_data.get("day")
        if message := day_out_of_range(day):
            raise forms.ValidationError(message)
        return day


class CareProfileForm(TzForm):
    lives_alone = forms.BooleanField(label=_("lives alone"), required=False)
    needs_home_visit = forms.BooleanField(label=_("needs visits at home"), required=False)
    mobility = forms.ChoiceField(label=_("mobility"), required=False, choices=[("", "—"), *Mobility.choices])
    living_situation = forms.CharField(label=_("living situation"), max_length=200, required=False,
                                       help_text=_("e.g. lives with a daughter, in a care home"))
    health = forms.CharField(label=_("health"), max_length=200, required=False)
    family_contact = forms.CharField(label=_("family contact"), max_length=100, required=False,
                                     help_text=_("Name and relation, e.g. 王芳（女儿）"))
    family_phone = forms.CharField(label=_("family contact's phone"), max_length=20, required=False)
    notes = forms.CharField(label=_("care notes"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))


class SubscriptionPreviewForm(TzForm):
    day = forms.DateField(label=_("Count ages on"), required=False, widget=DATE)


class SubscriptionConfirmForm(TzForm):
    day = forms.DateField(widget=forms.HiddenInput, required=False)
    paper = forms.CharField(label=_("newspaper"), max_length=50, initial=DEFAULT_PAPER)
    copies = forms.IntegerField(label=_("copies"), min_value=1, max_value=20, initial=1)
    price_fen = MoneyField(label=_("price per copy for the year"), allow_zero=True)


class SubscriptionAddForm(TzForm):
    member = forms.ModelChoiceField(label=_("newspaper recipient"), queryset=None)
    paper = forms.CharField(label=_("newspaper"), max_length=50, initial=DEFAULT_PAPER)
    copies = forms.IntegerField(label=_("copies"), min_value=1, max_value=20, initial=1)
    cost_fen = MoneyField(label=_("cost"), allow_zero=True)
    address = forms.CharField(label=_("delivery address"), max_length=200, required=False,
                              help_text=_("Empty: the household's address, else the member's residence."))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = member_label


class ReasonForm(TzForm):
    reason = forms.CharField(label=_("reason"), max_length=200)


class PlanForm(TzForm):
    branch = forms.ModelChoiceField(label=_("branch"), queryset=None)
    # A plan is per festival; other occasions (birthday, illness …) are recorded as visits directly.
    occasion = forms.ChoiceField(label=_("festival"), initial=Occasion.DOUBLE_NINTH,
                                 choices=[(o.value, o.label) for o in FESTIVALS])
    year = forms.IntegerField(label=_("year"), min_value=1901, max_value=2099)
    title = forms.CharField(label=_("title"), max_length=100, required=False,
                            help_text=_("Empty: e.g. “2026 Double Ninth Festival visits”."))
    starts_on = forms.DateField(label=_("visits from"), required=False, widget=DATE,
                                help_text=_("Empty: the two weeks before the festival."))
    ends_on = forms.DateField(label=_("visits until"), required=False, widget=DATE,
                              help_text=_("Empty: the festival day."))
    note = forms.CharField(label=_("remark"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class TargetForm(TzForm):
    visitors = forms.CharField(label=_("visitors"), max_length=200, required=False)
    planned_on = forms.DateField(label=_("planned for"), required=False, widget=DATE)
    declined = forms.BooleanField(label=_("declined a visit"), required=False)
    decline_reason = forms.CharField(label=_("reason"), max_length=200, required=False)


class VisitForm(TzForm):
    members = forms.ModelMultipleChoiceField(label=_("members met"), queryset=None,
                                             widget=forms.SelectMultiple(attrs={"size": 6}))
    occasion = forms.ChoiceField(label=_("occasion"), choices=Occasion.choices, required=False)
    visited_on = forms.DateField(label=_("date of the visit"), widget=DATE)
    mode = forms.ChoiceField(label=_("how"), choices=VisitMode.choices, widget=forms.RadioSelect)
    visitors = forms.CharField(label=_("visitors"), max_length=200)
    talk = forms.CharField(label=_("what was talked about"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    needs = forms.CharField(label=_("what they need"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleFileField(label=_("photos"), required=False)

    def __init__(self, *args, members, items, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
        self.fields["members"].label_from_instance = member_label
        if plan is not None:
            del self.fields["occasion"]
        else:  # every elderly member in scope: the page searches them (care/partials/member_picker.html)
            self.fields["members"].widget = forms.MultipleHiddenInput()
        for i in range(GIFT_ROWS):
            self.fields[f"gift_item_{i}"] = forms.ModelChoiceField(
                label=_("gift"), queryset=items, required=False, empty_label="—")
            self.fields[f"gift_item_{i}"].label_from_instance = lambda item: f"{item.name}（{item.stock}{item.unit}）"
            self.fields[f"gift_quantity_{i}"] = forms.IntegerField(label=_("quantity"), required=False, min_value=1,
                                                                  max_value=10000)

    def gift_rows(self):
        return [(self[f"gift_item_{i}"], self[f"gift_quantity_{i}"]) for i in range(GIFT_ROWS)]

    def gifts(self):
        data = self.cleaned_data
        rows = [(data.get(f"gift_item_{i}"), data.get(f"gift_quantity_{i}")) for i in range(GIFT_ROWS)]
        return [(item, quantity or 0) for item, quantity in rows if item is not None or quantity]


class ItemForm(TzForm):
    name = forms.CharField(label=_("item"), max_length=50)
    unit = forms.CharField(label=_("unit"), max_length=10, help_text=_("e.g. 个, 本 or 份"))
    low_stock = forms.IntegerField(label=_("low-stock warning at"), min_value=0, initial=5)


class StockInForm(TzForm):
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=1000000)
    day = forms.DateField(label=_("date"), widget=DATE)
    supplier = forms.CharField(label=_("supplier"), max_length=100, required=False)
    unit_price_fen = MoneyField(label=_("unit price"), required=False, allow_zero=True)
    expense = forms.ModelChoiceField(label=_("expense (optional)"), queryset=None, required=False)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)

    def __init__(self, *args, expenses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expense"].queryset = expenses
        self.fields["expense"].label_from_instance = lambda e: f"{e.spent_on} {e.payee} {yuan(e.amount_fen)}"


class StockOutForm(TzForm):
    member = forms.ModelChoiceField(label=_("received by"), queryset=None, required=False)
    activity = forms.ModelChoiceField(label=_("activity"), queryset=None, required=False)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=1000000)
    day = forms.DateField(label=_("date"), widget=DATE)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)

    def __init__(self, *args, members, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = member_label
        self.fields["member"].widget = forms.HiddenInput()  # searched, never listed (member_picker.html)
        self.fields["activity"].queryset = activities


class BookForm(TzForm):
    spent_on = forms.DateField(label=_("date of the expense"), widget=DATE)
    payee = forms.CharField(label=_("paid to"), max_length=100, initial="中国邮政")
    receipt_no = forms.CharField(label=_("receipt number"), max_length=50, required=False)
    decision = forms.CharField(label=_("decision (meeting)"), max_length=200,
                               help_text=_("The collective decision, e.g. “2026年12月支委会”."))
    decided_on = forms.DateField(label=_("date of the decision"), widget=DATE)
    confirm_over_budget = forms.BooleanField(label=_("record it even if the line goes over its plan"), required=False)


class StockBookForm(BookForm):
    """Book a stock-in's cost: who was paid, the receipt and its scans, the decision it rests on."""

    scans = MultipleFileField(label=_("scans of the receipt or invoice"), required=False)


class PlanAddForm(TzForm):
    member = forms.ModelChoiceField(label=_("Add a member"), queryset=None,
                                    help_text=_("Elderly members of the branch not in the plan yet, e.g. who "
                                                "turned 60 after it was made."))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: m.name
