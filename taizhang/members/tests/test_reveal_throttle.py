"""Bulk reveal (issue 8): past TAIZHANG_REVEAL_LIMIT full numbers in TAIZHANG_REVEAL_WINDOW_MINUTES one user
is refused (Chinese message, audited as a failure) and the security and audit administrators get an alert,
with an unread count in their menu."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from taizhang.core.models import AuditEntry, SecurityAlert
from taizhang.core.tests.threads import run_at_once
from taizhang.members import services
from taizhang.members.tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture
def policy(settings):
    settings.REVEAL_LIMIT = LIMIT
    settings.REVEAL_WINDOW_MINUTES = 10
    return settings


@pytest.fixture
def security_admin(cast):
    user = UserFactory(username="security", display_name="安全管理员")
    grant(user, "security_admin", cast.committee)
    return user


def reveal(client, member, field="id_number"):
    return client.post(reverse("members:reveal", args=[member.pk, field]), HTTP_HX_REQUEST="true")


def test_reveals_past_the_limit_are_refused_audited_and_alerted(client, cast, policy):
    client.force_login(cast.admin)
    members = cast.members
    for member in members[:LIMIT]:
        response = reveal(client, member)
        assert member.id_number in response.content.decode()
    refused = reveal(client, members[LIMIT])
    text = refused.content.decode()
    assert members[LIMIT].id_number not in text
    assert "安全策略" in text and "10分钟" in text  # a Chinese message the htmx swap shows where the number was
    failure = AuditEntry.objects.filter(action="member.reveal", success=False).get()
    assert failure.actor == cast.admin and failure.object_id == str(members[LIMIT].pk)
    assert failure.message.startswith("throttled")
    alert = SecurityAlert.objects.get()
    assert alert.actor == cast.admin and alert.committee == cast.committee
    assert AuditEntry.objects.filter(action="security.alert", object_id=str(alert.pk)).exists()

    # Asking again in the same burst: refused and audited again, but no second alert.
    assert members[LIMIT + 1].phone not in reveal(client, members[LIMIT + 1], "phone").content.decode()
    assert AuditEntry.objects.filter(action="member.reveal", success=False).count() == 2
    assert SecurityAlert.objects.count() == 1


def test_refusal_without_htmx_is_429(client, cast, policy):
    client.force_login(cast.east_secretary)
    for _i in range(LIMIT):
        client.post(reverse("members:reveal", args=[cast.me.pk, "phone"]))
    response = client.post(reverse("members:reveal", args=[cast.me.pk, "phone"]))
    assert response.status_code == 429
    assert cast.me.phone not in response.content.decode()


def test_the_window_passes(cast, policy):
    for member in cast.members[:LIMIT]:
        services.member_reveal(actor=cast.admin, member_id=member.pk, field="id_number")
    with pytest.raises(services.RevealThrottled):
        services.member_reveal(actor=cast.admin, member_id=cast.members[LIMIT].pk, field="id_number")
    later = timezone.now() + datetime.timedelta(minutes=11)
    shown = services.member_reveal(actor=cast.admin, member_id=cast.members[LIMIT].pk, field="id_number", now=later)
    assert shown == cast.members[LIMIT].id_number


def test_the_limit_is_per_user(cast, policy):
    for member in cast.members[:LIMIT]:
        services.member_reveal(actor=cast.admin, member_id=member.pk, field="id_number")
    assert services.member_reveal(actor=cast.east_secretary, member_id=cast.me.pk, field="id_number") == cast.me.id_number


def test_default_policy_is_20_in_10_minutes(settings):
    from config import settings as project

    assert (project.REVEAL_LIMIT, project.REVEAL_WINDOW_MINUTES) == (20, 10)


def test_security_and_audit_admins_see_the_alert_with_an_unread_count(client, cast, policy, security_admin):
    for member in cast.east_members[:LIMIT]:
        services.member_reveal(actor=cast.east_secretary, member_id=member.pk, field="id_number")
    with pytest.raises(services.RevealThrottled):
        services.member_reveal(actor=cast.east_secretary, member_id=cast.me.pk, field="id_number")

    for admin in (security_admin, cast.auditor):
        client.force_login(admin)
        home = client.get(reverse("home")).content.decode()
        assert 'id="security-alerts-unread"' in home and ">1</span>" in home
        page = client.get(reverse("core:security_alerts"))
        assert page.status_code == 200
        text = page.content.decode()
        assert "east_secretary" in text and "安全告警" in text
        assert cast.me.id_number not in text and cast.me.name not in text  # the alert carries no member data
        assert 'id="security-alerts-unread"' not in client.get(reverse("home")).content.decode()  # now read
    assert "In the audit log" not in text and "审计日志中查看" in text  # the auditor gets the filtered audit log link

    for user in (cast.admin, cast.east_secretary, cast.sysadmin, cast.plain_member):
        client.force_login(user)
        assert client.get(reverse("core:security_alerts")).status_code == 403
        assert 'id="nav-security-alerts"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_parallel_reveals_cannot_pass_the_limit(cast, policy):
    """20 reveals at once by one user: exactly LIMIT are shown (PostgreSQL row lock; SQLite takes its
    write lock at the start of each transaction, so there the reveals run one after another)."""
    if connection.vendor != "postgresql":
        pytest.skip("threads against the in-memory SQLite test database share one connection lock")
    results = []

    def worker():
        try:
            services.member_reveal(actor=cast.admin, member_id=cast.me.pk, field="id_number")
            results.append("shown")
        except services.RevealThrottled:
            results.append("refused")

    run_at_once(worker, 10)
    assert results.count("shown") == LIMIT and results.count("refused") == 10 - LIMIT
    assert AuditEntry.objects.filter(action="member.reveal", success=True).count() == LIMIT
    assert SecurityAlert.objects.count() == 1
