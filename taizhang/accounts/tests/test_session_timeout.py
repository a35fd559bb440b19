"""Idle and absolute session limits (DOMAIN_RULES.md "Security")."""

import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _age_session(client, **offsets):
    session = client.session
    for key, seconds in offsets.items():
        session[key] = time.time() - seconds
    session.save()


def test_member_session_ends_after_30_idle_minutes(client, cast):
    client.force_login(cast.east_secretary)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, last_seen=29 * 60)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, last_seen=31 * 60)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_admin_post_session_ends_after_15_idle_minutes(client, cast):
    client.force_login(cast.auditor)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, last_seen=16 * 60)
    assert client.get(reverse("home")).status_code == 302


def test_session_ends_after_12_hours_even_when_active(client, cast):
    client.force_login(cast.east_secretary)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, started=12 * 3600 + 60, last_seen=60)
    assert client.get(reverse("home")).status_code == 302
