"""Study records: submission, approval separation, points on approval, rejection with a reason."""

import datetime
import decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from taizhang.accounts.services import role_assign
from taizhang.members.models import Member
from taizhang.points import services
from taizhang.points.models import PointEntry, RecordStatus, StudyKind
from taizhang.points.selectors import approvals_queryset
from taizhang.points.tests.helpers import seed_rules, total

pytestmark = pytest.mark.django_db


def submit(cast, member=None, actor=None, **kwargs):
    data = {"day": datetime.date(2026, 6, 1), "kind": StudyKind.SELF_STUDY, "title": "学习党章"} | kwargs
    return services.study_record_submit(actor=actor or cast.plain_member, member=member or cast.me, **data)


def test_member_submits_own_record_not_others(cast):
    record = submit(cast)
    assert record.status == RecordStatus.PENDING and record.requested_by == cast.plain_member
    with pytest.raises(PermissionDenied):
        submit(cast, member=cast.west_members[0])
    with pytest.raises(PermissionDenied):
        submit(cast, actor=cast.outsider)


def test_submission_is_checked(cast):
    with pytest.raises(ValidationError) as exc:
        submit(cast, title=" ", day=datetime.date(2099, 1, 1), kind=StudyKind.VOLUNTEER)
    assert set(exc.value.message_dict) == {"title", "day", "hours"}
    with pytest.raises(ValidationError) as exc:
        submit(cast, kind=StudyKind.VOLUNTEER, hours=30)
    assert set(exc.value.message_dict) == {"hours"}


def test_branch_secretary_approves_and_points_are_added(cast):
    seed_rules(cast)
    record = submit(cast)
    assert list(approvals_queryset(cast.east_secretary)) == [record]
    services.study_record_approve(actor=cast.east_secretary, record=record)
    record.refresh_from_db()
    assert (record.status, record.decided_by) == (RecordStatus.APPROVED, cast.east_secretary)
    entry = PointEntry.objects.get(member=cast.me)
    assert (entry.points, entry.study_record, entry.rule.name) == (2, record, "学习记录审核通过")
    with pytest.raises(ValidationError):
        services.study_record_approve(actor=cast.admin, record=record)  # decided already
    assert PointEntry.objects.count() == 1


def test_volunteer_hours_points_per_hour_within_yearly_cap(cast):
    seed_rules(cast)
    for hours in (decimal.Decimal("12.5"), 20):
        record = submit(cast, kind=StudyKind.VOLUNTEER, hours=hours, title="社区志愿服务")
        services.study_record_approve(actor=cast.east_secretary, record=record)
    assert total(cast.me) == 30  # 13 + 17 (yearly cap 30)


def test_study_record_yearly_cap(cast):
    seed_rules(cast)
    for i in range(11):
        services.study_record_approve(actor=cast.admin, record=submit(cast, title=f"学习 {i}"))
    assert total(cast.me) == 20


def test_requester_and_member_cannot_approve_their_own(cast):
    seed_rules(cast)
    # the east secretary is also a member of 东部 and submits a record of his own
    own = Member.objects.filter(pk=cast.members_by_name["王建国"].pk)
    own.update(user=cast.east_secretary)
    mine = submit(cast, member=own.get(), actor=cast.east_secretary)
    assert mine not in approvals_queryset(cast.east_secretary)
    with pytest.raises(PermissionDenied) as exc:
        services.study_record_approve(actor=cast.east_secretary, record=mine)
    assert str(exc.value) == str(services.approval_refusal(cast.east_secretary, mine))
    # the committee admin submits on behalf of a member: someone else must approve it
    on_behalf = submit(cast, member=cast.me, actor=cast.admin)
    assert on_behalf not in approvals_queryset(cast.admin)
    with pytest.raises(PermissionDenied):
        services.study_record_approve(actor=cast.admin, record=on_behalf)
    services.study_record_approve(actor=cast.east_secretary, record=on_behalf)


def test_other_branch_secretary_study_member_and_member_cannot_approve(cast):
    record = submit(cast)
    for user in (cast.west_secretary, cast.study, cast.plain_member, cast.outsider, cast.auditor):
        assert record not in approvals_queryset(user)
        with pytest.raises(PermissionDenied):
            services.study_record_approve(actor=user, record=record)
        with pytest.raises(PermissionDenied):
            services.study_record_reject(actor=user, record=record, note="不符合要求")


def test_a_member_who_is_also_secretary_elsewhere_cannot_approve_own(cast):
    role_assign(actor=cast.secadmin, user=cast.plain_member, role="branch_secretary", committee=cast.committee,
                branch=cast.east)
    from taizhang.core.permissions import forget_roles

    forget_roles(cast.plain_member)
    record = submit(cast)
    with pytest.raises(PermissionDenied):
        services.study_record_approve(actor=cast.plain_member, record=record)


def test_rejection_needs_a_reason(cast):
    record = submit(cast)
    with pytest.raises(ValidationError) as exc:
        services.study_record_reject(actor=cast.east_secretary, record=record, note="  ")
    assert "note" in exc.value.message_dict
    services.study_record_reject(actor=cast.east_secretary, record=record, note="请补充心得体会")
    record.refresh_from_db()
    assert (record.status, record.decision_note) == (RecordStatus.REJECTED, "请补充心得体会")
    assert not PointEntry.objects.exists()
