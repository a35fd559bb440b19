"""The security policy as data on a page: the environment settings as defaults, edited only by the
security admin, every change audited old → new, ranges checked with Chinese messages, and read from one
place by the lockout, the session timeouts and the password validator."""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.accounts.models import SecurityPolicy
from taizhang.accounts.policy import FIELDS, current_policy
from taizhang.accounts.services import security_policy_update
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = reverse("accounts:security_policy")


def values(**changes) -> dict:
    return {f.name: getattr(current_policy(), f.name) for f in FIELDS} | changes


def test_the_defaults_are_the_environment_settings(settings):
    settings.LOCKOUT_MINUTES = 45
    settings.ADMIN_PASSWORD_MIN_LENGTH = 14
    policy = current_policy()
    assert (policy.lockout_minutes, policy.admin_password_min_length) == (45, 14)
    assert (policy.lockout_failures, policy.idle_timeout_minutes, policy.admin_idle_timeout_minutes,
            policy.session_absolute_hours, policy.password_min_length) == (5, 30, 15, 12, 8)


def test_the_security_admin_changes_it_and_each_change_is_audited(cast):
    security_policy_update(actor=cast.secadmin, values=values(lockout_minutes=60, idle_timeout_minutes=20))
    assert current_policy().lockout_minutes == 60
    entry = AuditEntry.objects.get(action="security_policy.update")
    assert entry.actor == cast.secadmin and entry.success
    assert entry.old_values == {"lockout_minutes": 30, "idle_timeout_minutes": 30}
    assert entry.new_values == {"lockout_minutes": 60, "idle_timeout_minutes": 20}


def test_saving_the_same_numbers_again_writes_no_entry(cast):
    security_policy_update(actor=cast.secadmin, values=values())
    assert not AuditEntry.objects.filter(action="security_policy.update").exists()


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "admin", "outsider"])
def test_nobody_else_changes_it(cast, who):
    with pytest.raises(PermissionDenied):
        security_policy_update(actor=getattr(cast, who), values=values(lockout_minutes=1))
    assert not SecurityPolicy.objects.exists()
    assert not AuditEntry.objects.get(action="security_policy.update").success


@pytest.mark.parametrize("changes, field, message", [
    ({"lockout_minutes": 0}, "lockout_minutes", "锁定时长（分钟）须为1至1440之间的整数。"),
    ({"lockout_failures": 0}, "lockout_failures", "锁定前允许的登录失败次数须为1至10之间的整数。"),
    ({"admin_password_min_length": 11}, "admin_password_min_length", "三员的密码最短长度须为12至128之间的整数。"),
    ({"password_min_length": 7}, "password_min_length", "密码最短长度须为8至128之间的整数。"),
    ({"session_absolute_hours": 25}, "session_absolute_hours", "会话最长时间（小时）须为1至24之间的整数。"),
    ({"password_min_length": 14, "admin_password_min_length": 12}, "admin_password_min_length",
     "三员的密码最短长度不能短于所有用户的最短长度。"),
    ({"admin_idle_timeout_minutes": 40}, "admin_idle_timeout_minutes", "三员的空闲超时不能长于所有用户的空闲超时。"),
])
def test_out_of_range_numbers_are_refused_with_a_chinese_message(cast, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        security_policy_update(actor=cast.secadmin, values=values(**changes))
    assert exc.value.message_dict[field] == [message]
    assert not SecurityPolicy.objects.exists()


def test_the_page_is_the_security_admins_only(client, cast):
    for who in ("sysadmin", "auditor", "admin", "plain_member"):
        client.force_login(getattr(cast, who))
        assert client.get(URL).status_code == 403
        assert client.post(URL, values(lockout_minutes=1)).status_code == 403
    client.force_login(cast.secadmin)
    page = client.get(URL)
    assert page.status_code == 200 and "锁定时长（分钟）" in page.content.decode()
    assert client.post(URL, values(lockout_minutes=10)).status_code == 302
    assert current_policy().lockout_minutes == 10
    bad = client.post(URL, values(lockout_minutes=0))
    assert bad.status_code == 200
    assert bad.context["form"].errors["lockout_minutes"] == ["锁定时长（分钟）须为1至1440之间的整数。"]


def _age_session(client, **offsets):
    session = client.session
    for key, seconds in offsets.items():
        session[key] = time.time() - seconds
    session.save()


def test_the_idle_timeouts_come_from_the_policy(client, cast):
    security_policy_update(actor=cast.secadmin, values=values(idle_timeout_minutes=10, admin_idle_timeout_minutes=5))
    client.force_login(cast.east_secretary)
    client.get(reverse("home"))
    _age_session(client, last_seen=9 * 60)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, last_seen=11 * 60)
    assert client.get(reverse("home")).status_code == 302
    client.force_login(cast.auditor)
    client.get(reverse("home"))
    _age_session(client, last_seen=6 * 60)
    assert client.get(reverse("home")).status_code == 302


def test_the_absolute_session_limit_comes_from_the_policy(client, cast):
    security_policy_update(actor=cast.secadmin, values=values(session_absolute_hours=2))
    client.force_login(cast.east_secretary)
    client.get(reverse("home"))
    _age_session(client, started=2 * 3600 + 60, last_seen=60)
    assert client.get(reverse("home")).status_code == 302
