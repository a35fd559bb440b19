"""The one filter set of the ledger list: drives the page, its htmx refresh and (later) exports."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.forms import TzForm
from taizhang.core.permissions import VIEW, user_scope
from taizhang.members import selectors, visibility
from taizhang.members.models import Category, Status, Tag
from taizhang.organisation.models import Branch

AGE_CHOICES = [
    ("under35", _("Under 35")),
    ("35-44", _("35 to 44")),
    ("45-59", _("45 to 59")),
    ("60plus", _("60 and over")),
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
    "-last_contact": ["-last_contact_date", "id"],
    "last_contact": ["last_contact_date", "id"],
    "-created": ["-created_at", "-id"],
}


class MemberFilter(django_filters.FilterSet):
    class Meta:
        form = TzForm  # the project's messages, naming the filter

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        widget=forms.TextInput(attrs={"placeholder": _("Name, pinyin, phone, ID last 4"), "type": "search"}),
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("branch"), queryset=Branch.objects.none(), empty_label=_("All branches"),
        error_messages={"invalid_choice": _("There is no branch “%(value)s” among the branches you can see.")},
    )
    category = django_filters.ChoiceFilter(label=_("category"), choices=Category.choices, empty_label=_("All categories"))
    status = django_filters.ChoiceFilter(label=_("status"), choices=STATUS_CHOICES, method="filter_status", empty_label=None)
    age = django_filters.ChoiceFilter(label=_("age"), choices=AGE_CHOICES, method="filter_age", empty_label=_("All ages"))
    contact = django_filters.ChoiceFilter(
        label=_("contact"),
        choices=[("overdue", _("No contact for 5+ months"))],
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
        scope = user_scope(request.user, VIEW)
        branches = Branch.objects.filter(committee_id__in=scope.committee_ids) | Branch.objects.filter(pk__in=scope.branch_ids)
        self.filters["branch"].queryset = branches.order_by("sort_order")
        committees = set(scope.committee_ids) | set(branches.values_list("committee_id", flat=True))
        if "tag" in self.filters:
            self.filters["tag"].queryset = Tag.objects.filter(committee_id__in=committees)

    def filter_q(self, queryset, name, value):
        return selectors.search_members(queryset, value, numbers=visibility.may_search_numbers(self.user))

    def filter_status(self, queryset, name, value):
        if value == "roster":
            return queryset.filter(status__in=selectors.ROSTER_STATUSES)
        if value == "all":
            return queryset
        return queryset.filter(status=value)

    def filter_age(self, queryset, name, value):
        return selectors.filter_age_band(queryset, value)

    def filter_contact(self, queryset, name, value):
        return selectors.filter_contact_overdue(queryset) if value == "overdue" else queryset

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORT_ORDER.get(value, SORT_ORDER["name"]))

    @property
    def qs(self):
        queryset = super().qs
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORT_ORDER["name"])
        return queryset
