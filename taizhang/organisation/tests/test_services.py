"""The organisation services (committee → branches → districts, party groups, superior organisation):
who may call them, what they refuse in Chinese by field, what they audit, and the set-up steps later apps
add to a new committee (``organisation.hooks.committee_created``)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from taizhang.activities.models import ActivityType
from taizhang.core.models import AuditEntry
from taizhang.finance.models import BudgetUse
from taizhang.organisation import hooks
from taizhang.organisation.models import DEFAULT_BRANCHES, Branch, Committee, District, PartyGroup, Superior
from taizhang.organisation.selectors import suggest_branch
from taizhang.organisation.services import (
    committee_create,
    committee_set_superior,
    district_set_branch,
    party_group_create,
)
from taizhang.points.models import PointRule

pytestmark = pytest.mark.django_db

FOUNDED = datetime.date(2019, 1, 1)


def errors(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    return exc.value.message_dict


# --- committee_create ------------------------------------------------------------------------------


def test_a_new_committee_gets_three_branches_and_the_sixteen_districts_mapped(cast):
    committee = committee_create(actor=cast.sysadmin, name="  天津市流动党员党委 ", founded_on=FOUNDED)
    assert committee.name == "天津市流动党员党委"
    assert list(committee.branches.order_by("sort_order").values_list("code", "name")) == [
        (code, name) for code, name, _districts in DEFAULT_BRANCHES]
    mapping = {d.name: d.branch.code for d in District.objects.filter(committee=committee).select_related("branch")}
    assert len(mapping) == 16 and mapping == {d: code for code, _name, ds in DEFAULT_BRANCHES for d in ds}
    assert suggest_branch(District.objects.get(committee=committee, name="朝阳区")).code == "east"
    assert suggest_branch(None) is None
    actions = list(AuditEntry.objects.filter(actor_username="sysadmin").values_list("action", flat=True))
    assert actions.count("branch.create") == 3 and actions.count("district.create") == 16
    entry = AuditEntry.objects.get(action="committee.create", object_id=str(committee.pk))
    assert entry.new_values["districts"] == mapping


def test_the_set_up_steps_of_later_apps_run_for_the_new_committee_only(cast):
    committee = committee_create(actor=cast.sysadmin, name="天津市流动党员党委", founded_on=FOUNDED)
    assert ActivityType.objects.filter(committee=committee).exists()  # activities: the standard types
    assert PointRule.objects.filter(committee=committee).exists()  # points: the default rules
    assert BudgetUse.objects.filter(committee=committee).exists()  # finance: the allowed uses
    assert not ActivityType.objects.filter(committee=cast.committee).exists()  # the cast's committee is untouched


def test_a_failing_set_up_step_keeps_nothing_of_the_committee(cast, monkeypatch):
    def refuse(*, committee, actor):
        raise ValidationError({"name": ["设置失败"]})

    monkeypatch.setattr(hooks.committee_created, "_listeners", hooks.committee_created._listeners)  # restored after
    hooks.committee_created.connect(refuse, order=1000)  # after the apps' own steps
    assert errors(committee_create, actor=cast.sysadmin, name="天津市流动党员党委", founded_on=FOUNDED) == {
        "name": ["设置失败"]}
    assert not Committee.objects.filter(name="天津市流动党员党委").exists()
    assert not AuditEntry.objects.filter(action__in=["committee.create", "branch.create"]).exists()
    assert Branch.objects.count() == 3 and ActivityType.objects.count() == 0  # the cast's only


def test_only_the_system_administrator_creates_a_committee(cast):
    for user in (cast.admin, cast.east_secretary, cast.secadmin, cast.outsider):
        with pytest.raises(PermissionDenied) as exc:
            committee_create(actor=user, name="天津市流动党员党委", founded_on=FOUNDED)
        assert str(exc.value) == "只有系统管理员可以创建党委。"
    assert Committee.objects.count() == 1


def test_committee_create_refuses_bad_input_by_field(cast):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert errors(committee_create, actor=cast.sysadmin, name=" ", founded_on=FOUNDED) == {
        "name": ["请填写党委名称。"]}
    assert errors(committee_create, actor=cast.sysadmin, name=cast.committee.name, founded_on=FOUNDED) == {
        "name": ["已存在同名党委。"]}
    found = errors(committee_create, actor=None, name="天津市流动党员党委", founded_on=tomorrow)
    assert found == {"founded_on": ["成立日期不能晚于今天。"]}
    assert set(errors(committee_create, actor=None, name="", founded_on=None)) == {"name", "founded_on"}
    assert Committee.objects.count() == 1 and not AuditEntry.objects.filter(action="committee.create").exists()


# --- district mapping ------------------------------------------------------------------------------


def test_the_committee_admin_maps_a_district_to_another_branch(cast):
    haidian = District.objects.get(committee=cast.committee, name="海淀区")
    old = haidian.branch_id
    district_set_branch(actor=cast.admin, district=haidian, branch=cast.west)
    assert suggest_branch(District.objects.get(pk=haidian.pk)) == cast.west
    entry = AuditEntry.objects.get(action="district.set_branch")
    assert entry.old_values == {"branch": old} and entry.new_values == {"branch": cast.west.pk}
    district_set_branch(actor=cast.admin, district=haidian, branch=cast.west)  # the same branch: nothing to write
    assert AuditEntry.objects.filter(action="district.set_branch").count() == 1


def test_district_mapping_stays_inside_the_committee_and_with_the_managers(cast):
    haidian = District.objects.get(committee=cast.committee, name="海淀区")
    other = committee_create(actor=cast.sysadmin, name="天津市流动党员党委", founded_on=FOUNDED)
    found = errors(district_set_branch, actor=cast.admin, district=haidian, branch=other.branches.get(code="west"))
    assert list(found) == ["branch"] and "属于其他党委" in found["branch"][0]
    for user in (cast.east_secretary, cast.study, cast.plain_member, cast.secadmin):
        with pytest.raises(PermissionDenied):
            district_set_branch(actor=user, district=haidian, branch=cast.west)
    assert District.objects.get(pk=haidian.pk).branch_id == haidian.branch_id
    assert not AuditEntry.objects.filter(action="district.set_branch").exists()


# --- superior organisation -------------------------------------------------------------------------


def test_the_superior_organisation_is_set_renamed_and_cleared(cast):
    committee = committee_set_superior(actor=cast.admin, committee=cast.committee, name="  市南区委  组织部 ")
    assert committee.superior.name == "市南区委 组织部"
    committee_set_superior(actor=cast.admin, committee=cast.committee, name="市南区委 组织部")  # unchanged
    committee_set_superior(actor=cast.sysadmin, committee=cast.committee, name="青岛市委组织部")
    assert Committee.objects.get(pk=cast.committee.pk).superior.name == "青岛市委组织部"
    committee_set_superior(actor=cast.admin, committee=cast.committee, name="")
    assert Committee.objects.get(pk=cast.committee.pk).superior is None
    assert [(e.old_values, e.new_values) for e in AuditEntry.objects.filter(action="committee.set_superior")
            .order_by("id")] == [({"superior": None}, {"superior": "市南区委 组织部"}),
                                 ({"superior": "市南区委 组织部"}, {"superior": "青岛市委组织部"}),
                                 ({"superior": "青岛市委组织部"}, {"superior": None})]
    assert set(Superior.objects.values_list("name", flat=True)) == {"市南区委 组织部", "青岛市委组织部"}


def test_the_superior_organisation_refuses_a_long_name_and_other_roles(cast):
    found = errors(committee_set_superior, actor=cast.admin, committee=cast.committee, name="组" * 101)
    assert found == {"superior": ["上级党组织名称最多100个字。"]}
    for user in (cast.east_secretary, cast.study, cast.auditor, cast.outsider):
        with pytest.raises(PermissionDenied) as exc:
            committee_set_superior(actor=user, committee=cast.committee, name="青岛市委组织部")
        assert str(exc.value) == "您的角色无权调整该党委的组织架构。"
    assert Committee.objects.get(pk=cast.committee.pk).superior is None and not Superior.objects.exists()


# --- party groups ----------------------------------------------------------------------------------


def test_party_groups_belong_to_a_branch_with_unique_names(cast):
    group = party_group_create(actor=cast.admin, branch=cast.east, name=" 望京党小组 ")
    assert (group.branch, group.name) == (cast.east, "望京党小组")
    assert party_group_create(actor=cast.admin, branch=cast.west, name="望京党小组").branch == cast.west  # other branch
    assert errors(party_group_create, actor=cast.admin, branch=cast.east, name="望京党小组") == {
        "name": ["该党支部已有同名党小组。"]}
    assert errors(party_group_create, actor=cast.admin, branch=cast.east, name="  ") == {"name": ["请填写党小组名称。"]}
    assert list(errors(party_group_create, actor=cast.admin, branch=cast.east, name="组" * 101)) == ["name"]
    assert AuditEntry.objects.get(action="party_group.create", object_id=str(group.pk)).new_values == {
        "branch": cast.east.pk, "name": "望京党小组"}
    assert PartyGroup.objects.count() == 2


def test_branch_secretaries_and_members_do_not_create_party_groups(cast):
    for user in (cast.east_secretary, cast.plain_member, cast.auditor):
        with pytest.raises(PermissionDenied):
            party_group_create(actor=user, branch=cast.east, name="望京党小组")
    assert not PartyGroup.objects.exists()
