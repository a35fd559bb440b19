"""The accounts pages (三员分立): the system admin manages accounts, the security admin gives and removes
roles; neither can do the other's part, and nobody else sees the pages."""

import pytest
from django.urls import reverse

from taizhang.accounts.models import RoleAssignment, User
from taizhang.core.models import AuditEntry
from taizhang.members.models import Member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["admin", "east_secretary", "auditor", "plain_member", "outsider"])
def test_only_the_system_and_security_admins_open_the_accounts_pages(client, cast, who):
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
    assert user.password.startswith("argon2") and user.must_change_password
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk), actor_username="sysadmin").exists()


def test_the_security_admin_cannot_create_accounts(client, cast):
    client.force_login(cast.secadmin)
    page = client.get(reverse("accounts:users"))
    assert page.status_code == 200 and page.context["form"] is None
    response = client.post(reverse("accounts:users"), {"username": "lisi", "password": "Beijing-Study-2026"})
    assert response.status_code == 403
    assert not User.objects.filter(username="lisi").exists()


def test_the_security_admin_gives_and_removes_a_branch_secretary_role(client, cast):
    client.force_login(cast.secadmin)
    user = User.objects.create_user("wangwu", password="x")
    url = reverse("accounts:user_detail", args=[user.pk])
    assert client.post(url, {"role": "branch_secretary", "branch": str(cast.west.pk)}).status_code == 302
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.branch == cast.west
    assert client.post(reverse("accounts:role_revoke", args=[assignment.pk])).status_code == 302
    assert not RoleAssignment.objects.filter(user=user).exists()
    actions = list(AuditEntry.objects.filter(action__startswith="role.").values_list("action", flat=True))
    assert actions.count("role.assign") == 1 and actions.count("role.revoke") == 1


def test_the_system_admin_cannot_give_or_remove_roles(client, cast):
    client.force_login(cast.sysadmin)
    page = client.get(reverse("accounts:user_detail", args=[cast.sysadmin.pk]))
    assert page.status_code == 200 and page.context["form"] is None
    response = client.post(reverse("accounts:user_detail", args=[cast.sysadmin.pk]), {"role": "committee_admin"})
    assert response.status_code == 403
    assert set(cast.sysadmin.role_assignments.values_list("role", flat=True)) == {"system_admin"}
    assignment = RoleAssignment.objects.get(user=cast.east_secretary)
    assert client.post(reverse("accounts:role_revoke", args=[assignment.pk])).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_security_admin_cannot_give_himself_a_role(client, cast):
    client.force_login(cast.secadmin)
    url = reverse("accounts:user_detail", args=[cast.secadmin.pk])
    assert "不能在自己的账号上" in client.get(url).content.decode()
    response = client.post(url, {"role": "committee_admin"})
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == ["任何人都不能在自己的账号上授予或撤销角色。"]
    assert set(cast.secadmin.role_assignments.values_list("role", flat=True)) == {"security_admin"}
    entry = AuditEntry.objects.get(action="role.assign")
    assert not entry.success and entry.actor == cast.secadmin


def test_one_person_cannot_hold_two_admin_posts(client, cast):
    client.force_login(cast.secadmin)
    response = client.post(reverse("accounts:user_detail", args=[cast.auditor.pk]), {"role": "system_admin"})
    assert response.status_code == 200 and "role" in response.context["form"].errors
    assert set(cast.auditor.role_assignments.values_list("role", flat=True)) == {"audit_admin"}


def test_an_admin_post_is_refused_to_a_business_account_on_the_page(client, cast):
    client.force_login(cast.secadmin)
    response = client.post(reverse("accounts:user_detail", args=[cast.admin.pk]), {"role": "audit_admin"})
    assert response.status_code == 200
    assert "三员岗位不能与业务角色或党员台账记录兼任" in response.context["form"].errors["role"][0]
    assert not AuditEntry.objects.get(action="role.assign").success


def test_member_role_links_the_ledger_record(client, cast):
    client.force_login(cast.secadmin)
    user = User.objects.create_user("liuyang", password="x")
    member = cast.central_members[0]
    url = reverse("accounts:user_detail", args=[user.pk])
    missing = client.post(url, {"role": "member"})
    assert "member" in missing.context["form"].errors
    assert client.post(url, {"role": "member", "member": str(member.pk)}).status_code == 302
    assert Member.objects.get(pk=member.pk).user == user


def test_the_member_choice_shows_only_name_and_branch(client, cast):
    client.force_login(cast.secadmin)
    user = User.objects.create_user("liuyang", password="x")
    text = client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    member = cast.central_members[0]
    assert f"{member.name} · {member.branch.name}" in text
    assert member.id_number_masked not in text and member.phone_masked not in text


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


def test_the_user_list_pages_with_the_same_queries_for_more_users(client, cast, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taizhang.accounts import user_views
    from taizhang.members.tests.factories import grant

    monkeypatch.setattr(user_views, "USERS_PAGE_SIZE", 5)
    client.force_login(cast.sysadmin)
    client.get(reverse("accounts:users"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:users"))
    for i in range(12):
        grant(User.objects.create_user(username=f"member{i:02d}", password="x"), "member", cast.committee)
    with CaptureQueriesContext(connection) as many:
        first = client.get(reverse("accounts:users"))
    second = client.get(reverse("accounts:users"), {"page": 2})
    assert len(many) <= len(few)
    everyone = User.objects.filter(pk__in=[u.pk for u in first.context["page"].paginator.object_list])
    assert len(first.context["users"]) == 5 and first.context["page"].paginator.count == everyone.count()
    names = [u.username for u in first.context["users"]] + [u.username for u in second.context["users"]]
    assert names == sorted(names) and len(set(names)) == 10
    assert "page=2" in first.content.decode()
