"""Activity pages: list (staff and 我的活动), detail, plan/edit/cancel, sign-up through the pages.

Every cast role is checked against the same three activities: one the committee holds for everyone,
one 东部 holds for its branch, one 西部 holds for its branch.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.activities.models import Activity, Attendance, AudienceKind, SignUp, SignUpStatus
from taizhang.activities.services import attendance_record, signup_create
from taizhang.activities.tests.factories import DAY, make_activity, seed_types
from taizhang.activities.tests.factories_pages import body, future
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(cast):
    """(committee-wide, east, west) activities a week from now."""
    seed_types(cast)
    committee = future(cast.admin, cast.committee, title="党委集体学习")
    east = future(cast.east_secretary, cast.committee, title="东部主题党日", type_name="主题党日",
                  organiser_branch=cast.east, audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    west = future(cast.west_secretary, cast.committee, title="西部主题党日", type_name="主题党日",
                  organiser_branch=cast.west, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    return committee, east, west


def login(client, user):
    client.force_login(user)
    return client


LIST_SEES = {
    "admin": {"党委集体学习", "东部主题党日", "西部主题党日"},
    "east_secretary": {"党委集体学习", "东部主题党日"},
    "west_secretary": {"党委集体学习", "西部主题党日"},
    "study": {"党委集体学习", "东部主题党日", "西部主题党日"},
    "plain_member": {"党委集体学习", "东部主题党日"},
}
TITLES = {"党委集体学习", "东部主题党日", "西部主题党日"}


@pytest.mark.parametrize("role", sorted(LIST_SEES))
def test_list_shows_each_role_its_activities(client, cast, trio, role):
    response = login(client, getattr(cast, role)).get(reverse("activities:list"))
    assert response.status_code == 200
    shown = {t for t in TITLES if t in body(response)}
    assert shown == LIST_SEES[role]


@pytest.mark.parametrize("role", ["outsider", "auditor", "sysadmin"])
def test_list_refused_to_roles_without_activities(client, cast, trio, role):
    response = login(client, getattr(cast, role)).get(reverse("activities:list"))
    assert response.status_code == 403
    assert not any(t in body(response) for t in TITLES)


def test_list_needs_login(client, cast, trio):
    response = client.get(reverse("activities:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_sees_my_activities_with_big_sign_up_button(client, cast, trio):
    committee, east, _west = trio
    signup_create(actor=cast.plain_member, activity=committee, member=cast.me)
    response = login(client, cast.plain_member).get(reverse("activities:list"))
    text = body(response)
    assert _("My activities") in text
    assert _("You are signed up") in text
    # the east activity is not signed up yet: the sign-up form points at it
    assert reverse("activities:signup", args=[east.pk]) in text
    assert reverse("activities:signup_cancel", args=[committee.pk, SignUp.objects.get(activity=committee).pk]) in text


def test_member_sees_past_attendance(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    attendance_record(actor=cast.admin, activity=past, member=cast.me, status="absent", absence_reason="illness")
    text = body(login(client, cast.plain_member).get(reverse("activities:list")))
    assert "六月集体学习" in text
    assert str(Attendance.objects.get().get_status_display()) in text


def test_staff_list_filters(client, cast, trio):
    committee, east, west = trio
    login(client, cast.admin)
    text = body(client.get(reverse("activities:list"), {"organiser": str(cast.east.pk)}))
    assert "东部主题党日" in text and "西部主题党日" not in text and "党委集体学习" not in text
    text = body(client.get(reverse("activities:list"), {"q": "集体"}))
    assert "党委集体学习" in text and "东部主题党日" not in text
    text = body(client.get(reverse("activities:list"), {"when": "past"}))
    assert not any(t in text for t in TITLES)
    text = body(client.get(reverse("activities:list"), {"activity_type": str(east.activity_type_id)}))
    assert "东部主题党日" in text and "党委集体学习" not in text
    day = timezone.localdate(committee.starts_at)
    text = body(client.get(reverse("activities:list"), {"date_from": (day + datetime.timedelta(days=1)).isoformat()}))
    assert not any(t in text for t in TITLES)


def test_cancelled_hidden_unless_asked(client, cast, trio):
    committee, _east, _west = trio
    login(client, cast.admin).post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": "场地维修"})
    assert "党委集体学习" not in body(client.get(reverse("activities:list")))
    assert "党委集体学习" in body(client.get(reverse("activities:list"), {"include_cancelled": "on"}))


def test_htmx_refresh_returns_only_the_table(client, cast, trio):
    response = login(client, cast.admin).get(reverse("activities:list"), HTTP_HX_REQUEST="true")
    text = body(response)
    assert "activity-rows" in text and "<html" not in text


def test_past_rows_show_present_over_expected(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    for m in cast.east_members[:2]:
        attendance_record(actor=cast.admin, activity=past, member=m, status="present")
    text = body(login(client, cast.admin).get(reverse("activities:list")))
    assert "2 / 6" in text  # 实到 2 of 应到 6
    text = body(login(client, cast.east_secretary).get(reverse("activities:list")))
    assert "2 / 3" in text  # the east secretary counts only the east members


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_staff_list_query_count_does_not_grow(client, cast):
    seed_types(cast)
    login(client, cast.admin)
    make_activity(cast.admin, cast.committee, day=DAY, title="a0")
    make_activity(cast.admin, cast.committee, day=DAY, title="picked", audience_kind=AudienceKind.PICKED,
                  picked_members=cast.members[:2])
    future(cast.admin, cast.committee, title="f0", capacity=3)
    before = _queries(client, reverse("activities:list"))
    for i in range(8):
        past = make_activity(cast.admin, cast.committee, day=DAY - datetime.timedelta(days=i + 1), title=f"p{i}")
        attendance_record(actor=cast.admin, activity=past, member=cast.members[i % 6], status="present")
        upcoming = future(cast.admin, cast.committee, days=i + 2, title=f"u{i}", capacity=2)
        signup_create(actor=cast.admin, activity=upcoming, member=cast.members[i % 6])
        make_activity(cast.admin, cast.committee, day=DAY, title=f"picked{i}", audience_kind=AudienceKind.PICKED,
                      picked_members=cast.members[:2])
    assert _queries(client, reverse("activities:list")) == before


def test_my_activities_query_count_does_not_grow(client, cast):
    seed_types(cast)
    login(client, cast.plain_member)
    first = future(cast.admin, cast.committee, title="f0", capacity=1)
    signup_create(actor=cast.admin, activity=first, member=cast.east_members[1])
    signup_create(actor=cast.plain_member, activity=first, member=cast.me)  # waiting list
    make_activity(cast.admin, cast.committee, day=DAY, title="p0")
    before = _queries(client, reverse("activities:list"))
    for i in range(6):
        upcoming = future(cast.admin, cast.committee, days=i + 2, title=f"u{i}", capacity=1)
        signup_create(actor=cast.admin, activity=upcoming, member=cast.east_members[1])
        signup_create(actor=cast.plain_member, activity=upcoming, member=cast.me)  # waiting list
        past = make_activity(cast.admin, cast.committee, day=DAY - datetime.timedelta(days=i + 1), title=f"p{i + 1}")
        attendance_record(actor=cast.admin, activity=past, member=cast.me, status="present")
    assert _queries(client, reverse("activities:list")) == before


# --- detail -------------------------------------------------------------------------------------------

DETAIL = {  # role -> status codes for (committee, east, west)
    "admin": (200, 200, 200),
    "east_secretary": (200, 200, 404),
    "west_secretary": (200, 404, 200),
    "study": (200, 200, 200),
    "plain_member": (200, 200, 404),
    "outsider": (404, 404, 404),
    "auditor": (404, 404, 404),
    "sysadmin": (404, 404, 404),
}


@pytest.mark.parametrize("role", sorted(DETAIL))
def test_detail_scoping(client, cast, trio, role):
    login(client, getattr(cast, role))
    codes = tuple(client.get(reverse("activities:detail", args=[a.pk])).status_code for a in trio)
    assert codes == DETAIL[role]


MANAGE = {  # role -> edit page status for (committee, east, west)
    "admin": (200, 200, 200),
    "east_secretary": (404, 200, 404),
    "west_secretary": (404, 404, 200),
    "study": (403, 403, 403),
    "plain_member": (403, 403, 403),
    "outsider": (403, 403, 403),
}


@pytest.mark.parametrize("role", sorted(MANAGE))
@pytest.mark.parametrize("page", ["activities:edit", "activities:cancel", "activities:qr"])
def test_manage_pages_scoping(client, cast, trio, role, page):
    login(client, getattr(cast, role))
    codes = tuple(client.get(reverse(page, args=[a.pk])).status_code for a in trio)
    assert codes == MANAGE[role]


def test_detail_shows_manage_links_only_to_managers(client, cast, trio):
    committee, east, _west = trio
    login(client, cast.east_secretary)
    assert reverse("activities:edit", args=[east.pk]) in body(client.get(reverse("activities:detail", args=[east.pk])))
    text = body(client.get(reverse("activities:detail", args=[committee.pk])))
    assert reverse("activities:edit", args=[committee.pk]) not in text
    text = body(login(client, cast.plain_member).get(reverse("activities:detail", args=[committee.pk])))
    assert reverse("activities:edit", args=[committee.pk]) not in text
    assert "attendance-ledger" not in text and 'id="signups"' not in text
    assert "activities/partials/activity_notes.html" not in text


def test_detail_ledger_counts_and_rows(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    attendance_record(actor=cast.admin, activity=past, member=cast.east_members[1], status="present")
    attendance_record(actor=cast.admin, activity=past, member=cast.west_members[0], status="absent",
                      absence_reason="out_of_beijing")
    response = login(client, cast.admin).get(reverse("activities:detail", args=[past.pk]))
    ledger = response.context["ledger"]
    assert (ledger.expected, ledger.present, ledger.absent, ledger.leave) == (6, 1, 5, 0)
    text = body(response)
    assert "17%" in text  # 1 of 6
    assert str(Attendance.objects.get(member=cast.west_members[0]).get_absence_reason_display()) in text
    # the east secretary's ledger counts only the east members
    response = login(client, cast.east_secretary).get(reverse("activities:detail", args=[past.pk]))
    assert response.context["ledger"].expected == 3
    assert "赵丽华" not in body(response)


def test_cancelled_banner(client, cast, trio):
    committee, _e, _w = trio
    login(client, cast.admin).post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": "场地维修"})
    text = body(client.get(reverse("activities:detail", args=[committee.pk])))
    assert "cancelled-banner" in text and "场地维修" in text


# --- sign-up through the pages ----------------------------------------------------------------------


def test_member_signs_up_and_cancels(client, cast, trio):
    committee, _e, _w = trio
    login(client, cast.plain_member)
    response = client.post(reverse("activities:signup", args=[committee.pk]), follow=True)
    assert SignUp.objects.get(activity=committee, member=cast.me).status == SignUpStatus.SIGNED_UP
    assert _("%(name)s is signed up.") % {"name": "张伟明"} in body(response)
    signup = SignUp.objects.get(activity=committee, member=cast.me)
    response = client.post(reverse("activities:signup_cancel", args=[committee.pk, signup.pk]), follow=True)
    signup.refresh_from_db()
    assert signup.status == SignUpStatus.CANCELLED
    assert reverse("activities:signup", args=[committee.pk]) in body(response)


def test_full_activity_waiting_list_then_promotion(client, cast):
    seed_types(cast)
    visit = future(cast.admin, cast.committee, title="参观香山", capacity=1)
    first = cast.east_members[1]
    signup_create(actor=cast.admin, activity=visit, member=first)
    login(client, cast.plain_member)
    response = client.post(reverse("activities:signup", args=[visit.pk]), follow=True)
    assert SignUp.objects.get(activity=visit, member=cast.me).status == SignUpStatus.WAITLISTED
    assert (_("The activity is full: %(name)s is on the waiting list, number %(n)d.") % {"name": "张伟明", "n": 1}
            in body(response))
    text = body(client.get(reverse("activities:detail", args=[visit.pk])))
    assert (_("On the waiting list, number %(n)s") % {"n": 1}) in text
    # the admin cancels the first sign-up: the member moves up and the page says so
    login(client, cast.admin)
    first_signup = SignUp.objects.get(activity=visit, member=first)
    response = client.post(reverse("activities:signup_cancel", args=[visit.pk, first_signup.pk]), follow=True)
    assert SignUp.objects.get(activity=visit, member=cast.me).status == SignUpStatus.SIGNED_UP
    assert _("Moved up from the waiting list: %(names)s.") % {"names": "张伟明"} in body(response)


def test_service_errors_shown_as_alerts(client, cast, trio):
    _c, _east, west = trio
    # a west activity is not visible to the plain member (east): 404, nothing written
    login(client, cast.plain_member)
    assert client.post(reverse("activities:signup", args=[west.pk])).status_code == 404
    committee = trio[0]
    client.post(reverse("activities:signup", args=[committee.pk]))
    response = client.post(reverse("activities:signup", args=[committee.pk]), follow=True)
    assert "张伟明" in body(response) and "alert-danger" in body(response)
    assert SignUp.objects.filter(activity=committee).count() == 1


def test_staff_signs_up_elderly_member_on_behalf(client, cast, trio):
    _c, east, _w = trio
    elderly = cast.east_members[1]  # 李秀英, born 1958
    login(client, cast.east_secretary)
    text = body(client.get(reverse("activities:detail", args=[east.pk])))
    assert "李秀英（东部片区支部） · " + _("%(age)d years old, %(elderly)d+") % {"age": cast.east_members[1].age, "elderly": 60} in text
    client.post(reverse("activities:signup", args=[east.pk]), {"member": elderly.pk})
    signup = SignUp.objects.get(activity=east, member=elderly)
    assert signup.made_by == "staff" and signup.recorded_by == cast.east_secretary
    # cancel on behalf
    client.post(reverse("activities:signup_cancel", args=[east.pk, signup.pk]))
    signup.refresh_from_db()
    assert signup.status == SignUpStatus.CANCELLED


def test_staff_cannot_sign_up_member_outside_scope(client, cast, trio):
    committee, _e, _w = trio
    login(client, cast.east_secretary)
    response = client.post(reverse("activities:signup", args=[committee.pk]), {"member": cast.west_members[0].pk},
                           follow=True)
    assert not SignUp.objects.filter(member=cast.west_members[0]).exists()
    assert "alert-danger" in body(response)


def test_on_behalf_select_lists_only_invited_editable_members(client, cast, trio):
    committee, _e, _w = trio
    response = login(client, cast.east_secretary).get(reverse("activities:detail", args=[committee.pk]))
    names = {m.name for m in response.context["on_behalf_form"].fields["member"].queryset}
    assert names == {"张伟明", "李秀英", "王建国"}


# --- plan, edit, cancel -------------------------------------------------------------------------------


def _form_data(cast, **overrides):
    start = timezone.localtime(timezone.now() + datetime.timedelta(days=10)).replace(hour=9, minute=30)
    data = {
        "activity_type": seed_types(cast)["集体学习"].pk,
        "title": "十月集体学习",
        "organiser": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "党员之家·活动室",
        "audience_kind": "committee",
        "capacity": "30",
        "notes": "带好学习笔记",
    }
    data.update(overrides)
    return data


def test_admin_plans_an_activity(client, cast):
    login(client, cast.admin)
    response = client.get(reverse("activities:create"))
    assert "党员之家·一号会议室" in body(response)
    response = client.post(reverse("activities:create"), _form_data(cast))
    activity = Activity.objects.get(title="十月集体学习")
    assert response.status_code == 302 and response["Location"] == reverse("activities:detail", args=[activity.pk])
    assert activity.capacity == 30 and activity.organiser_branch is None
    assert timezone.localtime(activity.starts_at).strftime("%H:%M") == "09:30"


def test_form_errors_are_shown_next_to_the_fields(client, cast):
    login(client, cast.admin)
    data = _form_data(cast)
    data["ends_at"] = data["starts_at"]
    response = client.post(reverse("activities:create"), data)
    assert response.status_code == 200
    assert "活动结束时间应晚于开始时间。" in body(response)
    assert 'data-field="ends_at"' in body(response)
    response = client.post(reverse("activities:create"), _form_data(cast, starts_at="明天", title=""))
    assert 'data-field="starts_at"' in body(response) and 'data-field="title"' in body(response)
    assert not Activity.objects.exists()


def test_branch_secretary_plans_for_own_branch_only(client, cast):
    login(client, cast.east_secretary)
    form = client.get(reverse("activities:create")).context["form"]
    assert [c for c, _label in form.fields["organiser"].choices] == [str(cast.east.pk)]
    # whole-committee audience is refused by the service, shown at the field
    response = client.post(reverse("activities:create"), _form_data(cast, organiser=str(cast.east.pk)))
    assert 'data-field="audience_kind"' in body(response)
    # a west organiser is not a valid choice
    response = client.post(reverse("activities:create"), _form_data(cast, organiser=str(cast.west.pk),
                                                                     audience_kind="branch",
                                                                     audience_branch=str(cast.west.pk)))
    assert not Activity.objects.exists()
    response = client.post(reverse("activities:create"), _form_data(cast, organiser=str(cast.east.pk),
                                                                     audience_kind="branch",
                                                                     audience_branch=str(cast.east.pk)))
    assert Activity.objects.get().organiser_branch == cast.east


def test_picked_members_limited_to_edit_scope(client, cast):
    login(client, cast.east_secretary)
    form = client.get(reverse("activities:create")).context["form"]
    assert {m.name for m in form.fields["picked_members"].queryset} == {"张伟明", "李秀英", "王建国"}
    response = client.post(reverse("activities:create"), _form_data(
        cast, organiser=str(cast.east.pk), audience_kind="picked",
        picked_members=[str(cast.east_members[1].pk), str(cast.west_members[0].pk)]))
    assert 'data-field="picked_members"' in body(response)
    assert not Activity.objects.exists()


def test_study_member_and_plain_member_cannot_plan(client, cast):
    for user in (cast.study, cast.plain_member, cast.outsider):
        assert login(client, user).get(reverse("activities:create")).status_code == 403


def test_edit_and_cancel(client, cast, trio):
    committee, _e, _w = trio
    login(client, cast.admin)
    data = _form_data(cast, title="改期后的集体学习", capacity="")
    for name in ("organiser", "audience_kind"):
        data.pop(name)
    response = client.post(reverse("activities:edit", args=[committee.pk]), data)
    assert response.status_code == 302
    committee.refresh_from_db()
    assert committee.title == "改期后的集体学习" and committee.capacity is None
    response = client.post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": ""})
    assert 'data-field="cancel_reason"' in body(response)
    client.post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": "场地维修"})
    committee.refresh_from_db()
    assert committee.cancelled and committee.cancel_reason == "场地维修"
    response = client.post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": "再次"})
    assert "活动已取消" in body(response) or "alert-danger" in body(response)


def test_edit_capacity_below_signed_up_refused(client, cast, trio):
    committee, _e, _w = trio
    for m in cast.east_members:
        signup_create(actor=cast.admin, activity=committee, member=m)
    data = _form_data(cast, capacity="2")
    login(client, cast.admin)
    response = client.post(reverse("activities:edit", args=[committee.pk]), data)
    assert response.status_code == 200 and 'data-field="capacity"' in body(response)


def test_new_member_after_planning_appears(cast, client, trio):
    # a member registered today is invited to the committee-wide activity next week
    newcomer = make_member(cast.admin, cast.central, name="新党员", birth_date=datetime.date(1950, 1, 1))
    response = login(client, cast.admin).get(reverse("activities:detail", args=[trio[0].pk]))
    assert newcomer.pk in {m.pk for m in response.context["on_behalf_form"].fields["member"].queryset}


def test_detail_query_count_does_not_grow_with_audience_and_records(client, cast):
    seed_types(cast)
    past = make_activity(cast.admin, cast.committee, day=DAY, title="六月集体学习")
    upcoming = future(cast.admin, cast.committee, title="下周集体学习", capacity=1)
    attendance_record(actor=cast.admin, activity=past, member=cast.me, status="present")
    signup_create(actor=cast.admin, activity=upcoming, member=cast.me)
    signup_create(actor=cast.admin, activity=upcoming, member=cast.east_members[1])  # waiting list
    login(client, cast.admin)
    before = (_queries(client, reverse("activities:detail", args=[past.pk])),
              _queries(client, reverse("activities:detail", args=[upcoming.pk])))
    for i in range(6):
        m = make_member(cast.admin, cast.west, birth_date=datetime.date(1950 + i, 1, 1))
        attendance_record(actor=cast.admin, activity=past, member=m, status="absent", absence_reason="illness")
        signup_create(actor=cast.admin, activity=upcoming, member=m)  # all on the waiting list
    after = (_queries(client, reverse("activities:detail", args=[past.pk])),
             _queries(client, reverse("activities:detail", args=[upcoming.pk])))
    assert after == before


def test_member_sees_that_an_upcoming_activity_was_cancelled(client, cast, trio):
    committee, _e, _w = trio
    signup_create(actor=cast.plain_member, activity=committee, member=cast.me)
    login(client, cast.admin).post(reverse("activities:cancel", args=[committee.pk]), {"cancel_reason": "场地维修"})
    text = body(login(client, cast.plain_member).get(reverse("activities:list")))
    assert "党委集体学习" in text and "场地维修" in text
    assert reverse("activities:signup", args=[committee.pk]) not in text
