"""Forms of the notes, study and plan pages. The rules live in the services; these only parse input."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.activities import plans, selectors, studyday
from taizhang.activities.models import AudienceKind, StudyItem, StudyKind
from taizhang.core.forms import TzForm
from taizhang.core.permissions import EDIT, committee_wide
from taizhang.organisation.models import Branch, PartyGroup


def accept_attr() -> str:
    return ",".join("." + ext for ext in settings.CONTENT_ALLOWED_EXTENSIONS)


def files_help() -> str:
    return _("Photos or files: at most %(n)d, each at most %(mb)d MB (%(types)s).") % {
        "n": settings.CONTENT_MAX_FILES_PER_NOTE, "mb": settings.CONTENT_MAX_FILE_MB,
        "types": "、".join(settings.CONTENT_ALLOWED_EXTENSIONS)}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the checks (number, size, type) are the service's."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class NoteForm(TzForm):
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"required": _("Write the text of the note.")})
    files = MultipleFileField(label=_("photos and files"))

    def __init__(self, *args, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].widget.attrs["accept"] = accept_attr()
        self.fields["files"].help_text = files_help()
        if attachments:
            self.fields["remove"] = forms.MultipleChoiceField(
                label=_("remove these files"), required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(str(a.pk), a.original_name) for a in attachments],
            )


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class StudyItemForm(TzForm):
    kind = forms.ChoiceField(label=_("kind"), choices=StudyKind.choices)
    title = forms.CharField(label=pgettext_lazy("study item", "title"), max_length=200)
    month = forms.DateField(label=_("month"), required=False, widget=MonthInput(),
                            input_formats=["%Y-%m", "%Y-%m-%d", "%Y/%m"],
                            help_text=_("For a monthly study topic (每月一学)."),
                            error_messages={"invalid": _("Enter a month such as 2026-06.")})
    body = forms.CharField(label=_("study text"), required=False, widget=forms.Textarea(attrs={"rows": 10}))
    link = forms.CharField(label=_("link"), required=False, max_length=500,
                           widget=forms.URLInput(attrs={"placeholder": "https://"}),
                           help_text=_("A web address beginning with http:// or https://."))
    file = forms.FileField(label=_("file"), required=False)
    audience_kind = forms.ChoiceField(label=_("for"), choices=[(k.value, k.label) for k in StudyItem.AUDIENCE_KINDS])
    audience_branch = forms.ModelChoiceField(label=pgettext_lazy("study item", "branch"), queryset=None,
                                             required=False)
    audience_group = forms.ModelChoiceField(label=pgettext_lazy("study item", "party group"), queryset=None,
                                            required=False)

    def __init__(self, *args, committee, editing=None, **kwargs):
        if editing is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": editing.kind, "title": editing.title, "month": editing.month, "body": editing.body,
                "link": editing.link, "audience_kind": editing.audience_kind,
                "audience_branch": editing.audience_branch_id, "audience_group": editing.audience_group_id,
            }
        elif editing is None and "initial" not in kwargs:
            kwargs["initial"] = {"month": timezone.localdate().replace(day=1)}
        super().__init__(*args, **kwargs)
        self.fields["audience_branch"].queryset = Branch.objects.filter(committee=committee)
        self.fields["audience_group"].queryset = PartyGroup.objects.filter(
            branch__committee=committee).select_related("branch")
        self.fields["audience_group"].label_from_instance = lambda g: f"{g.branch.name} · {g.name}"
        self.fields["file"].widget.attrs["accept"] = accept_attr()
        self.fields["file"].help_text = _("At most %(mb)d MB (%(types)s).") % {
            "mb": settings.CONTENT_MAX_FILE_MB, "types": "、".join(settings.CONTENT_ALLOWED_EXTENSIONS)}
        if editing is not None and editing.file_name:
            self.fields["remove_file"] = forms.BooleanField(
                label=_("remove the file “%(name)s”") % {"name": editing.file_name}, required=False)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in ("kind", "title", "body", "link", "month", "audience_kind",
                                                  "audience_branch", "audience_group")}


WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]
NTH_CHOICES = [(1, _("first")), (2, _("second")), (3, _("third")), (4, _("fourth")), (plans.LAST, _("last"))]


def organiser_choices(user, committee) -> list:
    """"" (the committee) when the user may organise for the whole committee, then their branches."""
    choices = []
    if committee_wide(user, committee, EDIT):
        choices.append(("", _("The committee")))
    ids = selectors.manageable_branch_ids(user)
    choices += [(str(b.pk), b.name) for b in Branch.objects.filter(committee=committee, pk__in=ids)]
    return choices


class PlanForm(TzForm):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    rule = forms.ChoiceField(label=_("dates"), widget=forms.RadioSelect, choices=[
        (plans.STUDY_DAY, _("Monthly study day (the rule in the settings)")),
        (plans.DAY_OF_MONTH, _("A day of the month")),
        (plans.NTH_WEEKDAY, _("A weekday of the month (e.g. the last Friday)")),
    ])
    day_of_month = forms.IntegerField(label=_("day of the month"), min_value=1, max_value=28, required=False)
    weekend_shift = forms.ChoiceField(label=_("on a Saturday or Sunday"), choices=[
        (studyday.NEXT_MONDAY, _("move to the following Monday")),
        (studyday.NO_SHIFT, _("keep the day")),
    ], required=False)
    nth = forms.TypedChoiceField(label=pgettext_lazy("plan", "which"), choices=NTH_CHOICES, coerce=int,
                                 required=False)
    weekday = forms.TypedChoiceField(label=_("weekday"), choices=WEEKDAYS, coerce=int, required=False)
    skip_holidays = forms.BooleanField(label=_("also skip statutory holidays"), required=False,
                                       help_text=_("A day falling on a statutory holiday moves to the next "
                                                   "working day (the State Council's holiday calendar)."))
    month_from = forms.TypedChoiceField(label=_("from month"), coerce=int,
                                        choices=[(m, str(m)) for m in range(1, 13)], initial=1)
    month_to = forms.TypedChoiceField(label=_("to month"), coerce=int,
                                      choices=[(m, str(m)) for m in range(1, 13)], initial=12)
    include_past = forms.BooleanField(
        label=_("also create the days already past, as activities already held"), required=False,
        help_text=_("Off: only the days from today on are created. A day that already has an activity of the "
                    "same type is never created again."))
    activity_type = forms.ModelChoiceField(label=_("activity type"), queryset=None,
                                           error_messages={"required": _("Choose the activity type.")})
    title_pattern = forms.CharField(label=_("title"), max_length=200,
                                    help_text=_("Each activity's title is the month followed by this name, "
                                                "e.g. 集体学习 gives “5月集体学习”."))
    start_time = forms.TimeField(label=_("start time"), widget=forms.TimeInput(attrs={"type": "time"},
                                                                               format="%H:%M"),
                                 input_formats=["%H:%M", "%H:%M:%S"],
                                 error_messages={"invalid": _("Enter a time such as 09:30.")})
    minutes = forms.IntegerField(label=_("duration (minutes)"), min_value=15, max_value=24 * 60)
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    organiser = forms.ChoiceField(label=_("organised by"), required=False)
    audience = forms.ChoiceField(label=_("for"), choices=[(k.value, k.label) for k in plans.PLAN_AUDIENCE_KINDS])
    audience_branch = forms.ModelChoiceField(label=_("audience branch"), queryset=None, required=False)

    def __init__(self, *args, user, committee, **kwargs):
        kwargs.setdefault("initial", {})
        initial = kwargs["initial"]
        initial.setdefault("year", timezone.localdate().year)  # the current year, from today on (include_past off)
        initial.setdefault("rule", plans.STUDY_DAY)
        initial.setdefault("day_of_month", settings.STUDY_DAY_OF_MONTH)
        initial.setdefault("weekend_shift", studyday.configured_weekend_shift())
        initial.setdefault("skip_holidays", settings.STUDY_DAY_SKIP_HOLIDAYS)
        initial.setdefault("nth", plans.LAST)
        initial.setdefault("weekday", 4)
        initial.setdefault("title_pattern", "集体学习")
        initial.setdefault("start_time", datetime.time(9, 30))
        initial.setdefault("minutes", 120)
        initial.setdefault("place", "党员之家·活动室")
        super().__init__(*args, **kwargs)
        self.committee = committee
        self.fields["activity_type"].queryset = selectors.activity_types(committee)
        if "activity_type" not in initial:
            self.initial["activity_type"] = (
                self.fields["activity_type"].queryset.filter(name="集体学习").values_list("pk", flat=True).first())
        choices = organiser_choices(user, committee)
        self.fields["organiser"].choices = choices
        # a branch secretary must pick their branch: "" (the committee) is not theirs to choose
        self.fields["organiser"].required = not any(value == "" for value, _label in choices)
        self.fields["organiser"].error_messages["required"] = _("Choose who organises the activities.")
        if choices and "organiser" not in initial:
            self.initial["organiser"] = choices[0][0]
            if choices[0][0]:
                self.initial["audience"] = AudienceKind.BRANCH
        self.fields["audience_branch"].queryset = Branch.objects.filter(committee=committee)
        self.fields["audience_branch"].help_text = _("For a branch organiser this is its own branch.")
        self.for_committee = not self.fields["organiser"].required
        if not self.for_committee:  # a branch secretary plans for their own branch only
            self.fields["audience"].choices = [(AudienceKind.BRANCH, AudienceKind.BRANCH.label)]
            self.initial["audience"] = AudienceKind.BRANCH

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if rule == plans.DAY_OF_MONTH and not data.get("day_of_month"):
            self.add_error("day_of_month", _("Enter the day of the month (1 to 28)."))
        if rule == plans.NTH_WEEKDAY and (data.get("nth") in (None, "") or data.get("weekday") in (None, "")):
            self.add_error("nth", _("Choose which weekday of the month."))
        return data

    def spec(self) -> plans.PlanSpec:
        data = self.cleaned_data
        organiser = None
        if data.get("organiser"):
            organiser = Branch.objects.filter(committee=self.committee, pk=data["organiser"]).first()
        audience_kind = data["audience"]
        audience_branch = None
        if audience_kind == AudienceKind.BRANCH:
            audience_branch = organiser or data.get("audience_branch")
        rule = data["rule"]
        return plans.PlanSpec(
            year=data["year"], rule=rule, activity_type=data["activity_type"], title_pattern=data["title_pattern"],
            start_time=data["start_time"], minutes=data["minutes"], organiser_branch=organiser,
            audience_kind=audience_kind, audience_branch=audience_branch, place=data.get("place") or "",
            day_of_month=(settings.STUDY_DAY_OF_MONTH if rule == plans.STUDY_DAY else data.get("day_of_month") or 1),
            weekend_shift=(studyday.configured_weekend_shift() if rule == plans.STUDY_DAY
                           else data.get("weekend_shift") or studyday.NEXT_MONDAY),
            nth=data.get("nth") if data.get("nth") not in (None, "") else 1,
            weekday=data.get("weekday") if data.get("weekday") not in (None, "") else 4,
            skip_holidays=bool(data.get("skip_holidays")),
            month_from=data["month_from"], month_to=data["month_to"],
            include_past=bool(data.get("include_past")),
        )
