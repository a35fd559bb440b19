"""Elderly mode (适老化): large text and high contrast are saved on the user, and the buttons say which is on."""

import pytest
from django.urls import reverse

from taizhang.accounts.models import User
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_large_text_is_saved_on_the_user_and_follows_them_to_a_new_browser(client, cast):
    client.force_login(cast.plain_member)
    page = client.get(reverse("home")).content.decode()
    assert "大字模式：未开启" in page and 'class="tz-large' not in page
    response = client.post(reverse("accounts:display"), {"option": "large_text", "on": "1", "next": "/points/mine/"})
    assert response.status_code == 302 and response["Location"] == "/points/mine/"
    assert User.objects.get(pk=cast.plain_member.pk).large_text is True
    assert AuditEntry.objects.filter(action="user.display", actor=cast.plain_member).exists()

    from django.test import Client

    other_browser = Client()  # a new browser: nothing in its storage, only the login
    other_browser.force_login(cast.plain_member)
    page = other_browser.get(reverse("home")).content.decode()
    assert '<html lang="zh-CN" class="tz-large ">' in page
    assert "大字模式：已开启" in page and 'aria-pressed="true"' in page


def test_high_contrast_is_a_separate_choice_and_can_be_turned_off(client, cast):
    client.force_login(cast.plain_member)
    client.post(reverse("accounts:display"), {"option": "high_contrast", "on": "1"})
    page = client.get(reverse("home")).content.decode()
    assert 'class="tz-contrast"' in page and "高对比度：已开启" in page and "大字模式：未开启" in page
    client.post(reverse("accounts:display"), {"option": "high_contrast", "on": "0"})
    assert User.objects.get(pk=cast.plain_member.pk).high_contrast is False


def test_display_toggle_refuses_unknown_options_and_foreign_redirects(client, cast):
    client.force_login(cast.plain_member)
    assert client.post(reverse("accounts:display"), {"option": "is_superuser", "on": "1"}).status_code == 400
    assert User.objects.get(pk=cast.plain_member.pk).is_superuser is False
    response = client.post(reverse("accounts:display"), {"option": "large_text", "on": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get(reverse("accounts:display")).status_code == 405


def test_no_inline_script_on_the_member_pages(client, cast):
    """A strict CSP is coming: the pages a member uses carry no inline script or event handler."""
    import re

    client.force_login(cast.plain_member)
    urls = [reverse("home"), reverse("members:detail", args=[cast.me.pk]), reverse("members:change_request", args=[cast.me.pk]),
            reverse("activities:list"), reverse("content:study_list"), reverse("content:my_notes"), reverse("points:mine"),
            reverse("activity_reports:calendar")]
    for url in urls:
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert not re.search(r"\son(click|change|submit|load)=", page), url
        assert "localStorage" not in page
