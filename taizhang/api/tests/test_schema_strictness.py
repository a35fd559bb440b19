"""What the OpenAPI schema calls wrong is refused (422), not quietly converted (schemas.py); ids outside the
database's integers never reach a query."""

import pytest

from taizhang.api.tests.helpers import Api

pytestmark = pytest.mark.django_db


def test_a_number_is_not_a_date(client, cast):
    api = Api(client, cast.admin)
    assert api.get("/roster/", {"as_of": "0"}).status_code == 422
    assert api.get("/members/", {"as_of": "20190101"}).status_code == 422
    member = cast.east_members[2]
    response = api.post(f"/members/{member.pk}/events", {"kind": "left_beijing", "effective_date": 0})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "effective_date"


def test_text_is_not_a_number_or_a_boolean(client, cast):
    api = Api(client, cast.admin)
    member = cast.east_members[2]
    assert api.patch(f"/members/{member.pk}", {"version": str(member.version)}).status_code == 422
    assert api.patch(f"/members/{member.pk}", {"version": member.version, "is_mobile": 1}).status_code == 422


@pytest.mark.parametrize("path", ["/members/{big}", "/members/{big}/events", "/members/0"])
def test_ids_out_of_range_are_422_or_404(client, cast, path):
    response = Api(client, cast.admin).get(path.format(big=2**70))
    assert response.status_code in (404, 422) and response.json()["detail"]


def test_huge_ids_in_a_body_are_refused(client, cast):
    api = Api(client, cast.admin)
    member = cast.east_members[2]
    response = api.patch(f"/members/{member.pk}", {"version": member.version, "tags": [-5 * 10**25]})
    assert response.status_code == 422
