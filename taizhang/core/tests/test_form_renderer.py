"""The project's form renderer writes selects out in Python (``core.renderers``): the same HTML as Django's
widget templates, character for character, whatever the select holds."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from taizhang.core.renderers import FormRenderer
from taizhang.organisation.models import Branch

CHOICES = [("", "—"), ("a", "甲 & <乙>"), (3, _("status")), ("x\"y", mark_safe("<b>safe</b>"))]
GROUPED = [("", "全部"), ("第一组", [("1", "一"), ("2", "二")]), (_("branch"), [("3", "三")]), ("4", "四")]


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES)
    optional = forms.ChoiceField(choices=CHOICES, required=False,
                                 widget=forms.Select(attrs={"class": "form-select", "data-x": "1 < 2", "disabled": True}))
    grouped = forms.ChoiceField(choices=GROUPED)
    many = forms.MultipleChoiceField(choices=GROUPED, required=False)
    yes_no = forms.NullBooleanField()
    days = forms.ChoiceField(choices=[(datetime.date(2024, 1, 2), datetime.date(2024, 1, 2))])  # a localised label
    branch = forms.ModelChoiceField(queryset=Branch.objects.order_by("pk"), empty_label="所有支部")


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"plain": "a", "optional": "3", "grouped": "3", "many": ["1", "4"],
                                       "yes_no": "true", "days": "2024-01-02"},
                                  {"plain": "x\"y", "grouped": "", "many": ["3"], "yes_no": "false"}])
def test_selects_are_the_templates_html(cast, data):
    data = {**data, "branch": cast.east.pk} if data else data
    ours = Everything(data or None, renderer=FormRenderer())
    django = Everything(data or None, renderer=DjangoTemplates())
    for name in ours.fields:
        for attrs in (None, {"class": "form-select", "required": True, "aria-label": "选 & 择"}):
            assert ours[name].as_widget(attrs=attrs) == django[name].as_widget(attrs=attrs), name


def test_the_project_renders_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "taizhang.core.renderers.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)


def test_only_a_label_the_template_would_localise_falls_back_to_the_templates():
    from taizhang.core.renderers import select_html

    form = Everything()
    for name in ("plain", "optional", "grouped", "many", "yes_no"):
        assert select_html(form.fields[name].widget.get_context(name, "", {})) is not None, name
    assert select_html(form.fields["days"].widget.get_context("days", "", {})) is None
