"""Sign-in lockout (DOMAIN_RULES.md "Security"): the policy's failures in a row lock the user name for the
policy's minutes, counted from the failure that locked it; counted and decided atomically; the system
admin unlocks."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.forms import LoginForm
from taizhang.accounts.models import LoginThrottle
from taizhang.accounts.policy import FIELDS, current_policy
from taizhang.accounts.selectors import lock_of
from taizhang.accounts.services import security_policy_update, user_unlock
from taizhang.core.models import AuditEntry
from taizhang.core.tests.threads import run_at_once
from taizhang.members.tests.factories import TEST_PASSWORD


@pytest.fixture
def fast_hashing(settings):
    """Every attempt checks a hash; Argon2 makes that slow, so these tests use MD5 for the cast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def rehash(*users):
        for user in users:
            user.set_password(TEST_PASSWORD)
            user.save(update_fields=["password"])

    return rehash


@pytest.fixture
def cast_md5(cast, fast_hashing):
    fast_hashing(cast.east_secretary, cast.west_secretary)
    return cast


def attempt(username, password="wrong-password"):
    """One sign-in through the login form: None when it succeeds, else the error code."""
    form = LoginForm(request=None, data={"username": username, "password": password})
    if form.is_valid():
        return None
    return form.errors.as_data()["__all__"][0].code


def fail(username, times):
    return [attempt(username) for _ in range(times)]


def is_locked_out(username) -> bool:
    """As the user pages say it (``lock_of``)."""
    return lock_of(username) is not None


class Clock:
    """timezone.now, moved by hand."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta):
        self.now += datetime.timedelta(**delta)


pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_user_name_and_each_is_audited(cast_md5):
    assert fail("east_secretary", 5) == ["invalid_login"] * 4 + ["locked_now"]
    assert is_locked_out("east_secretary")
    assert AuditEntry.objects.filter(action="auth.login_failed", actor_username="east_secretary",
                                     success=False).count() == 5
    assert AuditEntry.objects.filter(action="auth.locked", actor_username="east_secretary").count() == 1


def test_the_locking_answer_says_so_in_chinese(cast_md5):
    fail("east_secretary", 4)
    form = LoginForm(request=None, data={"username": "east_secretary", "password": "wrong"})
    assert not form.is_valid()
    assert "锁定30分钟" in form.non_field_errors()[0]


def test_a_locked_user_cannot_sign_in_even_with_the_right_password(cast_md5):
    fail("east_secretary", 5)
    assert attempt("east_secretary", TEST_PASSWORD) == "locked"
    assert AuditEntry.objects.filter(action="auth.login_locked", actor_username="east_secretary",
                                     success=False).exists()


def test_lockout_is_per_user_name(cast_md5):
    fail("east_secretary", 5)
    assert attempt("west_secretary", TEST_PASSWORD) is None


def test_unknown_user_names_are_counted_and_locked(cast_md5):
    fail("nobody", 5)
    assert is_locked_out("nobody")


def test_four_failures_do_not_lock(cast_md5):
    fail("east_secretary", 4)
    assert not is_locked_out("east_secretary")
    assert attempt("east_secretary", TEST_PASSWORD) is None


def test_the_lock_lasts_thirty_minutes_from_the_locking_failure(cast_md5, monkeypatch):
    """Four failures, then the fifth 29 minutes later: locked for 30 minutes from that fifth one (on main
    the four old failures aged out a minute later and the lock with them)."""
    clock = Clock(monkeypatch)
    fail("east_secretary", 4)
    clock.advance(minutes=29)
    assert fail("east_secretary", 1) == ["locked_now"]
    clock.advance(minutes=2)
    assert is_locked_out("east_secretary")
    assert attempt("east_secretary", TEST_PASSWORD) == "locked"
    clock.advance(minutes=27, seconds=30)
    assert is_locked_out("east_secretary")
    clock.advance(minutes=1)
    assert not is_locked_out("east_secretary")
    assert attempt("east_secretary", TEST_PASSWORD) is None


def test_attempts_while_locked_do_not_extend_the_lock(cast_md5, monkeypatch):
    clock = Clock(monkeypatch)
    fail("east_secretary", 5)
    clock.advance(minutes=20)
    assert fail("east_secretary", 3) == ["locked"] * 3
    clock.advance(minutes=10, seconds=1)
    assert attempt("east_secretary", TEST_PASSWORD) is None


def test_after_a_lock_expires_the_count_starts_again(cast_md5, monkeypatch):
    clock = Clock(monkeypatch)
    fail("east_secretary", 5)
    clock.advance(minutes=31)
    assert fail("east_secretary", 4) == ["invalid_login"] * 4
    assert not is_locked_out("east_secretary")


def test_failures_older_than_the_lock_period_no_longer_count(cast_md5, monkeypatch):
    clock = Clock(monkeypatch)
    fail("east_secretary", 4)
    clock.advance(minutes=31)
    assert fail("east_secretary", 4) == ["invalid_login"] * 4


def test_a_successful_sign_in_resets_the_count(cast_md5):
    fail("east_secretary", 4)
    assert attempt("east_secretary", TEST_PASSWORD) is None
    assert fail("east_secretary", 4) == ["invalid_login"] * 4


def test_the_numbers_come_from_the_security_policy(cast_md5, monkeypatch):
    values = {f.name: getattr(current_policy(), f.name) for f in FIELDS}
    security_policy_update(actor=cast_md5.secadmin, values=values | {"lockout_failures": 3, "lockout_minutes": 5})
    clock = Clock(monkeypatch)
    assert fail("east_secretary", 3) == ["invalid_login", "invalid_login", "locked_now"]
    clock.advance(minutes=4)
    assert is_locked_out("east_secretary")
    clock.advance(minutes=1, seconds=1)
    assert not is_locked_out("east_secretary")


def test_the_system_admin_unlocks_and_it_is_audited(cast_md5):
    fail("east_secretary", 5)
    assert user_unlock(actor=cast_md5.sysadmin, username="east_secretary") is True
    assert attempt("east_secretary", TEST_PASSWORD) is None
    entry = AuditEntry.objects.get(action="user.unlock")
    assert entry.actor == cast_md5.sysadmin and entry.old_values["failures"] == 5


@pytest.mark.parametrize("who", ["secadmin", "auditor", "admin"])
def test_only_the_system_admin_unlocks(cast_md5, who):
    fail("east_secretary", 5)
    with pytest.raises(PermissionDenied):
        user_unlock(actor=getattr(cast_md5, who), username="east_secretary")
    assert is_locked_out("east_secretary")
    assert not AuditEntry.objects.get(action="user.unlock").success


def test_the_unlock_button_on_the_account_page(client, cast_md5):
    fail("east_secretary", 5)
    client.force_login(cast_md5.sysadmin)
    page = client.get(reverse("accounts:user_detail", args=[cast_md5.east_secretary.pk]))
    assert "解除锁定" in page.content.decode()
    assert client.post(reverse("accounts:user_unlock", args=[cast_md5.east_secretary.pk])).status_code == 302
    assert not is_locked_out("east_secretary")
    client.force_login(cast_md5.secadmin)
    fail("west_secretary", 5)
    assert client.post(reverse("accounts:user_unlock", args=[cast_md5.west_secretary.pk])).status_code == 403
    assert is_locked_out("west_secretary")


def test_the_login_page_shows_the_lock(client, cast_md5):
    fail("east_secretary", 5)
    response = client.post(reverse("accounts:login"), {"username": "east_secretary", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel sign-ins need PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_wrong_passwords_give_at_most_five_wrong_password_answers(cast, fast_hashing):
    fast_hashing(cast.east_secretary)
    answers, lock = [], threading.Lock()

    def run():
        code = attempt("east_secretary")
        with lock:
            answers.append(code)

    run_at_once(run, 20)
    assert len(answers) == 20
    wrong = [a for a in answers if a in ("invalid_login", "locked_now")]
    assert len(wrong) == 5, answers
    assert answers.count("locked") == 15
    assert LoginThrottle.objects.get(username="east_secretary").failures == 5
