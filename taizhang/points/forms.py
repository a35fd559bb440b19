"""Forms of the points pages. The rules themselves are checked in the services."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.activities.models import ActivityType
from taizhang.core.forms import TzForm, day_out_of_range
from taizhang.members.forms import DateInput
from taizhang.members.models import Category
from taizhang.points import services
from taizhang.points.models import Platform, PointsSettings, RuleAction, StudyKind


class StudyRecordForm(TzForm):
    """The fields only read the input; ``services.validate_study_record`` checks them all at once, so every
    problem is shown together (not the unreadable ones first and the rest after the next submit)."""

    day = forms.DateField(label=_("date"), widget=DateInput(), initial=timezone.localdate, required=False,
                          error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")})
    kind = forms.ChoiceField(label=_("kind"), choices=StudyKind.choices, initial=StudyKind.SELF_STUDY,
                             widget=forms.RadioSelect, required=False,
                             error_messages={"invalid_choice": _("Choose the kind of record.")})
    title = forms.CharField(label=pgettext_lazy("study record", "title"), required=False,
                            help_text=_("For example: 学习《中国共产党章程》第一章"))
    content = forms.CharField(label=_("what was studied or done"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    hours = forms.DecimalField(label=_("hours"), required=False,
                               error_messages={"invalid": _("Enter the hours as a number, for example 1.5.")},
                               help_text=_("Needed for volunteer hours."))

    def clean(self):
        data = super().clean()
        try:
            data["title"], data["hours"] = services.validate_study_record(
                day=data.get("day"), kind=data.get("kind"), title=data.get("title"), hours=data.get("hours"),
                skip=set(self.errors))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
        return data


class DecisionForm(TzForm):
    note = forms.CharField(label=_("reason"), required=False, max_length=300,
                           help_text=_("Needed when rejecting; the member reads it."))


class RuleForm(TzForm):
    name = forms.CharField(label=_("name"), max_length=100)
    action = forms.ChoiceField(label=_("action"),
                               choices=[c for c in RuleAction.choices if c[0] != RuleAction.MANUAL])
    activity_type = forms.ModelChoiceField(label=_("activity type"), queryset=ActivityType.objects.none(),
                                           required=False,
                                           help_text=_("Only for attendance rules. Empty means any type that "
                                                       "counts as organisational life."))
    points = forms.IntegerField(label=_("points"), min_value=-1000, max_value=1000,
                                help_text=_("May be negative. For volunteer hours: points per hour."))
    daily_cap = forms.IntegerField(label=_("daily cap"), required=False, min_value=1)
    yearly_cap = forms.IntegerField(label=_("yearly cap"), required=False, min_value=1)
    categories = forms.MultipleChoiceField(label=_("member categories"), choices=Category.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked means all categories."))
    min_age = forms.IntegerField(label=_("from age"), required=False, min_value=0, max_value=150)
    max_age = forms.IntegerField(label=_("up to age"), required=False, min_value=0, max_value=150,
                                 help_text=_("For example 69 exempts members aged 70 and over."))
    needs_approval = forms.BooleanField(label=_("needs approval"), required=False)
    effective_from = forms.DateField(label=_("effective from"), widget=DateInput())

    def __init__(self, *args, committee=None, revising=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = ActivityType.objects.filter(committee=committee)
        if revising is not None:
            self.fields["action"].disabled = True

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["effective_to"] = None
        return data


class SettingsForm(TzForm):
    threshold = forms.IntegerField(label=_("threshold"), min_value=0, max_value=10000,
                                   help_text=PointsSettings._meta.get_field("threshold").help_text)
    annual_baseline = forms.IntegerField(label=_("annual baseline"), min_value=0, max_value=10000,
                                         help_text=PointsSettings._meta.get_field("annual_baseline").help_text)
    ranking_enabled = forms.BooleanField(label=_("show rankings"), required=False,
                                         help_text=PointsSettings._meta.get_field("ranking_enabled").help_text)


class ImportForm(TzForm):
    file = forms.FileField(label=_("spreadsheet (.xlsx or .csv)"))


UNKNOWN_BRANCH = _("There is no branch “%(value)s” among the branches you can see; showing all branches.")


class ParticipationFilter(TzForm):
    """The participation filter: a period (from/to, or ``year`` for old links), branch, platform, below only."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    year = forms.IntegerField(label=_("year"), required=False, min_value=2000, max_value=2100,
                              widget=forms.HiddenInput)
    branch = forms.TypedChoiceField(label=_("branch"), required=False, coerce=int, empty_value=None,
                                    error_messages={"invalid_choice": UNKNOWN_BRANCH})
    platform = forms.ChoiceField(label=_("platform"), required=False, choices=Platform.choices)
    below = forms.BooleanField(label=_("only below the threshold"), required=False)

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", _("All branches"))] + [(b.pk, b.name) for b in branches]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        for name, day in (("date_from", start), ("date_to", end)):
            if message := day_out_of_range(day, PERIOD_EARLIEST, PERIOD_LATEST):
                self.add_error(name, message)
                return cleaned
        if (start is None) != (end is None) and not self.errors:
            missing = "date_to" if end is None else "date_from"
            self.add_error(missing, _("Enter both the start and the end date, or choose a period above."))
        elif start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        elif start and end and (end - start).days > 366 * 5:
            self.add_error("date_to", _("Choose a period of at most five years."))
        return cleaned


PERIOD_EARLIEST = datetime.date(2000, 1, 1)
PERIOD_LATEST = datetime.date(2100, 12, 31)


class AdjustmentForm(TzForm):
    points = forms.IntegerField(label=_("points"), min_value=-1000, max_value=1000,
                                help_text=_("Negative to deduct, for example -2."))
    day = forms.DateField(label=_("date"), widget=DateInput(), initial=timezone.localdate)
    reason = forms.CharField(label=_("reason"), max_length=300,
                             help_text=_("For example: 表彰：优秀共产党员. The member reads it."))


class RuleCloseForm(TzForm):
    effective_to = forms.DateField(label=_("last day in force"), widget=DateInput(),
                                   help_text=_("The rule gives no points for anything after this day. Entries "
                                               "already made stay."))
