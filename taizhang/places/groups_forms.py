"""Forms of the groups area of 党员之家 (the checks that matter are the services')."""

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.activities.content_forms import MultipleFileField
from taizhang.core.forms import TzForm
from taizhang.places.models import ContestMode

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


ACTIVITIES_OFFERED = 100  # the newest activities an activity select offers
PICKER_SIZE = 50  # the members a select offers at once: the first ones, or those a search (``?q=``) found


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.branch.name}"


def _offer(field, queryset, shown) -> None:
    """Accept any record of ``queryset`` but render only ``shown`` (a page or a search's results), so a
    big committee is never rendered whole (issue 10: no page holds an unbounded list)."""
    field.queryset = queryset
    if shown is not None:
        field.widget.choices = [("", field.empty_label)] + [(m.pk, field.label_from_instance(m)) for m in shown]


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.date:%Y-%m-%d} {obj.title}"


class GroupForm(TzForm):
    name = forms.CharField(label=_("Group name"), max_length=50)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    leader = MemberChoiceField(label=_("Group leader"), queryset=None, required=False)

    def __init__(self, *args, members, shown=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self.fields["leader"], members, shown)


class MembershipAddForm(TzForm):
    member = MemberChoiceField(label=_("Member"), queryset=None)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE)
    note = forms.CharField(label=_("remark"), required=False, max_length=200)

    def __init__(self, *args, members, shown=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self.fields["member"], members, shown)


class MembershipEndForm(TzForm):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DATE)


class ActivityLinkForm(TzForm):
    activity = ActivityChoiceField(label=_("Activity"), queryset=None)

    def __init__(self, *args, activities, shown=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self.fields["activity"], activities, shown)


class ContestForm(TzForm):
    activity = ActivityChoiceField(label=_("Activity"), queryset=None)
    mode = forms.ChoiceField(label=_("How results are decided"), choices=ContestMode.choices)
    categories = forms.CharField(label=_("Categories"), required=False, max_length=200,
                                 help_text=_("Separated by commas, e.g. 楷书, 行书, 国画."))

    def __init__(self, *args, activities, shown=None, **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self.fields["activity"], activities, shown)


class AwardsForm(TzForm):
    awards = forms.CharField(label=_("Awards"), widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("One per line, best first: the award and how many, e.g. “一等奖 1”."))


class JudgeForm(TzForm):
    user = forms.ModelChoiceField(label=_("Judge"), queryset=None)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


class EntryForm(TzForm):
    member = MemberChoiceField(label=_("Member"), queryset=None)
    title = forms.CharField(label=_("Title of the work"), max_length=100)
    category = forms.CharField(label=_("Category"), required=False, max_length=30)
    files = MultipleFileField(label=_("Photos and files"))

    def __init__(self, *args, members, shown=None, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        _offer(self.fields["member"], members, shown)
        if categories:
            self.fields["category"] = forms.ChoiceField(label=_("Category"), required=False,
                                                        choices=[("", "—"), *[(c, c) for c in categories]])
