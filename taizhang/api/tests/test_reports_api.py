"""The composition and flow reports through the API: the commands' JSON, scoped, for the report roles only."""

import pytest

from taizhang.api.tests.helpers import Api

pytestmark = pytest.mark.django_db


def test_composition_is_the_commands_json_in_the_users_scope(client, cast):
    body = Api(client, cast.admin).get("/reports/composition", {"by": "branch"}).json()
    assert body["total"] == 6 and body["by"] == ["branch"]
    assert {r["label"]: r["total"] for r in body["rows"]}[cast.west.name] == 2
    west = Api(client, cast.west_secretary).get("/reports/composition", {"by": "branch,gender"}).json()
    assert west["total"] == 2 and west["columns"]
    response = Api(client, cast.admin).get("/reports/composition", {"by": "nonsense"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "by"
    assert Api(client, cast.admin).get("/reports/composition", {"as_of": "2999-01-01"}).status_code == 400


def test_flow_report(client, cast):
    api = Api(client, cast.admin)
    body = api.get("/reports/flow", {"date_from": "2018-01-01", "date_to": "2018-12-31"}).json()
    assert body["opening"] == 0 and body["closing"] == 6 and sum(body["increase"].values()) == 6
    assert body["increase_reasons"] and all(r["label"] for r in body["increase_reasons"])
    response = api.get("/reports/flow", {"date_from": "2019-01-01", "date_to": "2018-01-01"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "date_to"


@pytest.mark.parametrize("who", ["study", "plain_member", "outsider", "auditor", "sysadmin", "secadmin"])
def test_other_roles_get_403(client, cast, who):
    api = Api(client, getattr(cast, who))
    for path in ("/reports/composition", "/reports/flow"):
        response = api.get(path)
        assert response.status_code == 403 and response.json()["detail"]
