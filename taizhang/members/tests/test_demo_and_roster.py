"""``load_demo`` and ``roster``: the demo committee and the as-of roster computed from the flow history.

The demo is loaded once for the module inside a transaction that is rolled back at the end, so the
other test modules never see it (the audit log is append-only, so it could not be deleted).
"""

import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation

from taizhang.accounts.models import Role, User
from taizhang.core.chinese import parse_citizen_id
from taizhang.core.models import AuditEntry
from taizhang.members import demo
from taizhang.members.models import (
    ROSTER_STATUSES,
    Category,
    EventKind,
    FlowEvent,
    Household,
    Member,
    MembershipType,
    Status,
)
from taizhang.members.selectors import annotate_status, roster_counts
from taizhang.organisation.models import Branch, Committee, District, PartyGroup
from taizhang.organisation.selectors import suggest_branch
from taizhang.organisation.services import committee_create, district_set_branch, party_group_create

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "shuji": {(Role.COMMITTEE_ADMIN, None)},
    "dongbu": {(Role.BRANCH_SECRETARY, "east")},
    "zhongbu": {(Role.BRANCH_SECRETARY, "central")},
    "xibu": {(Role.BRANCH_SECRETARY, "west")},
    "xuexi": {(Role.STUDY_MEMBER, None)},
    "dangyuan": {(Role.MEMBER, None)},
    "xitong": {(Role.SYSTEM_ADMIN, None)},
    "anquan": {(Role.SECURITY_ADMIN, None)},
    "shenji": {(Role.AUDIT_ADMIN, None)},
    "shangji": {(Role.SUPERIOR_VIEWER, None)},
    "caiwu": {(Role.TREASURER, None)},
}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Load the demo once for this module; roll it back afterwards."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


@pytest.fixture
def committee(demo_output):
    return Committee.objects.get(name=demo.COMMITTEE_NAME)


def roster_json(day) -> dict:
    out = StringIO()
    call_command("roster", "--as-of", str(day), "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def labels(choice_enum_member) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice_enum_member.label)


# --- load_demo ---------------------------------------------------------------------------------


def test_demo_creates_the_committee_and_186_members(committee, demo_output):
    assert Member.objects.filter(committee=committee).count() == demo.MEMBER_COUNT == 186
    assert sorted(committee.branches.values_list("code", flat=True)) == ["central", "east", "west"]
    assert committee.districts.count() == 16
    assert committee.founded_on == datetime.date(2017, 9, 1)
    assert "186" in demo_output


def test_demo_logins_have_the_right_roles(committee):
    users = User.objects.filter(username__in=EXPECTED_ROLES).prefetch_related("role_assignments__branch")
    assert {u.username for u in users} == set(EXPECTED_ROLES) == {u for u, _label in demo.DEMO_LOGINS}
    for user in users:
        roles = {(a.role, a.branch.code if a.branch_id else None) for a in user.role_assignments.all()}
        assert roles == EXPECTED_ROLES[user.username], user.username
        assert user.role_assignments.get().committee_id == committee.pk
    assert users.get(username="shuji").check_password(demo.DEMO_PASSWORD)  # one check: Argon2 is slow
    member = Member.objects.get(user__username="dangyuan")
    assert member.branch.code == "east"
    assert User.objects.get(username="dangyuan").display_name == member.name


def test_about_a_third_of_the_members_are_60_or_over(committee):
    members = list(Member.objects.filter(committee=committee))
    elderly = [m for m in members if m.is_elderly]
    assert 0.28 <= len(elderly) / len(members) <= 0.40
    # Mostly long-term residents (grandparents); some share a household in pairs.
    assert Counter(m.category for m in elderly).most_common(1)[0][0] == Category.RESIDENT
    pairs = Household.objects.filter(committee=committee).annotate(n=Count("members")).filter(n=2)
    assert pairs.count() >= 5
    assert all(m.is_elderly for h in pairs for m in h.members.all())


def test_demo_members_are_valid_and_spread(committee):
    members = list(annotate_status(Member.objects.filter(committee=committee)).select_related("district", "branch"))
    ids = [m.id_number for m in members]
    assert len(set(ids)) == len(ids)
    for m in members:
        parsed = parse_citizen_id(m.id_number)
        assert (parsed.birth_date, parsed.gender) == (m.birth_date, m.gender)
        assert m.id_number.startswith("3702")
        assert len(m.phone) == 11 and m.phone.startswith("1")
    assert {m.name for m in members}.isdisjoint({"陈献东", "梁帅", "韦正根", "蓝天翼"})
    assert {m.district.name for m in members} == set(District.objects.filter(committee=committee).values_list("name", flat=True))
    probationary = [m for m in members if m.membership_type == MembershipType.PROBATIONARY]
    assert 0.05 <= len(probationary) / len(members) <= 0.12
    assert all(m.full_membership_date is None for m in probationary)
    statuses = Counter(m.status for m in members)
    assert statuses[Status.TRANSFERRED] >= 6 and statuses[Status.DECEASED] == 2 and statuses[Status.SUSPENDED] == 2
    assert Counter(m.ethnicity for m in members)["汉族"] > 0.85 * len(members)
    assert all(m.last_contact_date for m in members)


def test_flow_history_stays_between_founding_and_today(committee):
    events = FlowEvent.objects.filter(member__committee=committee)
    assert events.filter(effective_date__lt=demo.FOUNDED_ON).count() == 0
    assert events.filter(effective_date__gt=timezone.localdate()).count() == 0
    kinds = Counter(events.values_list("kind", flat=True))
    for kind in (EventKind.LEFT_BEIJING, EventKind.RETURNED, EventKind.MOVED_BRANCH, EventKind.LOST_CONTACT,
                 EventKind.CONTACT_RESTORED, EventKind.PROBATION_COMPLETED, EventKind.CONTACTED):
        assert kinds[kind] > 0, kind
    assert events.filter(kind=EventKind.LOST_CONTACT, lost_contact_cause__isnull=True).count() == 0
    # Every change went through the services, so each event has its audit entry.
    assert AuditEntry.objects.filter(action__startswith="flow.").count() >= events.count()


def test_running_twice_changes_nothing(committee):
    before = (Committee.objects.count(), Member.objects.count(), User.objects.count(), FlowEvent.objects.count(),
              AuditEntry.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    after = (Committee.objects.count(), Member.objects.count(), User.objects.count(), FlowEvent.objects.count(),
             AuditEntry.objects.count())
    assert after == before
    assert demo.COMMITTEE_NAME in out.getvalue()


def test_load_demo_refuses_in_production(demo_output, settings):
    settings.PRODUCTION = True
    members = Member.objects.count()
    with pytest.raises(CommandError):
        call_command("load_demo", stdout=StringIO())
    assert Member.objects.count() == members


# --- roster -------------------------------------------------------------------------------------


def test_roster_before_the_founding_is_empty(demo_output):
    result = roster_json("2017-08-31")
    assert result == {"as_of": "2017-08-31", "total": 0, "by_branch": {}, "by_category": {}, "by_status": {}}
    assert list(result) == ["as_of", "total", "by_branch", "by_category", "by_status"]


def test_roster_today_counts_the_members_on_the_roster(committee):
    today = timezone.localdate()
    result = roster_json(today.isoformat())
    on_roster = annotate_status(Member.objects.all()).filter(status__in=ROSTER_STATUSES).count()
    assert result["as_of"] == today.isoformat()
    assert result["total"] == on_roster
    assert 0 < on_roster < demo.MEMBER_COUNT  # the transferred and the deceased are off the roster
    for key in ("by_branch", "by_category", "by_status"):
        assert sum(result[key].values()) == result["total"], key
    assert set(result["by_branch"]) == set(committee.branches.values_list("name", flat=True))


def test_roster_defaults_to_today_and_prints_chinese_json(demo_output):
    out = StringIO()
    call_command("roster", "--format", "json", stdout=out)
    text = out.getvalue()
    assert json.loads(text)["as_of"] == timezone.localdate().isoformat()
    assert "东部片区支部" in text  # ensure_ascii=False: no \\u escapes


def _single_event_on_its_day(kind):
    """An event of ``kind`` that is the only event of the whole ledger on its date."""
    busy = (FlowEvent.objects.values("effective_date").annotate(n=Count("id")).filter(n__gt=1)
            .values_list("effective_date", flat=True))
    event = (FlowEvent.objects.filter(kind=kind).exclude(effective_date__in=list(busy))
             .select_related("member", "branch_after").order_by("effective_date", "id").first())
    assert event is not None, f"no {kind} event alone on its day"
    before = (FlowEvent.objects.filter(member=event.member, effective_date__lt=event.effective_date)
              .order_by("-effective_date", "-id").first())
    return event, before


def test_roster_before_and_after_an_outflow(demo_output):
    event, before = _single_event_on_its_day(EventKind.LEFT_BEIJING)
    day = event.effective_date
    on_eve = roster_json(day - datetime.timedelta(days=1))
    on_day = roster_json(day)
    away, was = labels(Status.OUTFLOW), labels(Status(before.status_after))
    assert on_day["total"] == on_eve["total"]  # away from Beijing is still on the roster
    assert on_day["by_status"].get(away, 0) == on_eve["by_status"].get(away, 0) + 1
    assert on_day["by_status"].get(was, 0) == on_eve["by_status"][was] - 1
    assert on_day["by_branch"] == on_eve["by_branch"]


def test_roster_before_and_after_a_transfer_out(demo_output):
    event, before = _single_event_on_its_day(EventKind.TRANSFERRED_OUT)
    day = event.effective_date
    on_eve = roster_json(day - datetime.timedelta(days=1))
    on_day = roster_json(day)
    branch = event.branch_after.name
    category = labels(Category(event.member.category))
    assert on_day["total"] == on_eve["total"] - 1
    assert on_day["by_branch"].get(branch, 0) == on_eve["by_branch"][branch] - 1
    assert on_day["by_category"].get(category, 0) == on_eve["by_category"][category] - 1
    assert sum(on_day["by_branch"].values()) == on_day["total"]


def test_roster_counts_a_member_in_the_branch_of_that_day(demo_output):
    event, _before = _single_event_on_its_day(EventKind.MOVED_BRANCH)
    day = event.effective_date
    on_eve = roster_counts(None, day - datetime.timedelta(days=1))
    on_day = roster_counts(None, day)
    assert on_day["total"] == on_eve["total"]
    assert on_day["by_branch"][event.branch_after.name] == on_eve["by_branch"].get(event.branch_after.name, 0) + 1
    assert on_day["by_branch"][event.from_branch.name] == on_eve["by_branch"][event.from_branch.name] - 1


@pytest.mark.parametrize("bad", ["2021-13-01", "20210101", "2021/01/01", "yesterday", ""])
def test_roster_refuses_a_bad_date(demo_output, bad):
    with pytest.raises(CommandError) as exc:
        call_command("roster", "--as-of", bad, stdout=StringIO())
    assert bad in str(exc.value) or "YYYY-MM-DD" in str(exc.value)


def test_roster_text_format(committee):
    out = StringIO()
    call_command("roster", "--as-of", "2020-06-30", "--format", "text", stdout=out)
    text = out.getvalue()
    total = roster_counts(None, datetime.date(2020, 6, 30))["total"]
    assert "2020-06-30" in text and str(total) in text
    for name in committee.branches.values_list("name", flat=True):
        assert name in text


# --- organisation services (used by the demo) ---------------------------------------------------


def test_committee_create_makes_branches_and_districts():
    committee = committee_create(actor=None, name="测试在京流动党员党委", founded_on=datetime.date(2019, 1, 1))
    assert list(committee.branches.values_list("code", "name")) == [
        ("east", "东部片区支部"), ("central", "中部片区支部"), ("west", "西部片区支部")]
    chaoyang = District.objects.get(committee=committee, name="朝阳区")
    assert suggest_branch(chaoyang).code == "east"
    assert suggest_branch(None) is None
    assert District.objects.get(committee=committee, name="丰台区").branch.code == "west"
    assert AuditEntry.objects.filter(action="committee.create", object_id=str(committee.pk)).exists()
    with pytest.raises(ValidationError):
        committee_create(actor=None, name="测试在京流动党员党委", founded_on=datetime.date(2019, 1, 1))


def test_district_set_branch_stays_inside_the_committee(committee):
    other = committee_create(actor=None, name="另一个流动党员党委", founded_on=datetime.date(2019, 1, 1))
    district = District.objects.get(committee=committee, name="大兴区")
    with pytest.raises(ValidationError):
        district_set_branch(actor=None, district=district, branch=Branch.objects.get(committee=other, code="east"))
    shuji = User.objects.get(username="shuji")
    central = committee.branches.get(code="central")
    district_set_branch(actor=shuji, district=district, branch=central)
    district.refresh_from_db()
    assert suggest_branch(district) == central
    entry = AuditEntry.objects.filter(action="district.set_branch", object_id=str(district.pk)).first()
    assert entry.new_values == {"branch": central.pk} and entry.actor_username == "shuji"


def test_party_group_create_refuses_duplicates_and_outsiders(committee):
    east = committee.branches.get(code="east")
    group = party_group_create(actor=User.objects.get(username="shuji"), branch=east, name="望京党小组")
    assert PartyGroup.objects.filter(pk=group.pk, branch=east).exists()
    with pytest.raises(ValidationError):
        party_group_create(actor=None, branch=east, name=" 望京党小组 ")
    with pytest.raises(PermissionDenied):  # the audit admin does not manage the organisation
        party_group_create(actor=User.objects.get(username="shenji"), branch=east, name="新党小组")


def test_the_demo_donation_campaign_tells_the_seed(committee):
    """1.6万余元 by the deadline, and one member's 3000 元 after it (issue 12 demo)."""
    from taizhang.finance.models import Campaign
    from taizhang.finance.selectors import campaign_totals

    out = StringIO()
    call_command("load_demo_finance", stdout=out)
    campaign = Campaign.objects.get(committee=committee)
    totals = campaign_totals(campaign)
    assert totals.late == 1 and totals.late_fen == 300_000
    assert 1_600_000 < totals.total_fen - totals.late_fen < 1_700_000
    assert totals.handed_fen == totals.total_fen
    call_command("load_demo_finance", stdout=out)  # idempotent
    assert Campaign.objects.filter(committee=committee).count() == 1
