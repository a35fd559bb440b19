"""Forms of the talks area (谈心谈话)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.forms import TzForm
from taizhang.places.models.talks import DEFAULT_PLACE, TalkKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TalkForm(TzForm):
    members = forms.ModelMultipleChoiceField(label=_("talked with"), queryset=None,
                                             widget=forms.MultipleHiddenInput())
    held_on = forms.DateField(label=_("date of the talk"), widget=DATE)
    kind = forms.ChoiceField(label=_("kind of talk"), choices=TalkKind.choices)
    place = forms.CharField(label=_("place"), max_length=100, required=False, initial=DEFAULT_PLACE,
                            widget=forms.TextInput(attrs={"list": "talk-places"}))
    talkers = forms.ModelMultipleChoiceField(
        label=_("other talkers"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("You are recorded as a talker; add the colleagues who talked with you."))
    topics = forms.CharField(label=_("topics"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    content = forms.CharField(label=_("what was said"), max_length=10000, required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))
    agreed = forms.CharField(label=_("what was agreed"), max_length=4000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    follow_up_on = forms.DateField(label=_("follow up on"), required=False, widget=DATE)

    def __init__(self, *args, members, talkers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = members
        self.fields["talkers"].queryset = talkers
        self.fields["talkers"].label_from_instance = lambda u: u.display_name or u.get_username()


class ReaderForm(TzForm):
    username = forms.CharField(label=_("login name"), max_length=150)


class TargetForm(TzForm):
    target_per_year = forms.IntegerField(label=_("talks per member and year"), min_value=1, max_value=12)
