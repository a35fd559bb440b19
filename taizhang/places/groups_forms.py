"""Forms of the groups area of 党员之家 (the checks that matter are the services')."""

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.activities.content_forms import MultipleFileField
from taizhang.core.forms import TzForm
from taizhang.places.models import ContestMode

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.branch.name}"


class ActivityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.date:%Y-%m-%d} {obj.title}"


class GroupForm(TzForm):
    name = forms.CharField(label=_("Group name"), max_length=50)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    leader = MemberChoiceField(label=_("Group leader"), queryset=None, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = members


class MembershipAddForm(TzForm):
    member = MemberChoiceField(label=_("Member"), queryset=None)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE)
    note = forms.CharField(label=_("remark"), required=False, max_length=200)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members


class MembershipEndForm(TzForm):
    left_on = forms.DateField(label=_("Left on"), required=False, widget=DATE)


class ActivityLinkForm(TzForm):
    activity = ActivityChoiceField(label=_("Activity"), queryset=None)

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities


class ContestForm(TzForm):
    activity = ActivityChoiceField(label=_("Activity"), queryset=None)
    mode = forms.ChoiceField(label=_("How results are decided"), choices=ContestMode.choices)
    categories = forms.CharField(label=_("Categories"), required=False, max_length=200,
                                 help_text=_("Separated by commas, e.g. 楷书, 行书, 国画."))

    def __init__(self, *args, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities


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

    def __init__(self, *args, members, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        if categories:
            self.fields["category"] = forms.ChoiceField(label=_("Category"), required=False,
                                                        choices=[("", "—"), *[(c, c) for c in categories]])
