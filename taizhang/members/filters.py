"""The one filter set of the ledger list: drives the page, its htmx refresh and (later) exports."""

import datetime
import hashlib
from types import SimpleNamespace

import django_filters
from django import forms
from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from taizhang.core import generations
from taizhang.core.forms import TzForm
from taizhang.core.permissions import VIEW, branches_for, committee_ids_for, is_member_login, user_scope
from taizhang.members import selectors, visibility
from taizhang.members.models import Category, Status, Tag
from taizhang.organisation.models import Branch

AGE_CHOICES = [
    ("under35", _("Under 35")),
    ("35-44", _("35 to 44")),
    ("45-59", _("45 to 59")),
    ("60plus", ""),  # "<ELDERLY_AGE> and over", set in __init__ (the code stays 60plus)
    ("70plus", _("70 and over")),
]
STATUS_CHOICES = [("roster", _("On the roster")), ("all", _("Everyone, incl. transferred out and deceased"))] + list(
    Status.choices
)
SORT_CHOICES = [
    ("name", _("Name (pinyin)")),
    ("-age", _("Oldest first")),
    ("age", _("Youngest first")),
    ("branch", _("Branch")),
    ("-last_contact", _("Latest contact first")),
    ("last_contact", _("Longest without contact first")),
    ("-created", _("Newest records first")),
]
SORT_ORDER = {
    "name": ["name_pinyin", "id"],
    "-age": ["birth_date", "id"],
    "age": ["-birth_date", "id"],
    "branch": ["branch__sort_order", "name_pinyin", "id"],
    "-last_contact": ["-last_contact_date", "-id"],  # each sort matches an index (Member.Meta.indexes)
    "last_contact": ["last_contact_date", "id"],
    "-created": ["-created_at", "-id"],
}


class MemberFilterForm(TzForm):
    """The list's filter form: a past ``as_of`` day only, and not with today's contact filter."""

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("as_of")
        if day is not None and day > timezone.localdate():
            self.add_error("as_of", _("The roster can only be shown for today or a past date."))
        elif day is not None and cleaned.get("contact"):
            self.add_error(
                "contact",
                _("The last contact is only known as it stands today: clear “contact” to see the roster of a past date."),
            )
        return cleaned


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Name, pinyin, phone, ID last 4"), "type": "search"}),
    )
    as_of = django_filters.DateFilter(
        label=_("Roster as of"), method="filter_as_of",
        error_messages={"invalid": _("Write the date as YYYY-MM-DD, e.g. 2019-12-31.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("branch"), queryset=Branch.objects.none(), empty_label=_("All branches"), method="filter_branch",
        error_messages={"invalid_choice": _("There is no branch “%(value)s” among the branches you can see.")},
    )
    category = django_filters.ChoiceFilter(label=_("category"), choices=Category.choices, empty_label=_("All categories"))
    status = django_filters.ChoiceFilter(label=_("status"), choices=STATUS_CHOICES, method="filter_status", empty_label=None)
    age = django_filters.ChoiceFilter(label=_("age"), choices=AGE_CHOICES, method="filter_age", empty_label=_("All ages"))
    contact = django_filters.ChoiceFilter(
        label=_("contact"),
        choices=[("overdue", "")],  # the label names the setting's number (set in __init__)
        method="filter_contact",
        empty_label=_("Any"),
    )
    tag = django_filters.ModelChoiceFilter(label=_("tag"), queryset=Tag.objects.none(), field_name="tags", empty_label=_("All tags"))
    sort = django_filters.ChoiceFilter(label=_("sort"), choices=SORT_CHOICES, method="filter_sort", empty_label=None)

    def __init__(self, data=None, queryset=None, *, request, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and not data.get("status"):
            data["status"] = "roster"
        super().__init__(data, queryset, request=request, **kwargs)
        self.user = request.user
        for name in visibility.hidden_filters(request.user):  # PIPL: what the columns hide, filters must not reveal
            del self.filters[name]
        if visibility.hidden_filters(request.user):
            self.filters["sort"].extra["choices"] = [c for c in SORT_CHOICES if "last_contact" not in c[0]]
        self.filters["branch"].queryset = branches_for(request.user, VIEW).order_by("sort_order")
        if "contact" in self.filters:
            self.filters["contact"].extra["choices"] = [
                ("overdue", _("No contact for %(n)s+ months") % {"n": selectors.contact_warning_months()})]
        self.filters["age"].extra["choices"] = [
            (code, _("%(age)s and over") % {"age": settings.ELDERLY_AGE} if code == "60plus" else label)
            for code, label in AGE_CHOICES]
        committees = committee_ids_for(request.user, VIEW)
        if "tag" in self.filters:
            self.filters["tag"].queryset = Tag.objects.filter(committee_id__in=committees)
        if "as_of" in self.form.fields:
            self.form.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()

    @property
    def as_of_day(self) -> datetime.date | None:
        """The past day the list is as of (None for today), once the filters are valid."""
        day = self.form.cleaned_data.get("as_of")
        return day if day is not None and day < timezone.localdate() else None

    @staticmethod
    def day_from(data) -> datetime.date | None:
        """The ``as_of`` day in the raw GET data, for building the queryset before the filters run.

        Anything unreadable or in the future gives None here; validation then reports it on the form.
        """
        try:
            day = datetime.date.fromisoformat((data or {}).get("as_of", "").strip())
        except ValueError:
            return None
        return day if day < timezone.localdate() else None

    @classmethod
    def for_request(cls, request, data=None, purpose=VIEW):
        """The ledger's filter set over the members the user may see, as of ``as_of`` (today if absent).

        ``data`` is the filter values (the list's GET parameters, or the posted form / remembered search of
        ``members.searches``); the request's GET parameters when not given. ``purpose`` is the scope
        (``DETAILS`` for exports, which hold the whole record)."""
        data = request.GET if data is None else data
        day = cls.day_from(data)
        filterset = cls(data or {}, queryset=selectors.member_queryset(request.user, purpose, day=day),
                        request=request)
        filterset.purpose = purpose
        return filterset

    @classmethod
    def for_user(cls, user, data, purpose=VIEW):
        """``for_request`` without a request: the background export builds the same filter set in the worker
        for the user who asked (only the user of the request is ever read)."""
        return cls.for_request(SimpleNamespace(user=user, GET=data), data, purpose)

    def filter_as_of(self, queryset, name, value):
        return queryset  # the queryset was annotated for that day when it was built (``for_request``)

    def filter_branch(self, queryset, name, value):
        return queryset.filter(branch_on=value.pk) if self.as_of_day else queryset.filter(branch=value)

    def filter_q(self, queryset, name, value):
        return selectors.search_members(queryset, value, numbers=visibility.may_search_numbers(self.user))

    def filter_status(self, queryset, name, value):
        # Today the column itself, not the COALESCE of the annotation: the planner can then estimate how many
        # members match (it took 500 of 20,000 and sorted them all instead of reading a sort index in order).
        field = "status" if self.as_of_day else "current_event__status_after"
        if value == "roster":
            return queryset.filter(**{f"{field}__in": selectors.ROSTER_STATUSES})
        if value == "all":  # as of a past day: everyone already in the ledger then, not those registered later
            return queryset.exclude(status="") if self.as_of_day else queryset
        return queryset.filter(**{field: value})

    def filter_age(self, queryset, name, value):
        return selectors.filter_age_band(queryset, value)

    def filter_contact(self, queryset, name, value):
        return selectors.filter_contact_overdue(queryset) if value == "overdue" else queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORT_ORDER.get(value, SORT_ORDER["name"]))

    # Filters the roster spells can answer on their own (``_count``); any other one set reads the members.
    SPELL_FILTERS = frozenset({"as_of", "branch", "status", "sort"})

    def count(self) -> int:
        """How many members ``qs`` holds, once the filters are valid (``_count``), cached under the roster's
        generations (``members.generations``): every write that can change what the list's filters match — a
        flow event, an edit of a member (name, birth date, category, tags), a registration, an import, a contact
        that makes a member overdue — gives the committee a new generation in its own transaction, so the
        default list, paging through a search or the same search again count once. The key holds what the
        answer depends on — the user's scope, whether they may search by numbers and which filters they may
        use, the day — and a hash of the filters (never the searched text itself: it may be a phone or ID
        number). Not cached for exports (``purpose``) nor a member's own login."""
        if getattr(self, "purpose", VIEW) != VIEW or is_member_login(self.user):
            return self._count()
        values = sorted((name, str(getattr(value, "pk", value))) for name, value in self.form.cleaned_data.items()
                        if value not in (None, ""))
        digest = hashlib.sha256(repr(values).encode()).hexdigest()
        scope = user_scope(self.user, VIEW)
        parts = [sorted(scope.committee_ids), sorted(scope.branch_ids), visibility.may_search_numbers(self.user),
                 sorted(visibility.hidden_filters(self.user)), digest, timezone.localdate().isoformat(),
                 settings.ELDERLY_AGE, selectors.contact_warning_months()]
        return generations.cached("ledger-count", parts, committee_ids_for(self.user, VIEW), self._count)

    def _count(self) -> int:
        """``qs.count()``, but read from the roster spells alone (``selectors.roster_spell_count``, an
        index-only count) when only the day, branch and status are chosen — the default list, whatever the
        size of the committee."""
        cleaned = self.form.cleaned_data
        if any(cleaned.get(name) not in (None, "") for name in self.filters if name not in self.SPELL_FILTERS):
            return self.qs.count()
        purpose = getattr(self, "purpose", VIEW)
        status, branch, day = cleaned.get("status") or "roster", cleaned.get("branch"), self.as_of_day
        if status == "all" and day is None:  # today "everyone" includes members not yet registered (no spell)
            members = selectors.restrict_members(self.user, purpose)
            return (members.filter(branch=branch) if branch is not None else members).count()
        statuses = selectors.ROSTER_STATUSES if status == "roster" else None if status == "all" else [status]
        return selectors.roster_spell_count(self.user, purpose, day=day, statuses=statuses, branch=branch)

    class Meta:
        form = MemberFilterForm  # a TzForm: the project's messages, naming the filter

    @property
    def qs(self):
        queryset = super().qs
        cleaned = self.form.cleaned_data
        if cleaned.get("q") and cleaned.get("sort") in (None, "", "name"):
            # A search's rows are found by its own indexes (pinyin and initials prefixes, the name's characters),
            # then sorted: by the same pinyin, said as an expression no index is ordered by. Ordered by the bare
            # column, PostgreSQL walked the (committee, pinyin) index to the page's LIMIT and tested each row
            # against the search (124,000 rows for "wl" among 200,000 members, where the matches sort late).
            queryset = queryset.order_by(Concat(F("name_pinyin"), Value("")), "id")
        elif not cleaned.get("sort"):
            queryset = queryset.order_by(*SORT_ORDER["name"])
        return queryset
