"""Study items through the API with the fixed cast: scoping, marking read (the member themself, audited),
readers limited to the viewer's scope, flat query counts."""

import pytest

from taizhang.activities.models import AudienceKind, StudyKind, StudyRead
from taizhang.activities.tests.test_content_study import publish
from taizhang.api.tests.helpers import Api, assert_flat_queries
from taizhang.core.models import AuditEntry


@pytest.fixture
def items(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return {
        "all": publish(cast, "全体：每月一学"),
        "west": publish(cast, "西部：微党课", kind=StudyKind.MICRO_LESSON, month=None,
                        audience_kind=AudienceKind.BRANCH, audience_branch=cast.west),
    }


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_lists_are_scoped(client, cast, items):
    assert _ids(Api(client, cast.study).get("/study/")) == {items["all"].pk, items["west"].pk}
    assert _ids(Api(client, cast.east_secretary).get("/study/")) == {items["all"].pk}
    member = Api(client, cast.plain_member).get("/study/").json()
    assert {r["id"] for r in member["results"]} == {items["all"].pk}
    assert member["results"][0]["is_read"] is False and member["results"][0]["read"] is None
    staff_row = Api(client, cast.admin).get("/study/").json()["results"][0]
    assert staff_row["expected"] is not None and staff_row["is_read"] is None


def test_another_branch_item_is_404(client, cast, items):
    for user in (cast.east_secretary, cast.plain_member):
        api = Api(client, user)
        assert api.get(f"/study/{items['west'].pk}").status_code == 404
        assert api.post(f"/study/{items['west'].pk}/read").status_code == 404
    assert Api(client, cast.east_secretary).get(f"/study/{items['west'].pk}/readers").status_code == 404


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "outsider"])
def test_admin_posts_get_nothing(client, cast, items, who):
    api = Api(client, getattr(cast, who))
    assert api.get("/study/").status_code == 403
    assert api.get(f"/study/{items['all'].pk}").status_code in (403, 404)
    assert api.get(f"/study/{items['all'].pk}/readers").status_code in (403, 404)


def test_mark_read_by_the_member_audited_once(client, cast, items):
    api = Api(client, cast.plain_member)
    first = api.post(f"/study/{items['all'].pk}/read")
    assert first.status_code == 200, first.content
    assert first.json()["created"] is True and first.json()["member"]["id"] == cast.me.pk
    second = api.post(f"/study/{items['all'].pk}/read")
    assert second.status_code == 200 and second.json()["created"] is False
    assert StudyRead.objects.filter(member=cast.me).count() == 1
    assert AuditEntry.objects.filter(action="study_item.read", actor=cast.plain_member).count() == 1
    detail = api.get(f"/study/{items['all'].pk}").json()
    assert detail["is_read"] is True and detail["read_at"]
    # staff cannot mark an item read for someone: the service says so (403, in Chinese)
    refused = Api(client, cast.admin).post(f"/study/{items['all'].pk}/read")
    assert refused.status_code == 403 and refused.json()["detail"]
    assert Api(client, cast.plain_member, read_only=True).post(f"/study/{items['all'].pk}/read").status_code == 403


def test_readers_are_the_viewers_scope(client, cast, items):
    Api(client, cast.plain_member).post(f"/study/{items['all'].pk}/read")
    east = Api(client, cast.east_secretary).get(f"/study/{items['all'].pk}/readers").json()
    assert east["audience"] == 3 and east["read_total"] == 1
    assert {r["member"]["id"] for r in east["results"]} == {m.pk for m in cast.east_members}
    read = Api(client, cast.admin).get(f"/study/{items['all'].pk}/readers", {"read": "yes"}).json()
    assert [r["member"]["id"] for r in read["results"]] == [cast.me.pk]
    assert Api(client, cast.plain_member).get(f"/study/{items['all'].pk}/readers").status_code == 403


def test_list_queries_are_flat(client, cast, items):
    for n in range(3):
        publish(cast, f"学习{n}")
    for user, path in ((cast.admin, "/study/"), (cast.plain_member, "/study/"),
                       (cast.admin, f"/study/{items['all'].pk}/readers")):
        api = Api(client, user)
        api.get(path)
        assert_flat_queries(api, path, sizes=(1, 4))
