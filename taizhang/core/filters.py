import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from taizhang.core.models import AuditEntry


class AuditFilter(django_filters.FilterSet):
    actor_username = django_filters.CharFilter(label=_("user name"), lookup_expr="iexact")
    action = django_filters.CharFilter(label=_("action"), lookup_expr="istartswith",
                                       widget=forms.TextInput(attrs={"placeholder": "member."}))
    object_id = django_filters.CharFilter(label=_("object id"))
    success = django_filters.ChoiceFilter(
        label=_("result"), choices=[("true", _("success")), ("false", _("failure"))], method="filter_success",
        empty_label=_("All results"),
    )
    date_from = django_filters.DateFilter(label=_("from"), field_name="timestamp", lookup_expr="date__gte",
                                          widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(label=_("to"), field_name="timestamp", lookup_expr="date__lte",
                                        widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = []

    def filter_success(self, queryset, name, value):
        return queryset.filter(success=(value == "true"))
