"""The system admin's users-and-roles pages (三员: only the system admin manages logins and roles)."""

import pytest
from django.urls import reverse

from taizhang.accounts.models import RoleAssignment, User
from taizhang.core.models import AuditEntry
from taizhang.members.models import Member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["admin", "east_secretary", "auditor", "plain_member", "outsider"])
def test_only_the_system_admin_manages_users(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("accounts:users")).status_code == 403
    assert client.get(reverse("accounts:user_detail", args=[cast.admin.pk])).status_code == 403


def test_create_user_enforces_the_password_policy(client, cast):
    client.force_login(cast.sysadmin)
    weak = client.post(reverse("accounts:users"), {"username": "lisi", "display_name": "李四", "password": "abc12345"})
    assert weak.status_code == 200 and "password" in weak.context["form"].errors
    assert not User.objects.filter(username="lisi").exists()
    ok = client.post(reverse("accounts:users"), {"username": "lisi", "display_name": "李四", "password": "Beijing-Study-2026"})
    assert ok.status_code == 302
    user = User.objects.get(username="lisi")
    assert user.password.startswith("argon2")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk), actor_username="sysadmin").exists()


def test_give_and_remove_a_branch_secretary_role(client, cast):
    client.force_login(cast.sysadmin)
    user = User.objects.create_user("wangwu", password="x")
    url = reverse("accounts:user_detail", args=[user.pk])
    assert client.post(url, {"role": "branch_secretary", "branch": str(cast.west.pk)}).status_code == 302
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.branch == cast.west
    assert client.post(reverse("accounts:role_revoke", args=[assignment.pk])).status_code == 302
    assert not RoleAssignment.objects.filter(user=user).exists()
    actions = list(AuditEntry.objects.filter(action__startswith="role.").values_list("action", flat=True))
    assert actions.count("role.assign") == 1 and actions.count("role.revoke") == 1


def test_one_person_cannot_hold_two_admin_posts(client, cast):
    client.force_login(cast.sysadmin)
    response = client.post(reverse("accounts:user_detail", args=[cast.auditor.pk]), {"role": "security_admin"})
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert set(cast.auditor.role_assignments.values_list("role", flat=True)) == {"audit_admin"}


def test_member_role_links_the_ledger_record(client, cast):
    client.force_login(cast.sysadmin)
    user = User.objects.create_user("liuyang", password="x")
    member = cast.central_members[0]
    url = reverse("accounts:user_detail", args=[user.pk])
    missing = client.post(url, {"role": "member"})
    assert "member" in missing.context["form"].errors
    assert client.post(url, {"role": "member", "member": str(member.pk)}).status_code == 302
    assert Member.objects.get(pk=member.pk).user == user


def test_district_mapping_can_be_changed_by_the_committee_admin(client, cast):
    district = cast.committee.districts.get(name="海淀区")
    client.force_login(cast.east_secretary)
    assert client.post(reverse("organisation:district_update", args=[district.pk]), {"branch": cast.west.pk}).status_code == 403
    client.force_login(cast.admin)
    response = client.post(reverse("organisation:district_update", args=[district.pk]), {"branch": cast.west.pk})
    assert response.status_code == 302
    district.refresh_from_db()
    assert district.branch == cast.west
    assert AuditEntry.objects.filter(action__startswith="district.", object_id=str(district.pk)).exists()
