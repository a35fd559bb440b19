"""Members ask to correct their own phone, address or work situation; the branch secretary decides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.core.models import AuditEntry
from taizhang.members.models import ChangeRequest, ChangeRequestStatus, Member
from taizhang.members.services import change_request_approve, change_request_reject, change_request_submit

pytestmark = pytest.mark.django_db


def _ask(client, cast, **data):
    client.force_login(cast.plain_member)
    return client.post(reverse("members:change_request", args=[cast.me.pk]), data)


def test_member_asks_and_the_branch_secretary_approves_through_the_member_service(client, cast):
    response = _ask(client, cast, phone="139 1234 5678", residence="朝阳区新地址1号", employer="新单位",
                    employment_status="employed", note="搬家了")
    assert response.status_code == 302
    request = ChangeRequest.objects.get()
    assert request.status == ChangeRequestStatus.PENDING
    # nothing changes before the approval; the member sees the state on their page
    assert Member.objects.get(pk=cast.me.pk).residence == ""
    page = client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()
    assert "待审核" in page and "朝阳区新地址1号" in page

    client.force_login(cast.east_secretary)
    listing = client.get(reverse("members:change_requests"))
    assert [r.pk for r, _changes in listing.context["rows"]] == [request.pk]
    assert "139****5678" in listing.content.decode() and "13912345678" not in listing.content.decode()
    version = Member.objects.get(pk=cast.me.pk).version
    assert client.post(reverse("members:change_request_decide", args=[request.pk, "approve"])).status_code == 302

    member = Member.objects.get(pk=cast.me.pk)
    assert (member.phone, member.residence, member.employer) == ("13912345678", "朝阳区新地址1号", "新单位")
    assert member.version == version + 1
    update = AuditEntry.objects.filter(action="member.update", object_id=str(member.pk)).latest("pk")
    assert update.actor == cast.east_secretary and update.new_values["residence"] == "朝阳区新地址1号"
    assert AuditEntry.objects.filter(action="member.change_request_approve", actor=cast.east_secretary).exists()
    client.force_login(cast.plain_member)
    assert "已通过" in client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()


def test_reject_needs_a_reason_which_the_member_reads(client, cast):
    _ask(client, cast, residence="海淀区某地")
    request = ChangeRequest.objects.get()
    client.force_login(cast.east_secretary)
    url = reverse("members:change_request_decide", args=[request.pk, "reject"])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "退回的理由" in response.content.decode()
    assert ChangeRequest.objects.get().status == ChangeRequestStatus.PENDING
    client.post(url, {"reason": "地址与户籍登记不符，请当面核对"})
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.REJECTED and request.decided_by == cast.east_secretary
    assert AuditEntry.objects.get(action="member.change_request_reject").new_values["reason"] == "地址与户籍登记不符，请当面核对"
    assert Member.objects.get(pk=cast.me.pk).residence == ""
    client.force_login(cast.plain_member)
    page = client.get(reverse("members:detail", args=[cast.me.pk])).content.decode()
    assert "已退回" in page and "请当面核对" in page


def test_bad_input_names_the_field_in_chinese(client, cast):
    response = _ask(client, cast, phone="12345")
    assert response.status_code == 200
    assert "手机号码" in " ".join(response.context["form"].errors["phone"])
    response = _ask(client, cast, employer="单" * 101)
    assert "工作单位" in " ".join(response.context["form"].errors["employer"])
    response = _ask(client, cast, employer="")  # nothing changed
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not ChangeRequest.objects.exists()


def test_only_the_member_asks_and_only_staff_of_their_branch_decide(client, cast):
    other = cast.members_by_name["李秀英"]
    client.force_login(cast.plain_member)
    assert client.get(reverse("members:change_request", args=[other.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        change_request_submit(actor=cast.east_secretary, member=cast.me, data={"residence": "x"})
    request = change_request_submit(actor=cast.plain_member, member=cast.me, data={"residence": "丰台区某地"})
    with pytest.raises(ValidationError):  # one pending request at a time
        change_request_submit(actor=cast.plain_member, member=cast.me, data={"residence": "别处"})
    for outsider in (cast.west_secretary, cast.study, cast.plain_member):
        with pytest.raises(PermissionDenied):
            change_request_approve(actor=outsider, change_request=request)
    client.force_login(cast.west_secretary)
    assert client.get(reverse("members:change_requests")).context["rows"] == []
    client.force_login(cast.study)
    assert client.get(reverse("members:change_requests")).status_code == 403
    change_request_reject(actor=cast.admin, change_request=request, reason="重复")
    with pytest.raises(ValidationError):  # already decided
        change_request_approve(actor=cast.east_secretary, change_request=request)


def test_the_pending_list_is_paged(client, cast):
    from taizhang.members.tests.factories import make_member

    for i in range(23):
        member = make_member(cast.admin, cast.east, name=f"党员{i}")
        user = type(cast.plain_member).objects.create(username=f"m{i}")
        Member.objects.filter(pk=member.pk).update(user=user)
        member.refresh_from_db()
        change_request_submit(actor=user, member=member, data={"residence": f"地址{i}"})
    client.force_login(cast.east_secretary)
    first = client.get(reverse("members:change_requests"))
    assert len(first.context["rows"]) == 20 and first.context["page"].paginator.count == 23
    assert len(client.get(reverse("members:change_requests"), {"page": 2}).context["rows"]) == 3


def test_the_list_query_count_does_not_grow_with_the_requests(client, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from taizhang.members.tests.factories import make_member

    def add(n, offset):
        for i in range(offset, offset + n):
            member = make_member(cast.admin, cast.east, name=f"党员{i}")
            user = type(cast.plain_member).objects.create(username=f"q{i}")
            Member.objects.filter(pk=member.pk).update(user=user)
            member.refresh_from_db()
            change_request_submit(actor=user, member=member, data={"residence": f"地址{i}", "phone": "13800001111"})

    client.force_login(cast.east_secretary)
    add(2, 0)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("members:change_requests"))
    add(8, 2)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("members:change_requests")).context["rows"]) == 10
    assert len(many) == len(few)
