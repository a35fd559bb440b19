"""The staff worklist (issue 14 "Worklist and reminders"): each rule on a small known history with the fixed
cast, scoping (a branch secretary sees the branch's items only), the page and its query count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.activities.content_services import study_item_create
from taizhang.activities.models import StudyKind, StudyRead
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.finance import dues
from taizhang.finance.models import DuesKind, DuesSettings
from taizhang.members.models import EventKind, Member, MembershipType
from taizhang.members.selectors import months_before
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_member
from taizhang.points import services as points
from taizhang.points.models import StudyKind as RecordKind
from taizhang.reports import worklist as wl

pytestmark = pytest.mark.django_db
URL = reverse("reports:worklist")


def names(qs) -> set:
    return {m.name for m in qs}


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def contacts(cast, today):
    """A known contact history: 张伟明 contacted this week, 李秀英 5½ months ago (warn), 王建国 7 months ago
    (lost), 赵丽华 (west) 5 months and 2 days ago (warn), 陈刚 (west) never since registration long ago (lost),
    刘洋 (central) last month."""
    days = {
        "张伟明": today - datetime.timedelta(days=2),
        "李秀英": months_before(today, 5) - datetime.timedelta(days=15),
        "王建国": months_before(today, 7),
        "赵丽华": months_before(today, 5) - datetime.timedelta(days=2),
        "陈刚": None,
        "刘洋": months_before(today, 1),
    }
    for name, day in days.items():
        Member.objects.filter(pk=cast.members_by_name[name].pk).update(last_contact_date=day)
    return days


def test_contact_rules_warn_at_five_and_lost_at_six_months(cast, contacts, today):
    assert names(wl.contact_warning_members(cast.admin, today)) == {"李秀英", "赵丽华"}
    assert names(wl.lost_contact_members(cast.admin, today)) == {"王建国", "陈刚"}
    # the branch secretary sees the branch's members only
    assert names(wl.contact_warning_members(cast.east_secretary, today)) == {"李秀英"}
    assert names(wl.lost_contact_members(cast.east_secretary, today)) == {"王建国"}
    assert names(wl.lost_contact_members(cast.west_secretary, today)) == {"陈刚"}
    # a member already recorded as lost is not counted again
    flow_record_event(actor=cast.admin, member=cast.members_by_name["王建国"], kind=EventKind.LOST_CONTACT,
                      effective_date=today, lost_contact_cause=1)
    assert names(wl.lost_contact_members(cast.admin, today)) == {"陈刚"}


def test_contact_rules_read_the_settings(cast, contacts, today, settings):
    settings.CONTACT_WARNING_MONTHS = 4
    settings.LOST_CONTACT_MONTHS = 5
    assert names(wl.lost_contact_members(cast.admin, today)) == {"王建国", "陈刚", "李秀英", "赵丽华"}
    assert names(wl.contact_warning_members(cast.admin, today)) == set()


def test_away_six_months_asks_to_consider_a_transfer(cast, today):
    long_away, short_away = cast.members_by_name["王建国"], cast.members_by_name["赵丽华"]
    flow_record_event(actor=cast.admin, member=long_away, kind=EventKind.LEFT_BEIJING,
                      effective_date=months_before(today, 6), reason="回青岛照顾老人")
    flow_record_event(actor=cast.admin, member=short_away, kind=EventKind.LEFT_BEIJING,
                      effective_date=months_before(today, 5), reason="外地项目")
    assert names(wl.transfer_members(cast.admin, today)) == {"王建国"}
    assert names(wl.transfer_members(cast.west_secretary, today)) == set()
    # a recorded contact while away does not restart the count
    flow_record_event(actor=cast.admin, member=long_away, kind=EventKind.CONTACTED, effective_date=today)
    assert names(wl.transfer_members(cast.east_secretary, today)) == {"王建国"}
    # once back in Beijing nothing is asked
    flow_record_event(actor=cast.admin, member=long_away, kind=EventKind.RETURNED, effective_date=today)
    assert names(wl.transfer_members(cast.admin, today)) == set()


def test_not_reported_this_year(cast, today):
    assert names(wl.not_reported_members(cast.admin, today)) == set(cast.members_by_name)  # registered in 2018
    flow_record_event(actor=cast.admin, member=cast.members_by_name["李秀英"], kind=EventKind.CONTACTED,
                      effective_date=today, reason="电话报到")
    flow_record_event(actor=cast.admin, member=cast.members_by_name["陈刚"], kind=EventKind.CONTACTED,
                      effective_date=datetime.date(today.year - 1, 12, 31), reason="去年报到")
    assert names(wl.not_reported_members(cast.admin, today)) == set(cast.members_by_name) - {"李秀英"}
    assert names(wl.not_reported_members(cast.west_secretary, today)) == {"赵丽华", "陈刚"}
    # a member who left (transferred out) is not asked to report
    flow_record_event(actor=cast.admin, member=cast.members_by_name["刘洋"], kind=EventKind.TRANSFERRED_OUT,
                      effective_date=today, reason="转回青岛")
    assert "刘洋" not in names(wl.not_reported_members(cast.admin, today))


def test_probationary_members_due_after_a_year(cast, today):
    due = make_member(cast.admin, cast.east, name="预备甲", membership_type=MembershipType.PROBATIONARY,
                      join_date=months_before(today, 12), full_membership_date=None)
    make_member(cast.admin, cast.east, name="预备乙", membership_type=MembershipType.PROBATIONARY,
                join_date=months_before(today, 11), full_membership_date=None)
    make_member(cast.admin, cast.west, name="预备丙", membership_type=MembershipType.PROBATIONARY,
                join_date=months_before(today, 13), full_membership_date=None)
    assert names(wl.probation_members(cast.admin, today)) == {"预备甲", "预备丙"}
    assert names(wl.probation_members(cast.east_secretary, today)) == {"预备甲"}
    flow_record_event(actor=cast.admin, member=due, kind=EventKind.PROBATION_COMPLETED, effective_date=today)
    assert names(wl.probation_members(cast.east_secretary, today)) == set()


def test_study_day_planned_or_not(cast, today, settings):
    settings.STUDY_DAY_SKIP_HOLIDAYS = False
    day = wl.next_study_day(today)
    assert day >= today and day.day in (12, 13, 14)
    items = {i.key: i for i in wl.worklist(cast.admin, today)}
    assert items["study_day"].count == 0 and items["study_day"].level in ("warning", "danger")
    seed_types(cast)
    make_activity(cast.admin, cast.committee, day=day, title="每月一学")
    items = {i.key: i for i in wl.worklist(cast.admin, today)}
    assert items["study_day"].count == 1 and items["study_day"].level == "success"
    assert items["study_day"].entries[0].label == "每月一学"


def test_unread_study_items_past_their_date(cast, today):
    last_month = months_before(today, 1).replace(day=1)
    old = study_item_create(actor=cast.admin, committee=cast.committee, kind=StudyKind.MONTHLY, title="上月学习", body="学习党章",
                            month=last_month)
    study_item_create(actor=cast.admin, committee=cast.committee, kind=StudyKind.MONTHLY, title="下月学习", body="学习党章",
                      month=(today.replace(day=28) + datetime.timedelta(days=5)).replace(day=1))
    item = {i.key: i for i in wl.worklist(cast.admin, today)}["study_unread"]
    assert item.count == 1 and item.entries[0].label == "上月学习" and "6" in item.entries[0].note
    StudyRead.objects.bulk_create([StudyRead(item=old, member=m) for m in cast.east_members])
    # the east secretary's branch has read it all; the committee has not
    east = {i.key: i for i in wl.worklist(cast.east_secretary, today)}["study_unread"]
    assert east.count == 0 and east.level == "success"
    assert {i.key: i for i in wl.worklist(cast.admin, today)}["study_unread"].entries[0].note.startswith("3")


def test_study_records_waiting_for_approval(cast, today):
    points.study_record_submit(actor=cast.admin, member=cast.members_by_name["陈刚"], day=today,
                               kind=RecordKind.SELF_STUDY, title="自学党章")
    points.study_record_submit(actor=cast.admin, member=cast.members_by_name["李秀英"], day=today,
                               kind=RecordKind.SELF_STUDY, title="自学党章")
    west = {i.key: i for i in wl.worklist(cast.west_secretary, today)}["approvals"]
    assert west.count == 1 and west.entries[0].label == "陈刚"


def _month(today, back: int) -> datetime.date:
    return months_before(today.replace(day=1), back)


def test_dues_unpaid_for_five_months(cast, today):
    DuesSettings.objects.create(committee=cast.committee, collects_dues=True)
    for name in ("陈刚", "李秀英", "赵丽华", "王建国"):
        dues.dues_base_set(actor=cast.admin, member=cast.members_by_name[name], kind=DuesKind.FLAT,
                           applies_from=_month(today, 24))

    def pay(name, back, months):
        dues.dues_pay(actor=cast.admin, member=cast.members_by_name[name], period_from=_month(today, back),
                      months=months, amount_fen=20 * months, paid_on=_month(today, back))

    pay("陈刚", 18, 12)  # paid up to 7 months ago: 6 months unpaid
    pay("李秀英", 3, 12)  # paid ahead
    pay("赵丽华", 5, 2)  # paid up to 4 months ago: 4 months unpaid
    # 王建国 never paid
    behind = wl.dues_members(cast.admin, today)
    assert names(behind) == {"陈刚", "王建国"}
    assert names(wl.dues_members(cast.west_secretary, today)) == {"陈刚"}
    # the same answer as the dues ledger's own rows (its warning: the unpaid run up to this month)
    rows = dues.dues_rows(Member.objects.filter(pk__in=[m.pk for m in cast.members]),
                          start=_month(today, 24), end=today)
    assert {r.member.name for r in rows if r.warn} == names(behind)


def test_who_sees_which_items(cast, today):
    keys = {i.key for i in wl.worklist(cast.admin, today)}
    assert {"lost_contact", "contact_warning", "transfer", "not_reported", "probation", "study_day",
            "study_unread", "approvals", "care_visits", "dues"} <= keys
    assert "dues" in {i.key for i in wl.worklist(cast.east_secretary, today)}
    study = {i.key for i in wl.worklist(cast.study, today)}
    assert study == {"study_unread"}  # the study member: names and study facts, no flow work
    assert not wl.may_see_worklist(cast.plain_member) and not wl.may_see_worklist(cast.outsider)
    assert not wl.may_see_worklist(cast.auditor)


def test_page_scope_and_links(client, cast, contacts):
    client.force_login(cast.east_secretary)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "李秀英" in text and "王建国" in text and "陈刚" not in text and "赵丽华" not in text
    lost = reverse("members:flow", args=[cast.members_by_name["王建国"].pk, EventKind.LOST_CONTACT])
    assert lost in text
    assert 'id="nav-worklist"' in text
    more = client.get(reverse("reports:worklist_item", args=["lost_contact"]))
    assert more.status_code == 200 and "王建国" in more.content.decode() and "陈刚" not in more.content.decode()
    assert client.get(reverse("reports:worklist_item", args=["nonsense"])).status_code == 404


def test_members_and_outsiders_are_refused(client, cast):
    for user in (cast.plain_member, cast.outsider, cast.auditor):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.get(reverse("reports:worklist_item", args=["lost_contact"])).status_code == 403
    client.force_login(cast.study)
    assert client.get(reverse("reports:worklist_item", args=["lost_contact"])).status_code == 403


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _rows(cast, today, n, start=0):
    for i in range(start, start + n):
        member = make_member(cast.admin, cast.east if i % 2 else cast.west, name=f"新党员{i}",
                             membership_type=MembershipType.PROBATIONARY, join_date=months_before(today, 13),
                             full_membership_date=None)
        points.study_record_submit(actor=cast.admin, member=member, day=today, kind=RecordKind.SELF_STUDY,
                                   title="自学")
        study_item_create(actor=cast.admin, committee=cast.committee, kind=StudyKind.MONTHLY, title=f"学习{i}",
                          body="学习党章", month=months_before(today, 1).replace(day=1))


def test_query_count_does_not_grow_with_rows(client, cast, today):
    client.force_login(cast.admin)
    more = reverse("reports:worklist_item", args=["probation"])
    _rows(cast, today, 1)  # every item has something to show
    _queries(client, URL)
    few, few_more = _queries(client, URL), _queries(client, more)
    _rows(cast, today, 12, start=1)
    assert _queries(client, URL) == few
    assert _queries(client, more) == few_more


def test_care_visits_due(cast, today):
    from taizhang.care import services as care
    from taizhang.care.models import Occasion, VisitMode

    east = [cast.members_by_name["李秀英"], cast.members_by_name["王建国"]]
    plan = care.plan_create(actor=cast.east_secretary, branch=cast.east, occasion=Occasion.ILLNESS, year=today.year,
                            title="看望生病党员", starts_on=today - datetime.timedelta(days=1),
                            ends_on=today + datetime.timedelta(days=10), members=east)
    item = {i.key: i for i in wl.worklist(cast.east_secretary, today)}["care_visits"]
    assert item.count == 2 and {e.label for e in item.entries} == {"李秀英", "王建国"}
    care.visit_record(actor=cast.east_secretary, committee=cast.committee, plan=plan, visited_on=today,
                      mode=VisitMode.HOME, visitors="东部支部书记", members=[east[0]], talk="身体好转")
    item = {i.key: i for i in wl.worklist(cast.east_secretary, today)}["care_visits"]
    assert item.count == 1 and item.entries[0].label == "王建国"
    assert {i.key: i for i in wl.worklist(cast.west_secretary, today)}["care_visits"].count == 0
