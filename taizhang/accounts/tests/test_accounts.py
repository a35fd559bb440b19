"""Password policy, lockout after failed logins, and role assignment (DOMAIN_RULES.md "Security")."""

import datetime

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from taizhang.accounts.forms import LoginForm
from taizhang.accounts.models import RoleAssignment, User
from taizhang.accounts.services import is_locked_out, role_assign, role_revoke, user_create
from taizhang.accounts.validators import PolicyPasswordValidator
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import TEST_PASSWORD, UserFactory, grant

pytestmark = pytest.mark.django_db

policy = PolicyPasswordValidator()


def refusal(password, user=None) -> str:
    with pytest.raises(ValidationError) as exc:
        policy.validate(password, user)
    return exc.value.code


# --- password policy -----------------------------------------------------------------------------


def test_eight_characters_is_enough_for_ordinary_users():
    assert refusal("Ab1!xyz") == "too_short"
    policy.validate("Ab1!xyzw")


def test_admin_posts_need_twelve_characters(cast):
    for admin in (cast.sysadmin, cast.auditor):
        assert refusal("Bq7!mzkp3wr", admin) == "too_short"  # 11
        policy.validate("Bq7!mzkp3wrt", admin)  # 12


def test_committee_admin_is_not_an_admin_post_for_the_password_length(cast):
    policy.validate("Bq7!mzkp", cast.admin)


@pytest.mark.parametrize("password", ["abcdefgh12", "ABCDEFGH12", "abcdEFGHij", "abcdefg!@#", "1234567890!"])
def test_two_character_classes_are_not_enough(password):
    assert refusal(password) == "classes"


@pytest.mark.parametrize("password", ["abcdEFG1", "abcdefg1!", "ABCDEFG1!", "abcdEFG!"])
def test_three_character_classes_are_enough(password):
    policy.validate(password)


def test_password_must_not_contain_the_user_name():
    user = User(username="wangjianguo")
    assert refusal("Wangjianguo#2024", user) == "username"
    assert refusal("xxWANGJIANGUOxx1", user) == "username"
    policy.validate("Jianguo#2024wang", user)


def test_password_must_not_contain_own_phone_birth_date_or_id_number(cast):
    user, me = cast.plain_member, cast.me
    assert refusal(f"Ab!{me.phone}", user) == "personal"
    assert refusal(f"Zw#{me.birth_date:%Y%m%d}", user) == "personal"
    assert refusal(f"Zw#{me.id_number.lower()}", user) == "personal"
    policy.validate("Zw#19991231abc", user)


def test_other_peoples_numbers_are_not_checked(cast):
    other = cast.east_members[1]
    policy.validate(f"Ab!{other.phone}", cast.plain_member)


def test_project_password_settings_apply_the_policy_and_the_common_password_list(cast):
    with pytest.raises(ValidationError):
        validate_password("short1!", cast.outsider)
    with pytest.raises(ValidationError):
        validate_password("Password123", cast.outsider)  # a common password
    validate_password(TEST_PASSWORD, cast.sysadmin)


def test_user_create_checks_the_password_hashes_it_with_argon2_and_audits(cast):
    with pytest.raises(ValidationError):
        user_create(actor=cast.sysadmin, username="newbie", password="newbie123")
    assert not User.objects.filter(username="newbie").exists()
    user = user_create(actor=cast.sysadmin, username="newbie", password="Qz8#vlmt", display_name="新人")
    assert user.password.startswith("argon2")
    assert user.check_password("Qz8#vlmt")
    entry = AuditEntry.objects.get(action="user.create")
    assert (entry.actor, entry.object_id) == (cast.sysadmin, str(user.pk))
    assert "Qz8#vlmt" not in str(entry.new_values)


def test_user_name_must_be_unique(cast):
    with pytest.raises(ValidationError) as exc:
        user_create(actor=cast.sysadmin, username="admin", password="Qz8#vlmt")
    assert "username" in exc.value.message_dict


# --- lockout -------------------------------------------------------------------------------------
# (every test below uses the fast_hashing fixture, see there)


@pytest.fixture
def fast_hashing(cast, settings):
    """Login attempts check a hash each time; Argon2 makes that slow, so these tests use MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for user in (cast.east_secretary, cast.west_secretary):
        user.set_password(TEST_PASSWORD)
        user.save(update_fields=["password"])
    return cast


def fail_logins(username, times):
    for _ in range(times):
        assert authenticate(request=None, username=username, password="wrong-password") is None


def test_five_failed_logins_lock_the_user_name(cast, fast_hashing):
    fail_logins("east_secretary", 4)
    assert not is_locked_out("east_secretary")
    fail_logins("east_secretary", 1)
    assert is_locked_out("east_secretary")
    assert (
        AuditEntry.objects.filter(action="auth.login_failed", actor_username="east_secretary", success=False).count()
        == 5
    )


def test_lockout_is_per_user_name(cast, fast_hashing):
    fail_logins("east_secretary", 5)
    assert not is_locked_out("west_secretary")


def test_failures_for_unknown_user_names_are_logged_and_counted(cast, fast_hashing):
    fail_logins("nobody", 5)
    assert is_locked_out("nobody")


def test_locked_user_cannot_log_in_even_with_the_right_password(cast, fast_hashing):
    fail_logins("east_secretary", 5)
    form = LoginForm(request=None, data={"username": "east_secretary", "password": TEST_PASSWORD})
    assert not form.is_valid()
    assert form.has_error("__all__", code="locked")
    assert AuditEntry.objects.filter(
        action="auth.login_locked", actor_username="east_secretary", success=False
    ).exists()


def test_unlocked_user_logs_in_with_the_login_form(cast, fast_hashing):
    fail_logins("east_secretary", 4)
    form = LoginForm(request=None, data={"username": "east_secretary", "password": TEST_PASSWORD})
    assert form.is_valid(), form.errors
    assert form.get_user() == cast.east_secretary


def test_lock_expires_after_the_lockout_period(cast, fast_hashing, monkeypatch, settings):
    fail_logins("east_secretary", 5)
    assert is_locked_out("east_secretary")
    later = timezone.now() + datetime.timedelta(minutes=settings.LOCKOUT_MINUTES, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not is_locked_out("east_secretary")


def test_a_successful_login_resets_the_count(cast, fast_hashing, client):
    fail_logins("east_secretary", 4)
    assert client.login(username="east_secretary", password=TEST_PASSWORD)
    assert AuditEntry.objects.filter(action="auth.login", actor=cast.east_secretary).exists()
    fail_logins("east_secretary", 1)
    assert not is_locked_out("east_secretary")


def test_lockout_thresholds_are_settings(cast, fast_hashing, settings):
    settings.LOCKOUT_FAILURES = 3
    fail_logins("east_secretary", 3)
    assert is_locked_out("east_secretary")


# --- roles ---------------------------------------------------------------------------------------


def test_role_assign_is_audited_and_scoped(cast):
    user = UserFactory(username="new_secretary")
    assignment = role_assign(
        actor=cast.sysadmin, user=user, role="branch_secretary", committee=cast.committee, branch=cast.central
    )
    assert (assignment.role, assignment.branch) == ("branch_secretary", cast.central)
    entry = AuditEntry.objects.get(action="role.assign")
    assert entry.actor == cast.sysadmin
    assert entry.new_values == {
        "user": "new_secretary",
        "role": "branch_secretary",
        "committee": cast.committee.pk,
        "branch": cast.central.pk,
    }


def test_assigning_the_same_role_twice_changes_nothing(cast):
    role_assign(actor=cast.sysadmin, user=cast.outsider, role="study_member", committee=cast.committee)
    role_assign(actor=cast.sysadmin, user=cast.outsider, role="study_member", committee=cast.committee)
    assert cast.outsider.role_assignments.count() == 1
    assert AuditEntry.objects.filter(action="role.assign").count() == 1


@pytest.mark.parametrize("second", ["security_admin", "audit_admin"])
def test_one_person_holds_at_most_one_admin_post(cast, second):
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.sysadmin, user=cast.sysadmin, role=second, committee=cast.committee)
    assert "role" in exc.value.message_dict
    assert set(cast.sysadmin.role_assignments.values_list("role", flat=True)) == {"system_admin"}
    assert not AuditEntry.objects.filter(action="role.assign").exists()


def test_admin_post_holder_may_also_hold_a_non_admin_role(cast):
    role_assign(actor=cast.sysadmin, user=cast.auditor, role="study_member", committee=cast.committee)
    assert cast.auditor.role_assignments.count() == 2


def test_branch_secretary_needs_a_branch(cast):
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.sysadmin, user=cast.outsider, role="branch_secretary", committee=cast.committee)
    assert "branch" in exc.value.message_dict
    assert not cast.outsider.role_assignments.exists()


def test_branch_of_another_committee_is_refused(cast):
    from taizhang.members.tests.factories import make_committee

    other = make_committee(name="另一个党委")
    with pytest.raises(ValidationError) as exc:
        role_assign(
            actor=cast.sysadmin,
            user=cast.outsider,
            role="branch_secretary",
            committee=cast.committee,
            branch=other.east,
        )
    assert "branch" in exc.value.message_dict


def test_role_revoke_is_audited_and_takes_effect(cast):
    from taizhang.members.selectors import member_queryset

    assignment = RoleAssignment.objects.get(user=cast.east_secretary)
    role_revoke(actor=cast.sysadmin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert entry.actor == cast.sysadmin
    assert entry.old_values["role"] == "branch_secretary" and entry.old_values["user"] == "east_secretary"
    fresh = User.objects.get(pk=cast.east_secretary.pk)
    assert not member_queryset(fresh).exists()


def test_new_role_takes_effect_for_the_user(cast):
    from taizhang.members.selectors import member_queryset

    role_assign(
        actor=cast.sysadmin, user=cast.outsider, role="branch_secretary", committee=cast.committee, branch=cast.west
    )
    fresh = User.objects.get(pk=cast.outsider.pk)
    assert set(member_queryset(fresh)) == set(cast.west_members)


def test_is_admin_post(cast):
    assert cast.sysadmin.is_admin_post and cast.auditor.is_admin_post
    assert not cast.admin.is_admin_post and not cast.outsider.is_admin_post


def test_grant_helper_and_database_refuse_a_branch_secretary_without_branch(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        grant(cast.outsider, "branch_secretary", cast.committee)
