"""Forms of the rooms area."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.forms import TzForm, apply_project_messages
from taizhang.places.models import DocumentKind, WhoMayBook
from taizhang.places.models.rooms import WEEKDAYS

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoomForm(TzForm):
    name = forms.CharField(label=pgettext_lazy("room", "name"), max_length=50)
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("capacity"), min_value=1, max_value=10000, initial=10)
    equipment = forms.CharField(label=_("equipment"), max_length=300, required=False)
    who_may_book = forms.ChoiceField(label=_("who may book"), choices=WhoMayBook.choices)
    active = forms.BooleanField(label=_("in use"), required=False, initial=True)
    sort_order = forms.IntegerField(label=_("order"), min_value=0, initial=0)

    def __init__(self, *args, room=None, **kwargs):
        if room is not None:
            initial = {f: getattr(room, f) for f in ("name", "place", "capacity", "equipment", "who_may_book",
                                                      "active", "sort_order")}
            for d in range(7):
                hours = room.hours_on(d)
                if hours:
                    initial[f"opens_{d}"], initial[f"closes_{d}"] = hours
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for d in range(7):
            self.fields[f"opens_{d}"] = forms.TimeField(label=_("%(day)s opens") % {"day": WEEKDAYS[d]},
                                                       required=False, widget=TIME)
            self.fields[f"closes_{d}"] = forms.TimeField(label=_("%(day)s closes") % {"day": WEEKDAYS[d]},
                                                        required=False, widget=TIME)
        apply_project_messages(self)  # the day fields added here name themselves too

    @property
    def day_fields(self):
        return [(WEEKDAYS[d], self[f"opens_{d}"], self[f"closes_{d}"]) for d in range(7)]

    def clean(self):
        data = super().clean()
        hours = {}
        for d in range(7):
            opens, closes = data.get(f"opens_{d}"), data.get(f"closes_{d}")
            if opens is None and closes is None:
                continue
            if opens is None or closes is None or opens >= closes:
                self.add_error(f"closes_{d}", _("%(day)s: give an opening time before the closing time.")
                               % {"day": WEEKDAYS[d]})
                continue
            hours[str(d)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        data["hours"] = hours
        return data

    def values(self) -> dict:
        d = self.cleaned_data
        return {f: d[f] for f in ("name", "place", "capacity", "equipment", "who_may_book", "active", "sort_order",
                                  "hours")}


class BookingForm(TzForm):
    day = forms.DateField(label=_("day"), widget=DATE)
    start = forms.TimeField(label=_("start time"), widget=TIME)
    end = forms.TimeField(label=_("end time"), widget=TIME)
    purpose = forms.CharField(label=_("purpose"), max_length=200)
    activity = forms.ModelChoiceField(label=_("activity"), queryset=None, required=False,
                                      empty_label=_("— no activity —"))

    def __init__(self, *args, activities=None, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = activities
        self.fields["activity"].label_from_instance = lambda a: (
            f"{timezone.localtime(a.starts_at):%m-%d %H:%M} {a.title}")
        if staff:
            self.fields["confirm"] = forms.BooleanField(label=_("confirm at once"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start"), data.get("end")
        if day and start and end:
            tz = timezone.get_current_timezone()
            data["starts_at"] = datetime.datetime.combine(day, start, tzinfo=tz)
            data["ends_at"] = datetime.datetime.combine(day, end, tzinfo=tz)
        return data


class ReasonForm(TzForm):
    reason = forms.CharField(label=_("reason"), max_length=200)


class BookForm(TzForm):
    title = forms.CharField(label=_("title"), max_length=200)
    author = forms.CharField(label=_("author"), max_length=100, required=False)
    copies = forms.IntegerField(label=_("copies"), min_value=1, max_value=1000, initial=1)
    isbn = forms.CharField(label="ISBN", max_length=20, required=False)
    notes = forms.CharField(label=_("notes"), max_length=300, required=False)


class LoanForm(TzForm):
    member = forms.CharField(label=_("member (name or pinyin)"), max_length=50)
    due_on = forms.DateField(label=_("due on"), required=False, widget=DATE)


class DocumentForm(TzForm):
    kind = forms.ChoiceField(label=_("kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    file = forms.FileField(label=_("file"))


def parse_day(value, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def parse_month(value, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else default.replace(day=1)
    except ValueError:
        return default.replace(day=1)


__all__ = ["BookForm", "BookingForm", "DocumentForm", "LoanForm", "ReasonForm", "RoomForm",
           "parse_day", "parse_month"]
