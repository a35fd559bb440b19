"""The activity types page: the committee's types (集体学习, 主题党日 …) with their expected yearly
frequency. Users holding ``organisation.manage`` in the committee add and change types through
``activity_type_create`` / ``activity_type_update``; other staff (``ledger.use``) read the list."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from taizhang.activities.models import ActivityType
from taizhang.activities.services import activity_type_create, activity_type_update
from taizhang.core.errors import form_errors_from
from taizhang.core.forms import TzForm
from taizhang.core.permissions import has_capability, role_committee_ids
from taizhang.organisation.models import Committee


def _committee(user):
    """The committee whose types the user reads (a committee where they hold a staff role), or 403."""
    committees = Committee.objects.filter(pk__in=role_committee_ids(user)).order_by("pk")
    for committee in committees:
        if has_capability(user, "organisation.manage", committee) or has_capability(user, "ledger.use", committee):
            return committee
    raise PermissionDenied(_("Your role does not give access to the activity types."))


def _require_manage(user, committee):
    if not has_capability(user, "organisation.manage", committee):
        raise PermissionDenied(_("Your role cannot change the activity types of this committee."))


def _number_0_to_366(label, help_text) -> forms.IntegerField:
    """A whole number from 0 to 366, with one message for every way it can be wrong."""
    wrong = gettext_lazy("Enter a whole number between 0 and 366.")
    return forms.IntegerField(label=label, help_text=help_text, min_value=0, max_value=366, initial=0,
                              error_messages=dict.fromkeys(("invalid", "min_value", "max_value", "required"), wrong))


class ActivityTypeForm(TzForm):
    name = forms.CharField(label=gettext_lazy("Type name"), max_length=50,
                           error_messages={"required": gettext_lazy("Enter the name of the activity type.")})
    counts_as_org_life = forms.BooleanField(
        label=gettext_lazy("Counts as organisational life"), required=False,
        help_text=gettext_lazy("Meetings and lessons of organisational life (三会一课, theme party day …)."),
    )
    expected_per_year = _number_0_to_366(
        gettext_lazy("Expected per year"),
        gettext_lazy("How many a year each organising unit should hold; 0 means no expectation."))
    sort_order = _number_0_to_366(gettext_lazy("Order"), gettext_lazy("Smaller numbers come first in lists."))
    active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True,
                                help_text=gettext_lazy("Types no longer in use stay on past activities."))


@login_required
def type_list(request):
    committee = _committee(request.user)
    types = (
        ActivityType.objects.filter(committee=committee)
        .annotate(n_activities=Count("activities"))
        .order_by("sort_order", "id")
    )
    context = {
        "committee": committee,
        "types": types,
        "can_manage": has_capability(request.user, "organisation.manage", committee),
    }
    return render(request, "activities/reports/types.html", context)


@login_required
def type_create(request):
    committee = _committee(request.user)
    _require_manage(request.user, committee)
    form = ActivityTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity_type = activity_type_create(
                actor=request.user, committee=committee, name=data["name"],
                counts_as_org_life=data["counts_as_org_life"], expected_per_year=data["expected_per_year"],
                sort_order=data["sort_order"],
            )
            if not data["active"]:
                activity_type_update(actor=request.user, activity_type=activity_type, data={"active": False})
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The activity type “%(name)s” was added.") % {"name": activity_type.name})
            return redirect("activity_reports:types")
    return render(request, "activities/reports/type_form.html", {"form": form, "creating": True})


@login_required
def type_edit(request, pk):
    committee = _committee(request.user)
    _require_manage(request.user, committee)
    activity_type = get_object_or_404(ActivityType, pk=pk, committee=committee)
    initial = {name: getattr(activity_type, name) for name in ActivityTypeForm.base_fields}
    form = ActivityTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity_type = activity_type_update(actor=request.user, activity_type=activity_type, data=form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            messages.success(request, _("The activity type “%(name)s” was saved.") % {"name": activity_type.name})
            return redirect("activity_reports:types")
    return render(request, "activities/reports/type_form.html",
                  {"form": form, "creating": False, "activity_type": activity_type})
