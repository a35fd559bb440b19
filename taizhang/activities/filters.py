"""The filter sets of the activity list and of a study item's readers: each drives its page and the htmx refresh."""

import datetime

import django_filters
from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.activities.models import ActivityType
from taizhang.core.forms import TzForm
from taizhang.core.paging import GroupedRows
from taizhang.core.permissions import VIEW, committee_ids_for
from taizhang.members.selectors import search_members
from taizhang.organisation.models import Branch

WHEN_CHOICES = [("upcoming", _("Upcoming")), ("past", _("Past"))]


class DateInput(forms.DateInput):
    input_type = "date"


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ActivityFilter(django_filters.FilterSet):
    class Meta:
        form = TzForm  # the project's messages, naming the filter

    q = django_filters.CharFilter(
        label=_("Search"), field_name="title", lookup_expr="icontains",
        widget=forms.TextInput(attrs={"placeholder": _("Activity title"), "type": "search"}),
    )
    date_from = django_filters.DateFilter(label=_("from"), method="filter_from", widget=DateInput)
    date_to = django_filters.DateFilter(label=_("to"), method="filter_to", widget=DateInput)
    activity_type = django_filters.ModelChoiceFilter(label=_("activity type"), queryset=ActivityType.objects.none(),
                                                     empty_label=_("All types"))
    organiser = django_filters.ChoiceFilter(label=_("organised by"), method="filter_organiser",
                                            empty_label=_("Any organiser"))
    when = django_filters.ChoiceFilter(label=_("time"), choices=WHEN_CHOICES, method="filter_when",
                                       empty_label=_("Upcoming and past"))
    include_cancelled = django_filters.BooleanFilter(label=_("include cancelled"), method="filter_cancelled",
                                                     widget=forms.CheckboxInput)

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        committees = committee_ids_for(request.user, VIEW)
        self.filters["activity_type"].queryset = ActivityType.objects.filter(committee_id__in=committees).order_by(
            "sort_order", "id")
        self.filters["organiser"].extra["choices"] = [("committee", _("The committee"))] + [
            (str(b.pk), b.name) for b in Branch.objects.filter(committee_id__in=committees).order_by("sort_order", "id")
        ]

    def filter_from(self, queryset, name, value):
        return queryset.filter(starts_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(starts_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_organiser(self, queryset, name, value):
        if value == "committee":
            return queryset.filter(organiser_branch__isnull=True)
        return queryset.filter(organiser_branch_id=value)

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(ends_at__gte=now).order_by("starts_at", "id")
        return queryset.filter(ends_at__lt=now)

    def filter_cancelled(self, queryset, name, value):
        return queryset

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("include_cancelled"):
            queryset = queryset.filter(cancelled=False)
        return queryset


READ_CHOICES = [("no", _("Not read")), ("yes", pgettext_lazy("done", "Read"))]


class StudyReadersFilter(django_filters.FilterSet):
    """The one filter set of a study item's readers: drives the page, its htmx refresh and the export.
    ``branches`` are the branches of the item's audience the user sees (``study_reader_totals``)."""

    class Meta:
        form = TzForm

    q = django_filters.CharFilter(
        label=_("Search"), method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Name, pinyin or initials"), "type": "search"}),
    )
    read = django_filters.ChoiceFilter(label=_("read"), choices=READ_CHOICES, method="filter_read",
                                       empty_label=_("Read or not"))
    branch = django_filters.ChoiceFilter(label=_("branch"), method="filter_branch", empty_label=_("All branches"))

    def __init__(self, data=None, queryset=None, *, branches, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["branch"].extra["choices"] = [(str(b.branch_id), b.name) for b in branches]

    def filter_q(self, queryset, name, value):
        return search_members(queryset, value, numbers=False)  # names, pinyin and initials, as the ledger reads them

    def filter_read(self, queryset, name, value):
        return queryset.filter(has_read=(value == "yes"))  # ``is_read``, asked per row (``study_readers``)

    def filter_branch(self, queryset, name, value):
        return queryset.filter(branch_on=int(value))

    def known_count(self, total, branches) -> int | None:
        """How many rows ``qs`` holds, read from the reader totals (``study_reader_totals``: ``total`` and
        ``branches``, the same members counted by the same rule) when only the read and branch filters are
        set; None when a name is searched (then the rows must be counted). Call once the filters are valid."""
        cleaned = self.form.cleaned_data
        if cleaned.get("q"):
            return None
        totals = total
        if cleaned.get("branch"):
            totals = next((b for b in branches if str(b.branch_id) == str(cleaned["branch"])), None)
            if totals is None:
                return 0
        read = cleaned.get("read")
        return totals.read if read == "yes" else totals.not_read if read == "no" else totals.audience

    def by_branch(self, branches) -> GroupedRows:
        """``qs`` (not read first, then by branch, pinyin and id) read a page at a time (``GroupedRows``: the
        page's ids in one query, then its rows by id), one group per (read or not, branch): each group in the order of the members' index (committee, branch,
        pinyin, id), each row checked as it is read, so a page reads its own rows instead of sorting the whole
        audience; the groups' sizes are the reader totals' (``branches``, in the branches' order). Branches
        sharing a sort order are one group (their members interleave by pinyin). For the filters
        ``known_count`` answers (no name searched)."""
        cleaned = self.form.cleaned_data
        reads = [cleaned["read"] == "yes"] if cleaned.get("read") else [False, True]
        chosen = [b for b in branches if not cleaned.get("branch") or str(b.branch_id) == str(cleaned["branch"])]
        by_order = {}
        for b in chosen:
            by_order.setdefault(b.sort_order, []).append(b)
        groups, counts = [], []
        for read in reads:
            for same in by_order.values():
                groups.append(self.qs.filter(has_read=read, branch_id__in=[b.branch_id for b in same]))
                counts.append(sum(b.read if read else b.not_read for b in same))
        qs = self.qs

        def fetch(ids):  # the page's rows, each asked whether read (not every read of the item hashed)
            return qs.filter(pk__in=ids).annotate(is_read=F("has_read")).order_by()

        return GroupedRows(groups, sum(counts), counts, order=("name_pinyin", "id"), whole=qs, fetch=fetch)
