"""The organisation page (组织架构) and its two forms, for each of the fixed cast: who opens it, who may
change the district mapping and the superior organisation, what the page says after a change, and a
query count that does not grow with branches' party groups and districts (rule 10)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import make_committee, make_member
from taizhang.organisation.models import District
from taizhang.organisation.services import party_group_create

pytestmark = pytest.mark.django_db

INDEX = reverse("organisation:index")


def page(client, user):
    client.force_login(user)
    return client.get(INDEX)


def post(client, url, data) -> list[str]:
    """POST, follow the redirect back to the organisation page, and return the messages it shows."""
    response = client.post(url, data, follow=True)
    assert response.redirect_chain == [(INDEX, 302)]
    return [str(m) for m in response.context["messages"]]


def haidian(cast) -> District:
    return District.objects.get(committee=cast.committee, name="海淀区")


def test_who_opens_the_organisation_page(client, cast):
    make_committee(name="天津市流动党员党委")  # another committee: nobody of the cast sees it
    for user in (cast.admin, cast.east_secretary, cast.west_secretary, cast.study, cast.sysadmin):
        text = page(client, user).content.decode()
        assert cast.committee.name in text and "天津市流动党员党委" not in text, user.username
        assert all(name in text for name in ("东部片区支部", "中部片区支部", "西部片区支部", "海淀区")), user.username
    for user in (cast.plain_member, cast.outsider, cast.auditor, cast.secadmin):
        assert page(client, user).status_code == 403, user.username


def test_only_those_who_manage_the_organisation_see_its_forms(client, cast):
    superior_form = reverse("organisation:committee_superior", args=[cast.committee.pk])
    mapping_form = reverse("organisation:district_update", args=[haidian(cast).pk])
    for user in (cast.admin, cast.sysadmin):
        text = page(client, user).content.decode()
        assert superior_form in text and mapping_form in text, user.username
    for user in (cast.east_secretary, cast.study):
        text = page(client, user).content.decode()
        assert superior_form not in text and mapping_form not in text, user.username
        assert "未设置" in text  # the superior organisation, read only


def test_the_page_shows_member_counts_and_party_groups_per_branch(client, cast):
    party_group_create(actor=cast.admin, branch=cast.east, name="望京党小组")
    party_group_create(actor=cast.admin, branch=cast.east, name="回龙观党小组")
    text = page(client, cast.east_secretary).content.decode()
    assert "3条党员记录" in text and "2条党员记录" in text and "1条党员记录" in text  # east, west, central
    assert "望京党小组" in text and "回龙观党小组" in text


def test_the_committee_admin_changes_the_district_mapping(client, cast):
    district = haidian(cast)
    client.force_login(cast.admin)
    url = reverse("organisation:district_update", args=[district.pk])
    assert post(client, url, {"branch": cast.west.pk}) == ["海淀区已改为对应西部片区支部。"]
    assert District.objects.get(pk=district.pk).branch == cast.west
    assert AuditEntry.objects.filter(action="district.set_branch", actor_username="admin").count() == 1


def test_a_branch_of_another_committee_or_none_is_refused_with_a_message(client, cast):
    district = haidian(cast)
    other = make_committee(name="天津市流动党员党委")
    client.force_login(cast.admin)
    url = reverse("organisation:district_update", args=[district.pk])
    for branch in (other.west.pk, "", "x"):
        assert post(client, url, {"branch": branch}) == ["海淀区：请选择本党委下属的党支部。"]
    assert District.objects.get(pk=district.pk).branch_id == district.branch_id
    assert not AuditEntry.objects.filter(action="district.set_branch").exists()


def test_others_cannot_change_the_mapping_or_reach_another_committees_district(client, cast):
    district = haidian(cast)
    for user in (cast.east_secretary, cast.study, cast.plain_member, cast.outsider):
        client.force_login(user)
        response = client.post(reverse("organisation:district_update", args=[district.pk]), {"branch": cast.west.pk})
        assert response.status_code == 403, user.username
    other = make_committee(name="天津市流动党员党委")
    foreign = District.objects.get(committee=other, name="海淀区")
    client.force_login(cast.admin)
    response = client.post(reverse("organisation:district_update", args=[foreign.pk]), {"branch": other.west.pk})
    assert response.status_code == 404
    assert District.objects.get(pk=district.pk).branch_id == district.branch_id
    assert District.objects.get(pk=foreign.pk).branch_id == foreign.branch_id
    client.force_login(cast.admin)
    assert client.get(reverse("organisation:district_update", args=[district.pk])).status_code == 405


def test_the_superior_organisation_is_set_and_cleared_from_the_page(client, cast):
    url = reverse("organisation:committee_superior", args=[cast.committee.pk])
    client.force_login(cast.admin)
    assert post(client, url, {"superior": "市南区委组织部"}) == [f"{cast.committee.name}的上级党组织已设为市南区委组织部。"]
    assert 'value="市南区委组织部"' in client.get(INDEX).content.decode()
    assert post(client, url, {"superior": "组" * 101}) == ["上级党组织名称最多100个字。"]
    assert post(client, url, {"superior": ""}) == [f"{cast.committee.name}已不再设置上级党组织。"]
    assert AuditEntry.objects.filter(action="committee.set_superior").count() == 2
    other = make_committee(name="天津市流动党员党委")
    assert client.post(reverse("organisation:committee_superior", args=[other.pk]), {"superior": "x"}).status_code == 403


def test_the_page_query_count_does_not_grow_with_groups_districts_and_members(client, cast):
    client.force_login(cast.admin)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(INDEX).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for branch in (cast.east, cast.central, cast.west):
        for i in range(4):
            party_group_create(actor=cast.admin, branch=branch, name=f"第{i + 1}党小组")
        make_member(cast.admin, branch, birth_date=datetime.date(1970, 3, 3))
    District.objects.create(committee=cast.committee, name="雄安新区", branch=cast.central, sort_order=99)
    assert queries() == before
