"""Forms of the activity pages. The rules live in the services; these only parse the input."""

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.activities import selectors
from taizhang.activities.models import AbsenceReason, Activity, AttendanceStatus, AudienceKind
from taizhang.core.forms import TzForm
from taizhang.core.permissions import EDIT, committee_wide, restrict
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.members.selectors import annotate_status
from taizhang.organisation.models import Branch, PartyGroup

# Suggestions for the place (the 党员之家 rooms); any other place may be typed.
PLACE_SUGGESTIONS = ["党员之家·一号会议室", "党员之家·二号会议室", "党员之家·活动室"]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)

    def format_value(self, value):
        if hasattr(value, "strftime"):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime(DATETIME_FORMAT)
        return value


def _datetime_field(label):
    return forms.DateTimeField(
        label=label,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"invalid": _("Enter a date and time, e.g. 2026-06-12 09:30."),
                        "required": _("Enter the date and time.")},
    )


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.branch.name}）"


class ActivityForm(TzForm):
    """Plan or edit an activity. When editing, the organiser and audience are fixed (the service
    keeps them), so those fields are left out."""

    activity_type = forms.ModelChoiceField(label=_("activity type"), queryset=None, empty_label=_("Choose a type"),
                                           error_messages={"required": _("Choose the activity type.")})
    title = forms.CharField(label=_("title"), max_length=200)
    organiser = forms.ChoiceField(label=_("organised by"))
    starts_at = _datetime_field(_("starts at"))
    ends_at = _datetime_field(_("ends at"))
    place = forms.CharField(label=_("place"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"list": "place-suggestions"}),
                            help_text=_("Choose a room of the 党员之家 or type another place."))
    audience_kind = forms.ChoiceField(label=_("audience"), choices=AudienceKind.choices, initial=AudienceKind.COMMITTEE,
                                      widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    audience_branch = forms.ModelChoiceField(label=_("audience branch"), queryset=None, required=False)
    audience_group = forms.ModelChoiceField(label=_("audience party group"), queryset=None, required=False)
    picked_members = MemberChoiceField(label=_("picked members"), queryset=None, required=False,
                                       widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    capacity = forms.IntegerField(label=_("capacity"), required=False, min_value=1,
                                  help_text=_("Empty means no limit."),
                                  error_messages={"min_value": _("The capacity must be at least 1."),
                                                  "invalid": _("Enter a whole number.")})
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    AUDIENCE_FIELDS = ["organiser", "audience_kind", "audience_branch", "audience_group", "picked_members"]

    def __init__(self, *args, user, committee, activity: Activity | None = None, **kwargs):
        self.user, self.committee, self.activity = user, committee, activity
        if activity is not None:
            kwargs.setdefault("initial", {
                "activity_type": activity.activity_type_id, "title": activity.title,
                "starts_at": activity.starts_at, "ends_at": activity.ends_at, "place": activity.place,
                "capacity": activity.capacity, "notes": activity.notes,
            })
        super().__init__(*args, **kwargs)
        types = selectors.activity_types(committee)
        if activity is not None:  # a type no longer in use stays available to the activity that has it
            types = selectors.activity_types(committee, include_inactive=True).filter(
                Q(active=True) | Q(pk=activity.activity_type_id))
        self.fields["activity_type"].queryset = types.order_by("sort_order", "id")
        if activity is not None:
            for name in self.AUDIENCE_FIELDS:
                del self.fields[name]
            return
        branch_ids = selectors.manageable_branch_ids(user)
        branches = Branch.objects.filter(pk__in=branch_ids, committee=committee).order_by("sort_order", "id")
        choices = []
        self.committee_wide = committee_wide(user, committee, EDIT)
        if self.committee_wide:
            choices.append(("", _("The committee")))
        choices += [(str(b.pk), b.name) for b in branches]
        self.fields["organiser"].choices = choices
        self.fields["organiser"].required = not self.committee_wide
        if not self.committee_wide:
            self.fields["audience_kind"].initial = AudienceKind.BRANCH
        self.fields["audience_branch"].queryset = branches
        self.fields["audience_group"].queryset = (
            PartyGroup.objects.filter(branch__in=branches).select_related("branch").order_by("branch__sort_order", "id")
        )
        self.fields["picked_members"].queryset = (
            restrict(annotate_status(Member.objects.filter(committee=committee)), user, EDIT)
            .filter(status__in=ROSTER_STATUSES)
            .select_related("branch")
            .order_by("branch__sort_order", "name_pinyin", "id")
        )

    def clean_organiser(self):
        value = self.cleaned_data.get("organiser") or ""
        if not value:
            return None
        return Branch.objects.get(pk=int(value))

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if self.activity is None:
            data["organiser_branch"] = data.pop("organiser")
            data["picked_members"] = list(data.get("picked_members") or [])
        return data


class CancelForm(TzForm):
    cancel_reason = forms.CharField(label=_("reason for cancelling"), max_length=200,
                                    error_messages={"required": _("Say why the activity is cancelled.")})


class MarkForm(TzForm):
    """Leave (请假) or absence (缺席) of one member on the tick list."""

    status = forms.ChoiceField(choices=[(AttendanceStatus.LEAVE, AttendanceStatus.LEAVE.label),
                                        (AttendanceStatus.ABSENT, AttendanceStatus.ABSENT.label)],
                               widget=forms.HiddenInput)
    absence_reason = forms.ChoiceField(label=_("reason"), choices=[("", "—")] + list(AbsenceReason.choices),
                                       required=False)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)


class CorrectForm(TzForm):
    status = forms.ChoiceField(label=_("attendance"), choices=AttendanceStatus.choices)
    absence_reason = forms.ChoiceField(label=_("reason for absence"), choices=[("", "—")] + list(AbsenceReason.choices),
                                       required=False)
    note = forms.CharField(label=_("remark"), max_length=200, required=False)
    reason = forms.CharField(label=_("why the record is corrected"), max_length=200,
                             error_messages={"required": _("Say why the attendance record is being corrected.")})


class OnBehalfForm(TzForm):
    member = forms.ModelChoiceField(label=_("member"), queryset=Member.objects.none(), empty_label=_("Choose a member"),
                                    error_messages={"required": _("Choose the member to sign up."),
                                                    "invalid_choice": _("Choose a member from the list.")})

    def __init__(self, *args, queryset, shown=None, **kwargs):
        """``queryset``: whom the member may be (what is accepted); ``shown``: the few members the select
        offers (a page of them or a search's results), so a big audience is never rendered whole."""
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.queryset = queryset
        field.label_from_instance = _member_label
        if shown is not None:
            field.widget.choices = [("", field.empty_label)] + [(m.pk, _member_label(m)) for m in shown]


def _member_label(member):
    text = f"{member.name}（{member.branch.name}）"
    if member.age >= settings.ELDERLY_AGE:
        text += " · " + str(_("%(age)d years old, %(elderly)d+") % {"age": member.age, "elderly": settings.ELDERLY_AGE})
    return text
