"""Passwords: every user changes their own; new and reset passwords are changed at the first sign-in;
a change ends the user's other sessions and revokes the .ics link; the personal-data rule and the
admin-post length apply whenever a password is set or found too weak at sign-in."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from taizhang.accounts.models import User
from taizhang.accounts.services import (
    role_assign,
    user_confirm_password_reset,
    user_create,
    user_reset_password,
    user_set_active,
)
from taizhang.activities import ics
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "Qingdao-Beijing-2026"
CHANGE = reverse("accounts:password_change")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def change(client, current, new, again=None):
    return client.post(CHANGE, {"current_password": current, "new_password": new,
                                "new_password2": new if again is None else again})


def errors(response) -> dict:
    return {k: [str(e) for e in v] for k, v in response.context["form"].errors.items()}


@pytest.fixture
def user(db):
    """An east secretary's login with a known password (MD5 for speed)."""
    user = UserFactory(username="lihua")
    user.set_password(TEST_PASSWORD)
    user.save()
    return user


# --- the change page ----------------------------------------------------------------------------


def test_every_user_can_change_their_own_password(client, cast):
    for who in ("plain_member", "admin", "auditor", "outsider"):
        client.force_login(getattr(cast, who))
        assert client.get(CHANGE).status_code == 200


def test_change_needs_the_current_password(client, user):
    client.force_login(user)
    response = change(client, "wrong-one", NEW)
    assert errors(response) == {"current_password": ["当前密码不正确。"]}
    assert User.objects.get(pk=user.pk).check_password(TEST_PASSWORD)
    assert not AuditEntry.objects.get(action="user.password_change").success


@pytest.mark.parametrize("new, field, message", [
    ("Ab1!xyz", "new_password", "密码长度至少为8位。"),
    ("abcdefgh12", "new_password", "密码须至少包含小写字母、大写字母、数字、符号中的三种。"),
    ("Lihua#2024xx", "new_password", "密码不得包含用户名。"),
    (TEST_PASSWORD, "new_password", "新密码不能与当前密码相同。"),
])
def test_change_gives_a_chinese_message_per_rule(client, user, new, field, message):
    client.force_login(user)
    response = change(client, TEST_PASSWORD, new)
    assert message in errors(response)[field]


def test_the_two_new_passwords_must_match(client, user):
    client.force_login(user)
    response = change(client, TEST_PASSWORD, NEW, NEW + "x")
    assert errors(response) == {"new_password2": ["两次输入的新密码不一致。"]}


def test_a_change_ends_the_other_sessions_but_not_this_one(client, user):
    other = Client()
    assert sign_in(other, "lihua", TEST_PASSWORD).status_code == 302
    assert sign_in(client, "lihua", TEST_PASSWORD).status_code == 302
    assert other.get(reverse("home")).status_code == 200
    assert change(client, TEST_PASSWORD, NEW).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    response = other.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert SESSION_KEY not in other.session
    user.refresh_from_db()
    assert user.check_password(NEW)
    entry = AuditEntry.objects.get(action="user.password_change", success=True)
    assert entry.actor == user and NEW not in str(entry.new_values)


def test_a_change_ends_the_other_sessions_with_cache_sessions_too(client, user, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    other = Client()
    sign_in(other, "lihua", TEST_PASSWORD)
    sign_in(client, "lihua", TEST_PASSWORD)
    change(client, TEST_PASSWORD, NEW)
    assert client.get(reverse("home")).status_code == 200
    assert other.get(reverse("home")).status_code == 302


def test_a_change_revokes_the_calendar_link(client, cast):
    user = cast.plain_member
    user.set_password(TEST_PASSWORD)
    user.save()
    old_feed = reverse("activity_reports:ics", args=[ics.feed_token(user)])
    assert client.get(old_feed).status_code == 200
    client.force_login(user)
    assert change(client, TEST_PASSWORD, NEW).status_code == 302
    assert client.get(old_feed).status_code == 404
    new_feed = reverse("activity_reports:ics", args=[ics.feed_token(User.objects.get(pk=user.pk))])
    assert new_feed != old_feed and client.get(new_feed).status_code == 200


def test_the_personal_data_rule_applies_on_change(client, cast):
    user = cast.plain_member
    user.set_password(TEST_PASSWORD)
    user.save()
    client.force_login(user)
    response = change(client, TEST_PASSWORD, f"Zw#{cast.me.birth_date:%Y%m%d}")
    assert errors(response) == {"new_password": ["密码不得包含您的手机号码、出生日期或公民身份号码。"]}


# --- first sign-in and admin resets -------------------------------------------------------------


def test_a_new_account_must_change_its_password_at_the_first_sign_in(client, cast):
    user_create(actor=cast.sysadmin, username="xinren", password="Qz8#vlmt-start")
    assert sign_in(client, "xinren", "Qz8#vlmt-start")["Location"] == reverse("home")
    for url in (reverse("home"), reverse("members:list"), reverse("activities:list"), reverse("points:mine")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == CHANGE, url
    htmx = client.get(reverse("activities:list"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == CHANGE
    page = client.get(CHANGE)
    assert page.status_code == 200 and "继续使用前，您必须设置新密码" in page.content.decode()
    assert change(client, "Qz8#vlmt-start", NEW).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert not User.objects.get(username="xinren").must_change_password


def test_sign_out_is_allowed_before_the_change(client, cast):
    user_create(actor=cast.sysadmin, username="xinren", password="Qz8#vlmt-start")
    sign_in(client, "xinren", "Qz8#vlmt-start")
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_a_password_reset_by_the_system_admin_must_be_changed(client, cast, user):
    user_reset_password(actor=cast.sysadmin, user=user, password="Reset#Pass-2026")
    user_confirm_password_reset(actor=cast.secadmin, user=user)
    user.refresh_from_db()
    assert user.must_change_password and user.check_password("Reset#Pass-2026")
    assert AuditEntry.objects.get(action="user.password_reset").actor == cast.sysadmin
    assert AuditEntry.objects.get(action="user.password_reset_confirm").actor == cast.secadmin
    sign_in(client, "lihua", "Reset#Pass-2026")
    assert client.get(reverse("home"))["Location"] == CHANGE


def test_a_reset_password_works_only_after_the_security_admin_confirms_it(client, cast):
    """Else the system admin resets the committee secretary's password, signs in as him and reads every
    ID number."""
    user_reset_password(actor=cast.sysadmin, user=cast.admin, password="Reset#Pass-2026")
    response = sign_in(client, "admin", "Reset#Pass-2026")
    assert response.status_code == 200 and SESSION_KEY not in client.session
    assert "需安全管理员确认" in response.content.decode()
    assert not AuditEntry.objects.get(action="auth.login_reset_pending").success
    client.force_login(cast.secadmin)
    page = client.get(reverse("accounts:user_detail", args=[cast.admin.pk]))
    assert "确认密码重置" in page.content.decode()
    assert client.post(reverse("accounts:user_confirm_password_reset", args=[cast.admin.pk])).status_code == 302
    client.logout()
    assert sign_in(client, "admin", "Reset#Pass-2026").status_code == 302


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "admin"])
def test_only_the_security_admin_confirms_a_reset(cast, user, who):
    user_reset_password(actor=cast.sysadmin, user=user, password="Reset#Pass-2026")
    with pytest.raises(PermissionDenied):
        user_confirm_password_reset(actor=getattr(cast, who), user=user)
    assert User.objects.get(pk=user.pk).password_reset_pending
    assert not AuditEntry.objects.get(action="user.password_reset_confirm").success


def test_confirming_without_a_pending_reset_is_refused(cast, user):
    with pytest.raises(ValidationError):
        user_confirm_password_reset(actor=cast.secadmin, user=user)


def test_a_reset_follows_the_policy_of_the_account(cast):
    with pytest.raises(ValidationError) as exc:
        user_reset_password(actor=cast.sysadmin, user=cast.plain_member, password=f"Zw#{cast.me.phone}")
    assert exc.value.message_dict["password"] == ["密码不得包含您的手机号码、出生日期或公民身份号码。"]
    assert not AuditEntry.objects.get(action="user.password_reset").success


@pytest.mark.parametrize("who", ["secadmin", "auditor"])
def test_the_system_admin_cannot_reset_another_admin_posts_password(cast, who):
    """Else he could sign in as the security admin (or the audit admin) and hold two posts."""
    target = getattr(cast, who)
    with pytest.raises(ValidationError) as exc:
        user_reset_password(actor=cast.sysadmin, user=target, password="Reset#Pass-2026-long")
    assert "manage.py changepassword" in exc.value.message_dict["password"][0]
    assert User.objects.get(pk=target.pk).password == target.password


@pytest.mark.parametrize("who", ["secadmin", "auditor", "admin"])
def test_only_the_system_admin_resets_passwords(cast, user, who):
    with pytest.raises(PermissionDenied):
        user_reset_password(actor=getattr(cast, who), user=user, password="Reset#Pass-2026")
    assert User.objects.get(pk=user.pk).check_password(TEST_PASSWORD)


def test_the_system_admin_does_not_reset_his_own_password(cast):
    with pytest.raises(ValidationError):
        user_reset_password(actor=cast.sysadmin, user=cast.sysadmin, password="Reset#Pass-2026")


def test_reset_and_deactivate_on_the_account_page(client, cast, user):
    client.force_login(cast.sysadmin)
    url = reverse("accounts:user_reset_password", args=[user.pk])
    assert client.post(url, {"password": "Reset#Pass-2026"}).status_code == 302
    assert User.objects.get(pk=user.pk).must_change_password
    other = Client()
    other.force_login(cast.east_secretary)
    assert client.post(reverse("accounts:user_set_active", args=[cast.east_secretary.pk]),
                       {"active": "0"}).status_code == 302
    assert other.get(reverse("home")).status_code == 302  # a deactivated account's session ends
    assert AuditEntry.objects.filter(action="user.deactivate", actor=cast.sysadmin).exists()
    client.force_login(cast.secadmin)
    assert client.post(url, {"password": "Other#Pass-2026"}).status_code == 403


def test_nobody_deactivates_their_own_account(cast):
    with pytest.raises(ValidationError):
        user_set_active(actor=cast.sysadmin, user=cast.sysadmin, active=False)
    assert User.objects.get(pk=cast.sysadmin.pk).is_active


# --- rules found at sign-in ----------------------------------------------------------------------


def test_a_password_that_matches_the_member_linked_later_must_be_changed(client, cast):
    member = cast.central_members[0]
    password = f"Lz#{member.birth_date:%Y%m%d}"  # passes while the login has no ledger record
    account = user_create(actor=cast.sysadmin, username="liuyang", password=password, must_change_password=False)
    role_assign(actor=cast.secadmin, user=account, role="member", committee=cast.committee, member=member)
    sign_in(client, "liuyang", password)
    assert User.objects.get(pk=account.pk).must_change_password
    assert client.get(reverse("home"))["Location"] == CHANGE
    assert AuditEntry.objects.filter(action="user.password_change_required", actor=account).exists()


def test_an_admin_post_whose_password_is_too_short_must_change_it(client, cast):
    account = user_create(actor=cast.sysadmin, username="shenji2", password="Qz8#vlmt-x", must_change_password=False)
    role_assign(actor=cast.secadmin, user=account, role="audit_admin", committee=cast.committee)
    account.refresh_from_db()
    assert account.must_change_password  # flagged when the post was given
    sign_in(client, "shenji2", "Qz8#vlmt-x")
    response = change(client, "Qz8#vlmt-x", "Qz8#vlmt-xyz")  # 12 characters: long enough now
    assert response.status_code == 302
    assert not User.objects.get(pk=account.pk).must_change_password


def test_a_short_admin_password_is_caught_at_sign_in_too(client, cast):
    """An account flagged as fit (e.g. the minimum was raised since) is checked with the plain password."""
    from taizhang.accounts.policy import FIELDS, current_policy
    from taizhang.accounts.services import security_policy_update

    cast.auditor.set_password(TEST_PASSWORD)  # 19 characters
    cast.auditor.save()
    values = {f.name: getattr(current_policy(), f.name) for f in FIELDS}
    security_policy_update(actor=cast.secadmin, values=values | {"admin_password_min_length": 20})
    sign_in(client, "auditor", TEST_PASSWORD)
    assert User.objects.get(pk=cast.auditor.pk).must_change_password
    assert client.get(reverse("core:audit"))["Location"] == CHANGE


def test_a_password_that_meets_the_policy_is_not_flagged_at_sign_in(client, user):
    sign_in(client, "lihua", TEST_PASSWORD)
    assert not User.objects.get(pk=user.pk).must_change_password
    assert client.get(reverse("home")).status_code == 200
