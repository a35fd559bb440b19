"""Each rule's number is a setting read in one place (issue 9 "Rules with their numbers"): change the
setting and the pages, labels and lists follow."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_elderly_age_drives_badges_labels_and_lists(client, cast, settings):
    client.force_login(cast.admin)
    text = client.get(reverse("members:list")).content.decode()
    assert "60+" in text and "60岁及以上" in text
    settings.ELDERLY_AGE = 55  # 陈刚 (born 1966) is now elderly too
    text = client.get(reverse("members:list"), {"age": "60plus"}).content.decode()
    assert "55岁及以上" in text and "55+" in text and "60+" not in text
    assert "陈刚" in text and "李秀英" in text and "王建国" not in text
    home = client.get(reverse("home")).content.decode()
    assert "55岁及以上" in home


def test_the_contact_warning_follows_its_setting(client, cast, settings):
    client.force_login(cast.admin)
    assert "超过5个月未联系" in client.get(reverse("home")).content.decode()
    settings.CONTACT_WARNING_MONTHS = 3
    assert "超过3个月未联系" in client.get(reverse("home")).content.decode()
    assert "超过3个月未联系" in client.get(reverse("members:list")).content.decode()


def test_the_study_days_command_honours_the_weekend_shift(settings):
    out = StringIO()
    call_command("study_days", "2026", "--format", "json", stdout=out)
    assert "2026-04-13" in out.getvalue()  # 2026-04-12 is a Sunday: on to Monday the 13th by default
    settings.STUDY_DAY_WEEKEND_SHIFT = "none"
    out = StringIO()
    call_command("study_days", "2026", "--format", "json", stdout=out)
    assert "2026-04-12" in out.getvalue() and "2026-04-13" not in out.getvalue()
    assert datetime.date(2026, 4, 12).weekday() == 6
