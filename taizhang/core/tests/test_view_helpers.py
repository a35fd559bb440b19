"""The thin views' shared steps: the pager's page and query string, and service → message."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from taizhang.core.errors import service_message, service_on_form
from taizhang.core.forms import TzForm
from taizhang.core.paging import page_of, pager_query


def _request(path):
    request = RequestFactory().get(path)
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_the_pager_query_drops_the_page_and_keeps_every_value_of_a_repeated_filter():
    request = _request("/x/?page=3&branch=1&branch=2&q=张&format=xlsx")
    assert pager_query(request) == "branch=1&branch=2&q=%E5%BC%A0&format=xlsx"
    assert pager_query(request, "format", "q") == "branch=1&branch=2"


def test_a_page_out_of_range_or_not_a_number_gives_the_last_or_the_first_page():
    assert page_of(_request("/x/?page=99"), list(range(25)), 10).number == 3
    assert page_of(_request("/x/?page=abc"), list(range(25)), 10).number == 1


def test_a_refusal_becomes_one_error_message_and_success_a_success_message():
    request = _request("/x/")

    def refuse():
        raise ValidationError({"a": ["第一条"], "b": ["第二条"]})

    assert service_message(request, refuse, "不会出现") is False
    assert service_message(request, lambda: 7, lambda n: f"完成 {n}") is True
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [("error", "第一条；第二条"),
                                                                         ("success", "完成 7")]


def test_a_refusal_on_a_form_lands_next_to_its_field():
    from django import forms

    class Form(TzForm):
        name = forms.CharField()

    form = Form({"name": "x"})
    assert form.is_valid()
    request = _request("/x/")

    def refuse():
        raise ValidationError({"name": ["名字已被占用"], "other": ["整体问题"]})

    assert service_on_form(request, form, refuse, "不会出现") is False
    assert form.errors == {"name": ["名字已被占用"], "__all__": ["整体问题"]}
    assert list(get_messages(request)) == []
