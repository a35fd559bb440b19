"""The superior organisation's overview (issue 10 "Many committees"): totals by committee, no people."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from taizhang.accounts.services import role_assign
from taizhang.activities.services import attendance_record
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind
from taizhang.members.selectors import roster_counts
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import UserFactory, grant, make_committee, make_member
from taizhang.organisation.services import committee_set_superior
from taizhang.reports.overview import committee_overview, overview_committees

pytestmark = pytest.mark.django_db
URL = reverse("reports:overview")
SUPERIOR = "中共青岛市市南区委组织部"


@pytest.fixture
def viewer(cast):
    committee_set_superior(actor=cast.sysadmin, committee=cast.committee, name=SUPERIOR)
    user = UserFactory(username="district", display_name="区委组织部")
    role_assign(actor=cast.secadmin, user=user, role="superior_viewer", committee=cast.committee)
    return user


def _other_committee(n_members=2, superior=SUPERIOR):
    other = make_committee(name="另一个流动党员党委")
    boss = UserFactory()
    grant(boss, "committee_admin", other)
    members = [make_member(boss, other.east, name=f"外委{i}") for i in range(n_members)]
    committee_set_superior(actor=None, committee=other, name=superior)
    return other, boss, members


def test_the_overview_counts_the_roster_like_the_ledger(cast, viewer, settings):
    today = datetime.date(2026, 12, 4)
    settings.ELDERLY_AGE = 60
    flow_record_event(actor=cast.admin, member=cast.west_members[0], kind=EventKind.LEFT_BEIJING,
                      effective_date=today, reason="回青岛")
    data = committee_overview(overview_committees(viewer), day=today, date_from=datetime.date(2018, 1, 1),
                              date_to=today)
    [(name, [row], _subtotal)] = data.groups
    counts = roster_counts(committee=cast.committee)
    assert name == SUPERIOR and row.name == cast.committee.name
    assert row.roster == counts["total"] == 6
    assert row.by_status == counts["status_codes"]
    assert row.elderly == 1  # 李秀英 (1958); 陈刚 turns 60 on 2026-12-24
    assert row.flows == {"registered": 6, "left": 1}
    assert data.total.roster == 6
    settings.ELDERLY_AGE = 55  # the rule's number is the setting
    data = committee_overview(overview_committees(viewer), day=today, date_from=today, date_to=today)
    assert data.total.elderly == 2 and data.total.flows == {"left": 1}


def test_the_page_shows_totals_and_no_names(client, cast, viewer):
    client.force_login(viewer)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert cast.committee.name in text and SUPERIOR in text and "上级组织总览" in text
    for member in cast.members:
        assert member.name not in text
    # the viewer has no member data anywhere
    assert client.get(reverse("members:list")).status_code == 403
    assert client.get(reverse("members:detail", args=[cast.me.pk])).status_code in (403, 404)


def test_only_committees_that_gave_the_role_are_shown(client, cast, viewer):
    other, _boss, _members = _other_committee()
    client.force_login(viewer)
    text = client.get(URL).content.decode()
    assert "另一个流动党员党委" not in text  # same superior, but that committee gave no role
    role_assign(actor=None, user=viewer, role="superior_viewer", committee=other)
    data = committee_overview(overview_committees(viewer), day=timezone.localdate(),
                              date_from=datetime.date(2018, 1, 1), date_to=timezone.localdate())
    assert [r.name for _n, rows, _s in data.groups for r in rows] == sorted([cast.committee.name, other.name])
    assert data.total.roster == 8


@pytest.mark.parametrize("who", ["admin", "east_secretary", "study", "plain_member", "sysadmin", "secadmin", "auditor",
                                 "outsider"])
def test_nobody_else_sees_the_overview(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 403


def test_the_overview_costs_the_same_queries_for_one_committee_or_three(client, cast, viewer,
                                                                         django_assert_max_num_queries):
    client.force_login(viewer)
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for name in ("乙", "丙"):
        other = make_committee(name=f"{name}流动党员党委")
        boss = UserFactory()
        grant(boss, "committee_admin", other)
        for i in range(3):
            make_member(boss, other.west, name=f"{name}{i}")
        seed_types(type("C", (), {"admin": boss, "committee": other}))
        make_activity(boss, other)
        committee_set_superior(actor=None, committee=other, name=f"{name}区委组织部")
        role_assign(actor=None, user=viewer, role="superior_viewer", committee=other)
    with django_assert_max_num_queries(len(one)):
        response = client.get(URL)
    assert "乙流动党员党委" in response.content.decode()


def test_activities_and_attendance_are_counted(cast, viewer):
    seed_types(cast)
    day = datetime.date(2026, 6, 12)
    activity = make_activity(cast.admin, cast.committee, day=day)
    attendance_record(actor=cast.admin, activity=activity, member=cast.me, status="present")
    cancelled = make_activity(cast.admin, cast.committee, day=day, title="取消的活动", start="14:00")
    cancelled.cancelled = True
    cancelled.save(update_fields=["cancelled"])
    data = committee_overview(overview_committees(viewer), day=day, date_from=datetime.date(2026, 1, 1),
                              date_to=datetime.date(2026, 12, 31))
    assert (data.total.activities, data.total.present) == (1, 1)
    outside = committee_overview(overview_committees(viewer), day=day, date_from=datetime.date(2025, 1, 1),
                                 date_to=datetime.date(2025, 12, 31))
    assert (outside.total.activities, outside.total.present) == (0, 0)


def test_bad_dates_say_which_field(client, cast, viewer):
    client.force_login(viewer)
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    text = client.get(URL, {"day": future, "date_from": "2026-05-01", "date_to": "2026-01-01"}).content.decode()
    assert "名册日期不能是将来的日期" in text
    assert "结束日期不能早于开始日期" in text
    assert client.get(URL, {"day": "not-a-date"}).status_code == 200


def test_the_export_is_audited(client, cast, viewer):
    client.force_login(viewer)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    entry = AuditEntry.objects.filter(action="report.export", actor=viewer).get()
    assert entry.new_values["report"] == "superior_overview" and entry.new_values["committees"] == 1


def test_the_role_needs_a_superior_and_the_whole_committee(cast):
    user = UserFactory(username="district2")
    with pytest.raises(ValidationError, match="上级党组织"):
        role_assign(actor=cast.secadmin, user=user, role="superior_viewer", committee=cast.committee)
    committee_set_superior(actor=cast.sysadmin, committee=cast.committee, name=SUPERIOR)
    with pytest.raises(ValidationError, match="支部"):
        role_assign(actor=cast.secadmin, user=user, role="superior_viewer", committee=cast.committee,
                    branch=cast.east)


def test_setting_the_superior_is_audited_and_refused_to_others(client, cast):
    client.force_login(cast.sysadmin)
    response = client.post(reverse("organisation:committee_superior", args=[cast.committee.pk]), {"superior": SUPERIOR})
    assert response.status_code == 302
    cast.committee.refresh_from_db()
    assert cast.committee.superior.name == SUPERIOR
    assert AuditEntry.objects.filter(action="committee.set_superior").count() == 1
    client.force_login(cast.east_secretary)
    response = client.post(reverse("organisation:committee_superior", args=[cast.committee.pk]), {"superior": ""})
    assert response.status_code == 403
    cast.committee.refresh_from_db()
    assert cast.committee.superior is not None


def test_home_leads_the_superior_viewer_to_the_overview(client, cast, viewer):
    client.force_login(viewer)
    text = client.get(reverse("home")).content.decode()
    assert reverse("reports:overview") in text
    assert "尚未分配角色" not in text
