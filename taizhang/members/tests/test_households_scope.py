"""Households name people (李秀英、赵丽华家): a member's page and the member form show only the housemates
and households in the viewer's scope (issue 8, "smaller leaks")."""

import pytest
from django.urls import reverse

from taizhang.members.models import Member
from taizhang.members.services import household_create, member_update
from taizhang.members.tests.test_views import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_household(cast):
    """李秀英 (east) lives with 赵丽华 (west); 陈刚 (west) has a household of his own."""
    east, west = cast.members_by_name["李秀英"], cast.members_by_name["赵丽华"]
    shared = household_create(actor=cast.admin, committee=cast.committee, name="李秀英、赵丽华家")
    own_west = household_create(actor=cast.admin, committee=cast.committee, name="陈刚家")
    Member.objects.filter(pk__in=[east.pk, west.pk]).update(household=shared)
    Member.objects.filter(pk=cast.members_by_name["陈刚"].pk).update(household=own_west)
    return shared, own_west


def test_member_page_lists_only_housemates_the_viewer_may_see(client, cast, mixed_household):
    east = cast.members_by_name["李秀英"]
    client.force_login(cast.east_secretary)
    response = client.get(reverse("members:detail", args=[east.pk]))
    assert list(response.context["household_members"]) == []
    assert response.context["household_label"] == "李秀英的家庭（另有成员不在您的管辖范围内）"
    assert "赵丽华" not in response.content.decode()
    assert reverse("members:detail", args=[cast.members_by_name["赵丽华"].pk]) not in response.content.decode()

    client.force_login(cast.admin)  # the committee sees the whole household
    response = client.get(reverse("members:detail", args=[east.pk]))
    assert [m.name for m in response.context["household_members"]] == ["赵丽华"]
    assert response.context["household_label"] == "李秀英、赵丽华家"


def test_member_form_offers_only_households_in_scope(client, cast, mixed_household):
    shared, own_west = mixed_household
    member = cast.members_by_name["王建国"]
    client.force_login(cast.east_secretary)
    response = client.get(reverse("members:edit", args=[member.pk]))
    offered = set(response.context["form"].fields["household"].queryset)
    assert offered == {shared}  # it has an east member; 陈刚家 is only west's
    text = response.content.decode()
    assert "陈刚家" not in text and "赵丽华" not in text  # the shared one is labelled by its east member only
    labels = [label for _value, label in response.context["form"].fields["household"].choices]
    assert any("李秀英" in str(label) for label in labels)

    client.force_login(cast.admin)
    response = client.get(reverse("members:edit", args=[member.pk]))
    assert set(response.context["form"].fields["household"].queryset) == {shared, own_west}


def test_another_branchs_household_cannot_be_posted(client, cast, mixed_household):
    _shared, own_west = mixed_household
    member = Member.objects.get(pk=cast.members_by_name["王建国"].pk)
    client.force_login(cast.east_secretary)
    response = client.post(reverse("members:edit", args=[member.pk]), form_data(member, household=str(own_west.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["household"]
    member.refresh_from_db()
    assert member.household_id is None


def test_the_service_refuses_a_household_outside_the_actors_scope(cast, mixed_household):
    from django.core.exceptions import ValidationError

    _shared, own_west = mixed_household
    member = Member.objects.get(pk=cast.members_by_name["王建国"].pk)
    data = {name: getattr(member, name) for name in ("name", "membership_type", "join_date", "full_membership_date",
                                                     "category", "branch", "gender", "birth_date")}
    data.update(id_number=member.id_number, phone=member.phone, household=own_west)
    with pytest.raises(ValidationError) as exc:
        member_update(actor=cast.east_secretary, member=member, expected_version=member.version, data=data)
    assert "household" in exc.value.message_dict
    member.refresh_from_db()
    assert member.household_id is None
