"""Password policy, lockout after failed logins, and role assignment (DOMAIN_RULES.md "Security")."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.models import RoleAssignment, User
from taizhang.accounts.policy import FIELDS, current_policy
from taizhang.accounts.services import role_assign, role_revoke, security_policy_update, user_create
from taizhang.accounts.validators import PolicyPasswordValidator
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import TEST_PASSWORD, UserFactory, grant

pytestmark = pytest.mark.django_db

policy = PolicyPasswordValidator()


def refusal(password, user=None) -> str | None:
    """The code of the policy's refusal, or None when it accepts the password."""
    try:
        policy.validate(password, user)
    except ValidationError as exc:
        return exc.code
    return None


# --- password policy -----------------------------------------------------------------------------


def test_eight_characters_is_enough_for_ordinary_users():
    assert refusal("Ab1!xyz") == "too_short"
    policy.validate("Ab1!xyzw")


def test_admin_posts_need_twelve_characters(cast):
    for admin in (cast.sysadmin, cast.secadmin, cast.auditor):
        assert refusal("Bq7!mzkp3wr", admin) == "too_short"  # 11
        policy.validate("Bq7!mzkp3wrt", admin)  # 12


def test_committee_admin_is_not_an_admin_post_for_the_password_length(cast):
    assert refusal("Bq7!mzkp", cast.admin) is None
    assert refusal("Bq7!mzkp", cast.auditor) == "too_short"


@pytest.mark.parametrize("password", ["abcdefgh12", "ABCDEFGH12", "abcdEFGHij", "abcdefg!@#", "1234567890!"])
def test_two_character_classes_are_not_enough(password):
    assert refusal(password) == "classes"


@pytest.mark.parametrize("password", ["abcdEFG1", "abcdefg1!", "ABCDEFG1!", "abcdEFG!"])
def test_three_character_classes_are_enough(password):
    assert refusal(password) is None


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
    assert refusal(f"Ab!{other.phone}", cast.plain_member) is None
    assert refusal(f"Ab!{cast.me.phone}", cast.plain_member) == "personal"  # the same shape with one's own


def test_project_password_settings_apply_the_policy_and_the_common_password_list(cast):
    with pytest.raises(ValidationError):
        validate_password("short1!", cast.outsider)
    with pytest.raises(ValidationError):
        validate_password("Password123", cast.outsider)  # a common password
    validate_password(TEST_PASSWORD, cast.sysadmin)


def test_password_lengths_come_from_the_security_policy(cast):
    values = {f.name: getattr(current_policy(), f.name) for f in FIELDS}
    security_policy_update(actor=cast.secadmin, values=values | {"password_min_length": 10,
                                                                 "admin_password_min_length": 16})
    assert refusal("Bq7!mzkp3") == "too_short"  # 9 < 10
    policy.validate("Bq7!mzkp3w")
    assert refusal("Bq7!mzkp3wrtxyz", cast.secadmin) == "too_short"  # 15 < 16
    policy.validate("Bq7!mzkp3wrtxyzq", cast.secadmin)


def test_user_create_checks_the_password_hashes_it_with_argon2_and_audits(cast):
    with pytest.raises(ValidationError):
        user_create(actor=cast.sysadmin, username="newbie", password="newbie123")
    assert not User.objects.filter(username="newbie").exists()
    refused = AuditEntry.objects.get(action="user.create", success=False)
    assert refused.actor == cast.sysadmin and refused.new_values == {"username": "newbie"}
    user = user_create(actor=cast.sysadmin, username="newbie", password="Qz8#vlmt", display_name="新人")
    assert user.password.startswith("argon2")
    assert user.check_password("Qz8#vlmt")
    assert user.must_change_password  # a new account changes its password at the first sign-in
    entry = AuditEntry.objects.get(action="user.create", success=True)
    assert (entry.actor, entry.object_id) == (cast.sysadmin, str(user.pk))
    assert "Qz8#vlmt" not in str(entry.new_values)


@pytest.mark.parametrize("who", ["secadmin", "auditor", "admin", "outsider"])
def test_only_the_system_admin_creates_accounts(cast, who):
    with pytest.raises(PermissionDenied):
        user_create(actor=getattr(cast, who), username="newbie", password="Qz8#vlmt")
    assert not User.objects.filter(username="newbie").exists()
    assert AuditEntry.objects.get(action="user.create").success is False


def test_user_name_must_be_unique(cast):
    with pytest.raises(ValidationError) as exc:
        user_create(actor=cast.sysadmin, username="admin", password="Qz8#vlmt")
    assert "username" in exc.value.message_dict


# --- roles (三员分立) --------------------------------------------------------------------------------


def test_role_assign_by_the_security_admin_is_audited_and_scoped(cast):
    user = UserFactory(username="new_secretary")
    assignment = role_assign(
        actor=cast.secadmin, user=user, role="branch_secretary", committee=cast.committee, branch=cast.central
    )
    assert (assignment.role, assignment.branch) == ("branch_secretary", cast.central)
    entry = AuditEntry.objects.get(action="role.assign")
    assert entry.actor == cast.secadmin and entry.success
    assert entry.new_values == {
        "user": "new_secretary",
        "role": "branch_secretary",
        "committee": cast.committee.pk,
        "branch": cast.central.pk,
    }


def refused_assignments(actor) -> list:
    return list(AuditEntry.objects.filter(action="role.assign", success=False, actor=actor))


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "admin", "east_secretary", "outsider"])
def test_only_the_security_admin_gives_roles(cast, who):
    actor = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        role_assign(actor=actor, user=cast.outsider, role="study_member", committee=cast.committee)
    assert not cast.outsider.role_assignments.exists()
    assert len(refused_assignments(actor)) == 1


def test_the_system_admin_cannot_make_himself_committee_admin_and_reveal_id_numbers(cast):
    from taizhang.members.services import member_reveal

    with pytest.raises(PermissionDenied):
        role_assign(actor=cast.sysadmin, user=cast.sysadmin, role="committee_admin", committee=cast.committee)
    assert set(cast.sysadmin.role_assignments.values_list("role", flat=True)) == {"system_admin"}
    with pytest.raises(PermissionDenied):
        member_reveal(actor=User.objects.get(pk=cast.sysadmin.pk), member_id=cast.me.pk, field="id_number")
    entry = refused_assignments(cast.sysadmin)[0]
    assert entry.new_values["role"] == "committee_admin" and entry.object_id == str(cast.sysadmin.pk)


@pytest.mark.parametrize("role", ["committee_admin", "study_member", "security_admin"])
def test_nobody_gives_a_role_to_their_own_account(cast, role):
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.secadmin, user=cast.secadmin, role=role, committee=cast.committee)
    assert "自己" in exc.value.message_dict["role"][0]
    assert set(cast.secadmin.role_assignments.values_list("role", flat=True)) == {"security_admin"}
    assert len(refused_assignments(cast.secadmin)) == 1


def test_nobody_removes_a_role_from_their_own_account(cast):
    own = RoleAssignment.objects.get(user=cast.secadmin)
    with pytest.raises(ValidationError):
        role_revoke(actor=cast.secadmin, assignment=own)
    assert RoleAssignment.objects.filter(pk=own.pk).exists()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert not entry.success and entry.actor == cast.secadmin


@pytest.mark.parametrize("who, role", [
    ("auditor", "study_member"),          # admin post + business role
    ("sysadmin", "committee_admin"),
    ("auditor", "branch_secretary"),
    ("admin", "audit_admin"),             # business role + admin post
    ("east_secretary", "system_admin"),
    ("study", "security_admin"),
    ("plain_member", "audit_admin"),      # ledger link + admin post
])
def test_an_admin_post_is_never_combined_with_a_business_role(cast, who, role):
    user = getattr(cast, who)
    before = set(user.role_assignments.values_list("role", flat=True))
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.secadmin, user=user, role=role, committee=cast.committee, branch=cast.east)
    assert "role" in exc.value.message_dict
    assert set(user.role_assignments.values_list("role", flat=True)) == before
    assert len(refused_assignments(cast.secadmin)) == 1


def test_an_admin_post_holder_cannot_be_linked_to_a_ledger_record(cast):
    from taizhang.members.models import Member

    member = cast.central_members[0]
    with pytest.raises(ValidationError):
        role_assign(actor=cast.secadmin, user=cast.auditor, role="member", committee=cast.committee, member=member)
    assert Member.objects.get(pk=member.pk).user is None
    assert not AuditEntry.objects.filter(action="member.link_user").exists()


def test_a_linked_member_without_roles_cannot_get_an_admin_post(cast):
    RoleAssignment.objects.filter(user=cast.plain_member).delete()  # still linked to cast.me
    with pytest.raises(ValidationError):
        role_assign(actor=cast.secadmin, user=cast.plain_member, role="system_admin", committee=cast.committee)
    assert not cast.plain_member.role_assignments.exists()


@pytest.mark.parametrize("who, second", [("auditor", "system_admin"), ("sysadmin", "security_admin")])
def test_one_person_holds_at_most_one_admin_post(cast, who, second):
    user = getattr(cast, who)
    before = set(user.role_assignments.values_list("role", flat=True))
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.secadmin, user=user, role=second, committee=cast.committee)
    assert "role" in exc.value.message_dict
    assert set(user.role_assignments.values_list("role", flat=True)) == before


def test_assigning_the_same_role_twice_changes_nothing(cast):
    role_assign(actor=cast.secadmin, user=cast.outsider, role="study_member", committee=cast.committee)
    role_assign(actor=cast.secadmin, user=cast.outsider, role="study_member", committee=cast.committee)
    assert cast.outsider.role_assignments.count() == 1
    assert AuditEntry.objects.filter(action="role.assign").count() == 1


def test_an_admin_post_on_a_password_not_checked_for_twelve_characters_forces_a_change(cast):
    short = user_create(actor=cast.sysadmin, username="xiaoli", password="Qz8#vlmtk", must_change_password=False)
    assert not short.password_fits_admin_post  # 9 characters
    role_assign(actor=cast.secadmin, user=short, role="audit_admin", committee=cast.committee)
    short.refresh_from_db()
    assert short.must_change_password
    assert AuditEntry.objects.get(action="role.assign").new_values["must_change_password"] is True

    long = user_create(actor=cast.sysadmin, username="xiaowang", password="Qz8#vlmtk-long", must_change_password=False)
    role_assign(actor=cast.secadmin, user=long, role="audit_admin", committee=cast.committee)
    long.refresh_from_db()
    assert long.password_fits_admin_post and not long.must_change_password


def test_branch_secretary_needs_a_branch(cast):
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=cast.secadmin, user=cast.outsider, role="branch_secretary", committee=cast.committee)
    assert "branch" in exc.value.message_dict
    assert not cast.outsider.role_assignments.exists()


def test_branch_of_another_committee_is_refused(cast):
    from taizhang.members.tests.factories import make_committee

    other = make_committee(name="另一个党委")
    with pytest.raises(ValidationError) as exc:
        role_assign(
            actor=cast.secadmin,
            user=cast.outsider,
            role="branch_secretary",
            committee=cast.committee,
            branch=other.east,
        )
    assert "branch" in exc.value.message_dict


def test_role_revoke_is_audited_and_takes_effect(cast):
    from taizhang.members.selectors import member_queryset

    assignment = RoleAssignment.objects.get(user=cast.east_secretary)
    role_revoke(actor=cast.secadmin, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    entry = AuditEntry.objects.get(action="role.revoke")
    assert entry.actor == cast.secadmin
    assert entry.old_values["role"] == "branch_secretary" and entry.old_values["user"] == "east_secretary"
    fresh = User.objects.get(pk=cast.east_secretary.pk)
    assert not member_queryset(fresh).exists()


def test_the_system_admin_cannot_remove_roles(cast):
    assignment = RoleAssignment.objects.get(user=cast.east_secretary)
    with pytest.raises(PermissionDenied):
        role_revoke(actor=cast.sysadmin, assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert not AuditEntry.objects.get(action="role.revoke").success


def test_new_role_takes_effect_for_the_user(cast):
    from taizhang.members.selectors import member_queryset

    role_assign(
        actor=cast.secadmin, user=cast.outsider, role="branch_secretary", committee=cast.committee, branch=cast.west
    )
    fresh = User.objects.get(pk=cast.outsider.pk)
    assert set(member_queryset(fresh)) == set(cast.west_members)


def test_is_admin_post(cast):
    assert cast.sysadmin.is_admin_post and cast.auditor.is_admin_post and cast.secadmin.is_admin_post
    assert not cast.admin.is_admin_post and not cast.outsider.is_admin_post


def test_grant_helper_and_database_refuse_a_branch_secretary_without_branch(cast):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        grant(cast.outsider, "branch_secretary", cast.committee)
