"""Forms of the member ledger. Validation rules live in services.validate_member_data."""

import datetime
import json
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core.forms import TzForm, TzModelForm
from taizhang.core.permissions import EDIT, branches_for
from taizhang.members import selectors, services
from taizhang.members.models import EventKind, LostContactCause, Member, Tag
from taizhang.organisation.models import Branch, District, PartyGroup


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value


DATE_FIELDS = ["birth_date", "join_date", "full_membership_date"]


def editable_branches(user, committee=None):
    qs = branches_for(user, EDIT)
    if committee is not None:
        qs = qs.filter(committee=committee)
    return qs.select_related("committee").order_by("committee_id", "sort_order")


class HouseholdChoiceField(forms.ModelChoiceField):
    """Households by a label that names only people the user may see (``selectors.household_label``)."""

    def label_from_instance(self, obj):
        return selectors.household_label(obj)


class MemberForm(TzModelForm):
    id_number = forms.CharField(label=_("citizen ID number"), max_length=40)
    phone = forms.CharField(label=_("mobile phone"), max_length=30, required=False)
    new_household = forms.CharField(
        label=_("new household"),
        required=False,
        max_length=100,
        help_text=_("To start a new household, give it a name (e.g. 李秀英、王建国家); leave the choice above empty."),
    )
    new_tags = forms.CharField(
        label=_("new tags"),
        required=False,
        help_text=_("Separate several tags with commas or 、."),
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "id_number",
            "gender",
            "birth_date",
            "ethnicity",
            "education",
            "phone",
            "membership_type",
            "join_date",
            "full_membership_date",
            "party_age_correction",
            "is_mobile",
            "category",
            "district",
            "branch",
            "party_group",
            "residence",
            "household_registration",
            "household",
            "employer",
            "industry",
            "position",
            "employment_status",
            "interests",
            "tags",
        ]
        field_classes = {"household": HouseholdChoiceField}
        widgets = {name: DateInput() for name in DATE_FIELDS} | {
            "tags": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.committee = committee
        self.fields["gender"].required = False
        self.fields["birth_date"].required = False
        self.fields["gender"].help_text = _("Taken from the ID number when left empty.")
        self.fields["birth_date"].help_text = _("Taken from the ID number when left empty.")
        self.fields["branch"].queryset = editable_branches(user).filter(committee=committee)
        self.fields["branch"].help_text = _("Suggested from the district; you can choose another.")
        self.fields["district"].queryset = District.objects.filter(committee=committee).select_related("branch")
        self.fields["party_group"].queryset = PartyGroup.objects.filter(branch__committee=committee).select_related("branch")
        self.fields["household"].queryset = selectors.household_queryset(user, EDIT, committee=committee)
        self.fields["tags"].queryset = Tag.objects.filter(committee=committee)
        if self.instance.pk:
            self.fields["branch"].disabled = True
            self.fields["branch"].help_text = _("Use “move branch” on the member page to change the branch.")
            # The full numbers are never put into the page (that would bypass the logged reveal):
            # left empty, they stay as they are.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
                "masked": self.instance.id_number_masked
            }
            self.fields["phone"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
                "masked": self.instance.phone_masked or "—"
            }
        districts = list(self.fields["district"].queryset)
        self.district_branch_map = json.dumps({d.pk: d.branch_id for d in districts})
        editable = set(self.fields["branch"].queryset.values_list("pk", flat=True))
        # Districts of a branch this user may not register in: say whose they are (also in the browser).
        self.foreign_district_messages = {
            d.pk: _("%(district)s belongs to %(branch)s; only that branch's staff can register members living "
                    "there. If the member stays with your branch, choose your branch below.")
            % {"district": d.name, "branch": d.branch.name}
            for d in districts
            if d.branch_id not in editable
        }
        self.foreign_districts = json.dumps({k: str(v) for k, v in self.foreign_district_messages.items()},
                                            ensure_ascii=False)

    def clean(self):
        data = super().clean()
        district = data.get("district")
        if district is not None and district.pk in self.foreign_district_messages and not data.get("branch"):
            # the branch is empty because the district's branch is not one this user may register in
            self.errors.pop("branch", None)
            self.add_error("district", self.foreign_district_messages[district.pk])
        if self.errors:
            return data
        if data.get("new_household") and data.get("household"):
            self.add_error("new_household", _("Choose an existing household or name a new one, not both."))
            return data
        if self.instance.pk:
            data["id_number"] = data.get("id_number") or self.instance.id_number
            data["phone"] = data.get("phone") or self.instance.phone
        try:
            cleaned = services.validate_member_data(data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return data
        data.update(cleaned)
        return data

    def _get_validation_exclusions(self):
        # The branch is checked by the form and the services (which say whose district it is), not the model.
        return super()._get_validation_exclusions() | {"branch"}

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("new_tags", "new_household")}
        if self.cleaned_data.get("new_household"):
            data["household"] = services.household_create(
                actor=self.user, committee=self.committee, name=self.cleaned_data["new_household"],
                address=self.cleaned_data.get("residence", ""),
            )
        tags = list(data.get("tags") or [])
        for name in split_tags(self.cleaned_data.get("new_tags", "")):
            tags.append(services.tag_get_or_create(actor=self.user, committee=self.committee, name=name))
        data["tags"] = tags
        return data


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,，、;；]", text or "") if t.strip()]


class RegisterForm(MemberForm):
    registered_on = forms.DateField(
        label=_("registration date"),
        widget=DateInput(),
        help_text=_("The day the member registered with the committee (inflow to Beijing)."),
    )
    reported = forms.BooleanField(label=_("has reported to the branch"), required=False, initial=True)

    field_order = ["registered_on", "reported"]


class FlowEventForm(TzForm):
    effective_date = forms.DateField(label=_("effective date"), widget=DateInput())
    reason = forms.CharField(label=_("reason and details"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    lost_contact_cause = forms.TypedChoiceField(
        label=_("lost-contact cause"), choices=[("", "---------")] + list(LostContactCause.choices), coerce=int, required=False
    )
    to_branch = forms.ModelChoiceField(label=_("new branch"), queryset=Branch.objects.none(), required=False)
    confirm = forms.BooleanField(label=_("I have checked the above and want to record this event."), required=True)

    def __init__(self, *args, kind, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.initial.setdefault("effective_date", timezone.localdate())
        if kind != EventKind.LOST_CONTACT:
            del self.fields["lost_contact_cause"]
        else:
            self.fields["lost_contact_cause"].required = True
        if kind != EventKind.MOVED_BRANCH:
            del self.fields["to_branch"]
        else:
            self.fields["to_branch"].required = True
            self.fields["to_branch"].queryset = Branch.objects.filter(committee_id=member.committee_id).exclude(pk=member.branch_id)
        if kind in (EventKind.TRANSFERRED_OUT, EventKind.SUSPENDED, EventKind.DECEASED):
            self.fields["reason"].required = True


class CorrectionForm(TzForm):
    reason = forms.CharField(
        label=_("what was wrong"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm = forms.BooleanField(label=_("I want to void this event with a correction."), required=True)


class NoteForm(TzForm):
    noted_on = forms.DateField(label=_("date"), widget=DateInput())
    text = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    shared = forms.BooleanField(
        label=_("Share this note with the member"),
        required=False,
        help_text=_("Left unticked, the note is internal: only staff see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("noted_on", timezone.localdate())


class ChangeRequestForm(TzForm):
    """A member's request to correct their phone, address or work situation (values start as the record's).

    Lengths and values are checked by ``services.change_request_submit`` (messages name the field)."""

    phone = forms.CharField(label=_("mobile phone"), required=False)
    residence = forms.CharField(label=_("residence address"), required=False)
    employment_status = forms.CharField(label=_("employment status"), required=False, widget=forms.Select)
    employer = forms.CharField(label=_("employer"), required=False)
    industry = forms.CharField(label=_("industry"), required=False)
    position = forms.CharField(label=_("position"), required=False)
    note = forms.CharField(
        label=_("explanation for the branch secretary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, member, **kwargs):
        from taizhang.members.models import EmploymentStatus

        initial = {name: getattr(member, name) for name in services.CORRECTABLE_FIELDS[1:]}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["employment_status"].widget.choices = [("", "---------")] + list(EmploymentStatus.choices)
        self.fields["phone"].help_text = _("Now %(masked)s. Leave empty to keep it.") % {
            "masked": member.phone_masked or "—"
        }

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "note"}


class ChangeDecisionForm(TzForm):
    reason = forms.CharField(
        label=_("reason for rejecting"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to reject; the member reads it on their page."),
    )
