"""Activities: the list (the activity list page's filter set), one activity with its attendance totals, the
attendance ledger (paged), sign-up and its cancelling, attendance and check-in — through
``activities.selectors`` and ``activities.services``, so the scoping, the rules and their Chinese messages are
the pages' own (a refusal of a service is a 400 or 403 with its message)."""

import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signing import BadSignature, SignatureExpired
from django.db.models import Q
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from taizhang.activities import selectors, services
from taizhang.activities.checkin import verify_checkin_token
from taizhang.activities.filters import ActivityFilter
from taizhang.activities.models import (
    AbsenceReason,
    Activity,
    Attendance,
    AttendanceStatus,
    CheckInMethod,
    SignUp,
    SignUpStatus,
)
from taizhang.api.auth import require_write
from taizhang.api.bodies import Body
from taizhang.api.pagination import Paged, PageParams, paged
from taizhang.api.schemas import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, Day, Pk, Ref
from taizhang.core.permissions import EDIT, has_capability, is_member_login, own_member, restrict
from taizhang.members.models import Member

# a record id in the path: out of range is a 422, never a database overflow
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = Router(tags=["activities"])



def _is_staff(user) -> bool:
    """The activity pages' staff (views._is_staff): they see the lists with counts and the ledgers."""
    return has_capability(user, "activities.manage") or has_capability(user, "ledger.use")


def _require_access(user) -> None:
    if not (_is_staff(user) or is_member_login(user)):
        raise PermissionDenied(_("Your role does not give access to activities."))


def _require_manage(user) -> None:
    if not has_capability(user, "activities.manage"):
        raise PermissionDenied(_("Your role cannot manage activities."))


def _organiser(activity) -> str:
    return activity.organiser_branch.name if activity.organiser_branch_id else _("The committee")


# --- answers -------------------------------------------------------------------------------------------


class ActivityRow(Schema):
    id: int
    title: str
    activity_type: Ref
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    organiser: str = Field(description="组织者：党委或支部名称")
    organiser_branch_id: int | None
    audience_kind: str
    audience: str = Field(description="参加对象")
    capacity: int | None
    cancelled: bool
    signed_up: int = Field(description="已报名")
    waitlisted: int = Field(description="候补")
    present: int = Field(description="实到（本人可见范围内）")
    expected: int | None = Field(description="应到（本人可见范围内；未开始的活动为 null）")


def activity_row(activity, expected: dict, now) -> dict:
    return {
        "id": activity.pk, "title": activity.title,
        "activity_type": {"id": activity.activity_type_id, "name": activity.activity_type.name},
        "starts_at": activity.starts_at, "ends_at": activity.ends_at, "place": activity.place,
        "organiser": _organiser(activity), "organiser_branch_id": activity.organiser_branch_id,
        "audience_kind": activity.audience_kind, "audience": str(activity.audience_label),
        "capacity": activity.capacity, "cancelled": activity.cancelled,
        "signed_up": activity.n_signed, "waitlisted": activity.n_waiting, "present": activity.n_present,
        "expected": expected.get(activity.pk) if activity.starts_at <= now else None,
    }


class ActivityFilters(Schema):
    """The activity list page's filters (``ActivityFilter``)."""

    q: str = Field("", max_length=100, description="标题包含")
    date_from: Day | None = None
    date_to: Day | None = None
    activity_type: int | None = Field(None, ge=1, le=2**31 - 1)
    organiser: str = Field("", max_length=12, description="committee（党委）或支部 id")
    when: Literal["", "upcoming", "past"] = ""
    include_cancelled: bool = False


def _filter_data(filters: ActivityFilters) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in filters.dict().items():
        if value in (None, "", False):
            continue
        data[name] = value.isoformat() if isinstance(value, datetime.date) else ("on" if value is True else str(value))
    return data


def _invalid(filterset) -> ValidationError:
    return ValidationError({field: [str(m) for m in messages] for field, messages in filterset.errors.items()})


@router.get("", response={200: Paged[ActivityRow], **LIST_ERRORS}, summary="活动列表")
def activity_list(request, filters: Query[ActivityFilters], paging: Query[PageParams]):
    """The activities the user may see, newest first (``when=upcoming``: soonest first), with the list page's
    filters and counts: one query for the page, one for its 应到."""
    user = request.auth
    _require_access(user)
    queryset = selectors.activity_list_queryset(user)
    filterset = ActivityFilter(_filter_data(filters), queryset=queryset, request=request)
    if not filterset.is_valid():
        raise _invalid(filterset)
    now = timezone.now()
    result = paged(request, filterset.qs, paging)
    activities = result["results"]
    expected = selectors.expected_counts([a for a in activities if a.starts_at <= now], user=user)
    result["results"] = [activity_row(a, expected, now) for a in activities]
    return result


class LedgerTotals(Schema):
    expected: int = Field(description="应到")
    present: int = Field(description="实到")
    leave: int = Field(description="请假")
    absent: int = Field(description="缺席")
    absent_by_reason: dict[str, int] = Field(description="缺席原因代码 → 人数（空字符串：未登记原因）")
    present_not_expected: int = Field(description="非应到人员到场")


class OwnSignUp(Schema):
    id: int
    status: str
    waiting_position: int | None


class OwnAttendance(Schema):
    status: str
    absence_reason: str
    checked_in_at: datetime.datetime | None


class ActivityDetail(ActivityRow):
    notes: str
    cancel_reason: str
    checkin_opens_at: datetime.datetime
    checkin_closes_at: datetime.datetime
    may_manage: bool
    # the signed-in member's own answer (null when the user has no member record in the committee)
    invited: bool | None = None
    own_signup: OwnSignUp | None = None
    own_attendance: OwnAttendance | None = None
    # staff only (null for a member)
    ledger: LedgerTotals | None = None


def _position(signup) -> int | None:
    if signup.status != SignUpStatus.WAITLISTED:
        return None
    # the waiting list's order: by sign-up time, then id (``services``' promotion order); one COUNT of those ahead
    ahead = Q(signed_up_at__lt=signup.signed_up_at) | Q(signed_up_at=signup.signed_up_at, pk__lt=signup.pk)
    return SignUp.objects.filter(ahead, activity_id=signup.activity_id, status=SignUpStatus.WAITLISTED).count() + 1


def _signup_out(signup) -> dict:
    return {"id": signup.pk, "status": signup.status, "waiting_position": _position(signup)}


@router.get("/{activity_id}", response={200: ActivityDetail, **READ_ERRORS}, summary="活动详情与考勤汇总")
def activity_detail(request, activity_id: PathId):
    user = request.auth
    _require_access(user)
    activity = selectors.activity_list_queryset(user).filter(pk=activity_id).first()  # activity_get's scope
    if activity is None:
        raise Http404
    now = timezone.now()
    expected = selectors.expected_counts([activity], user=user) if activity.starts_at <= now else {}
    opens, closes = services.checkin_window(activity)
    data = activity_row(activity, expected, now) | {
        "notes": activity.notes, "cancel_reason": activity.cancel_reason, "checkin_opens_at": opens,
        "checkin_closes_at": closes, "may_manage": selectors.activity_queryset(user, EDIT).filter(
            pk=activity.pk).exists(),
    }
    member = own_member(user, activity.committee_id)
    if member is not None:
        own = SignUp.objects.filter(activity=activity, member=member).exclude(status=SignUpStatus.CANCELLED).first()
        attendance = Attendance.objects.filter(activity=activity, member=member).first()
        data.update(invited=selectors.is_invited(activity, member),
                    own_signup=_signup_out(own) if own else None,
                    own_attendance={"status": attendance.status, "absence_reason": attendance.absence_reason,
                                    "checked_in_at": attendance.checked_in_at} if attendance else None)
    if _is_staff(user):
        ledger = selectors.attendance_ledger(activity, user=user)
        data["ledger"] = {"expected": ledger.expected, "present": ledger.present, "leave": ledger.leave,
                          "absent": ledger.absent, "absent_by_reason": ledger.absent_by_reason,
                          "present_not_expected": ledger.present_not_expected}
    return data


class LedgerRow(Schema):
    member: Ref
    branch: Ref
    expected: bool = Field(description="应到（否：非应到人员到场）")
    status: str = Field(description="present / leave / absent；空字符串：未登记（按缺席计）")
    absence_reason: str
    note: str
    checked_in_at: datetime.datetime | None
    method: str
    attendance_id: int | None


class LedgerPage(Paged[LedgerRow]):
    walk_ins_not_shown: int = Field(description="最后一页未列出的非应到到场人数")


def _ledger_row(row) -> dict:
    member, record = row["member"], row["attendance"]
    return {
        "member": {"id": member.pk, "name": member.name},
        "branch": {"id": member.branch_id, "name": member.branch.name},
        "expected": row["expected"],
        "status": record.status if record else "",
        "absence_reason": record.absence_reason if record else "",
        "note": record.note if record else "",
        "checked_in_at": record.checked_in_at if record else None,
        "method": record.method if record else "",
        "attendance_id": record.pk if record else None,
    }


@router.get("/{activity_id}/attendance", response={200: LedgerPage, **READ_ERRORS}, summary="考勤台账（分页）")
def attendance_ledger(request, activity_id: PathId, paging: Query[PageParams]):
    """The expected members (应到) with their record, by branch and name; on the last page the walk-ins.
    ``count`` is 应到. Staff of activities or the ledger only."""
    user = request.auth
    if not _is_staff(user):
        raise PermissionDenied(_("Your role does not give access to attendance records."))
    activity = selectors.activity_get(user, activity_id)
    expected = selectors.attendance_ledger(activity, user=user).expected
    page, rows, more = selectors.ledger_page(activity, user, paging.page, expected, size=paging.page_size)
    return {"count": page.paginator.count, "page": page.number, "page_size": paging.page_size,
            "results": [_ledger_row(r) for r in rows], "walk_ins_not_shown": more}


# --- writes -----------------------------------------------------------------------------------------------


class SignUpIn(Body):
    member: Pk | None = Field(None,
                              description="为他人报名时的党员 id（须有该党员的编辑权限）；省略：本人报名")


class SignUpOut(Schema):
    id: int
    activity_id: int
    member: Ref
    status: str = Field(description="signed_up 已报名 / waitlisted 候补 / cancelled 已取消")
    made_by: str
    waiting_position: int | None
    message: str


def _signup_answer(signup, message: str, position: int | None) -> dict:
    return {"id": signup.pk, "activity_id": signup.activity_id, "member": {"id": signup.member_id,
                                                                           "name": signup.member.name},
            "status": signup.status, "made_by": signup.made_by, "waiting_position": position,
            "message": message}


@router.post("/{activity_id}/signups", response={201: SignUpOut, **WRITE_ERRORS}, summary="报名（本人或代报名）")
def signup_create(request, activity_id: PathId, payload: SignUpIn):
    user = request.auth
    require_write(request)
    activity = selectors.activity_get(user, activity_id)
    if payload.member is not None:
        queryset = restrict(Member.objects.filter(committee_id=activity.committee_id), user, EDIT)
        member = queryset.filter(pk=payload.member).first()
        if member is None:  # not a member the user may sign up: as if it did not exist
            raise Http404
    else:
        member = own_member(user, activity.committee_id)
        if member is None:
            raise ValidationError({"member": [_("Your login is not linked to a member record of this committee.")]})
    signup = services.signup_create(actor=user, activity=activity, member=member)
    position = _position(signup)
    if signup.status == SignUpStatus.SIGNED_UP:
        message = _("%(name)s is signed up.") % {"name": member.name}
    else:
        message = _("The activity is full: %(name)s is on the waiting list, number %(n)d.") % {
            "name": member.name, "n": position or 0}
    return HttpStatus(201, _signup_answer(signup, message, position))


@router.post("/{activity_id}/signups/{signup_id}/cancel", response={200: SignUpOut, **WRITE_ERRORS},
             summary="取消报名")
def signup_cancel(request, activity_id: PathId, signup_id: PathId):
    user = request.auth
    require_write(request)
    activity = selectors.activity_get(user, activity_id)
    signup = selectors.signup_queryset(user, activity).filter(pk=signup_id).first()
    if signup is None:
        raise Http404
    signup = services.signup_cancel(actor=user, signup=signup)
    return _signup_answer(signup, _("The sign-up of %(name)s has been cancelled.") % {"name": signup.member.name},
                          _position(signup))


class AttendanceOut(Schema):
    id: int
    activity_id: int
    member: Ref
    status: str
    absence_reason: str
    note: str
    checked_in_at: datetime.datetime | None
    method: str
    walk_in: bool
    message: str


def _attendance_answer(row, member, message: str) -> dict:
    return {"id": row.pk, "activity_id": row.activity_id, "member": {"id": member.pk, "name": member.name},
            "status": row.status, "absence_reason": row.absence_reason, "note": row.note,
            "checked_in_at": row.checked_in_at, "method": row.method, "walk_in": row.walk_in, "message": message}


class AttendanceIn(Body):
    member: Pk
    status: Literal[tuple(AttendanceStatus.values)] = Field(..., description="present 出席 / leave 请假 / absent 缺席")
    absence_reason: Literal[("", *AbsenceReason.values)] = ""
    note: str = Field("", max_length=200)


def _tick_member(user, activity, member_id) -> Member:
    """A member of the activity's committee the user may record (views._tick_member), else 404."""
    member = restrict(Member.objects.filter(committee_id=activity.committee_id), user, EDIT).filter(
        pk=member_id).first()
    if member is None:
        raise Http404
    return member


@router.post("/{activity_id}/attendance", response={201: AttendanceOut, **WRITE_ERRORS}, summary="登记考勤")
def attendance_record(request, activity_id: PathId, payload: AttendanceIn):
    """Record present, leave (with its reason, before the start) or absent (with its reason, after the start)
    for one member; a repeat of what is recorded changes nothing, a contradiction is refused (the tick list's
    rules)."""
    user = request.auth
    require_write(request)
    _require_manage(user)
    activity = selectors.activity_get(user, activity_id)
    member = _tick_member(user, activity, payload.member)
    row = services.attendance_record(actor=user, activity=activity, member=member, status=payload.status,
                                     absence_reason=payload.absence_reason, note=payload.note)
    return HttpStatus(201, _attendance_answer(row, member, _("%(name)s: recorded.") % {"name": member.name}))


class CheckInIn(Body):
    member: Pk | None = Field(None,
                              description="工作人员为党员签到时的党员 id；省略：本人扫码签到（须带 token）")
    token: str = Field("", max_length=200, description="本人签到：活动签到二维码中的 token")


@router.post("/{activity_id}/checkin", response={200: AttendanceOut, **WRITE_ERRORS}, summary="签到")
def checkin(request, activity_id: PathId, payload: CheckInIn):
    """Check-in is idempotent: a second one writes nothing and says when the first was. A member checks
    themself in with the token of the activity's QR code (within the check-in window); staff check a member
    in from the opening of check-in onwards."""
    user = request.auth
    require_write(request)
    if payload.member is not None:
        _require_manage(user)
        activity = selectors.activity_get(user, activity_id)
        member = _tick_member(user, activity, payload.member)
        method = CheckInMethod.STAFF
    else:
        try:
            verify_checkin_token(activity_id, payload.token)
        except SignatureExpired as exc:
            minutes = settings.CHECKIN_TOKEN_MINUTES
            raise ValidationError({"token": [ngettext(
                "The check-in code changes every few minutes and each one works for %(minutes)s minute only. "
                "Please scan the code on the screen at the activity again.",
                "The check-in code changes every few minutes and each one works for %(minutes)s minutes only. "
                "Please scan the code on the screen at the activity again.", minutes) % {"minutes": minutes}]}) from exc
        except BadSignature as exc:
            raise ValidationError({"token": [_(
                "This check-in code is not valid: it may have been altered or belong to another activity. Please "
                "scan the code shown at the activity again.")]}) from exc
        # the code proves the member is at the activity (the check-in page reads the activity unscoped too)
        activity = Activity.objects.filter(pk=activity_id).first()
        if activity is None:
            raise Http404
        member = own_member(user, activity.committee_id)
        if member is None:
            raise ValidationError({"member": [_("Your login is not linked to a member record of this committee.")]})
        method = CheckInMethod.QR
    result = services.attendance_check_in(actor=user, activity=activity, member=member, method=method)
    return _attendance_answer(result.attendance, member, result.message)
