"""The activity types page: read by staff, changed by holders of organisation.manage."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities.models import ActivityType
from taizhang.activities.services import activity_type_create
from taizhang.activities.tests.factories import seed_types
from taizhang.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def types(cast):
    return seed_types(cast)


@pytest.mark.parametrize("who, status, can_manage", [
    ("admin", 200, True), ("sysadmin", 200, True),
    ("east_secretary", 200, False), ("west_secretary", 200, False), ("study", 200, False),
    ("plain_member", 403, None), ("outsider", 403, None), ("auditor", 403, None),
])
def test_who_sees_the_list(client, cast, types, who, status, can_manage):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("activity_reports:types"))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "主题党日" in html and "组织生活会" in html
        assert response.context["can_manage"] is can_manage
        assert ('id="add-type"' in html) is can_manage


@pytest.mark.parametrize("who", ["east_secretary", "study", "plain_member", "outsider"])
def test_only_managers_may_create_or_edit(client, cast, types, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("activity_reports:type_create")).status_code == 403
    response = client.post(reverse("activity_reports:type_create"),
                           {"name": "新类型", "expected_per_year": 1, "sort_order": 1, "active": "on"})
    assert response.status_code == 403
    theme = types["主题党日"]
    response = client.post(reverse("activity_reports:type_edit", args=[theme.pk]),
                           {"name": "改名", "expected_per_year": 1, "sort_order": 1, "active": "on"})
    assert response.status_code == 403
    assert not ActivityType.objects.filter(name__in=["新类型", "改名"]).exists()


def test_admin_creates_a_type(client, cast, types):
    client.force_login(cast.admin)
    response = client.post(reverse("activity_reports:type_create"), {
        "name": " 专题讲座 ", "counts_as_org_life": "on", "expected_per_year": "2", "sort_order": "200",
        "active": "on",
    })
    assert response.status_code == 302 and response["Location"] == reverse("activity_reports:types")
    created = ActivityType.objects.get(committee=cast.committee, name="专题讲座")
    assert (created.counts_as_org_life, created.expected_per_year, created.sort_order, created.active) == (
        True, 2, 200, True)
    assert AuditEntry.objects.filter(action="activity_type.create", object_id=str(created.pk)).exists()


def test_admin_edits_a_type(client, cast, types):
    client.force_login(cast.admin)
    theme = types["主题党日"]
    response = client.get(reverse("activity_reports:type_edit", args=[theme.pk]))
    assert response.status_code == 200 and 'value="主题党日"' in response.content.decode()
    response = client.post(reverse("activity_reports:type_edit", args=[theme.pk]), {
        "name": "主题党日", "counts_as_org_life": "on", "expected_per_year": "10", "sort_order": "5",
    })
    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.expected_per_year, theme.sort_order, theme.active) == (10, 5, False)
    entry = AuditEntry.objects.get(action="activity_type.update", object_id=str(theme.pk))
    assert entry.new_values == {"expected_per_year": 10, "sort_order": 5, "active": False}


def test_duplicate_name_gets_a_chinese_message(client, cast, types):
    client.force_login(cast.admin)
    response = client.post(reverse("activity_reports:type_create"),
                           {"name": "主题党日", "expected_per_year": "0", "sort_order": "0", "active": "on"})
    assert response.status_code == 200
    assert "该党委已有同名活动类型。" in response.content.decode()
    assert ActivityType.objects.filter(committee=cast.committee, name="主题党日").count() == 1


@pytest.mark.parametrize("value", ["-1", "367", "abc", ""])
def test_bad_frequency_gets_a_chinese_message(client, cast, types, value):
    client.force_login(cast.admin)
    response = client.post(reverse("activity_reports:type_create"),
                           {"name": "新类型", "expected_per_year": value, "sort_order": "0", "active": "on"})
    assert response.status_code == 200
    assert "请填写0至366之间的整数。" in response.content.decode()
    assert not ActivityType.objects.filter(name="新类型").exists()


def test_a_type_of_another_committee_is_404(client, cast, types):
    from taizhang.members.tests.factories import make_committee

    other = make_committee(name="另一个党委")
    foreign = activity_type_create(actor=None, committee=other, name="外部类型")
    client.force_login(cast.admin)
    assert client.get(reverse("activity_reports:type_edit", args=[foreign.pk])).status_code == 404


def test_list_query_count_does_not_grow(client, cast, types):
    client.force_login(cast.admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("activity_reports:types")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(8):
        activity_type_create(actor=cast.admin, committee=cast.committee, name=f"类型{i}")
    assert count() == before
