"""Who sees and changes which members: the fixed cast (conftest.py) against the selectors and services."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from taizhang.core.models import AuditEntry
from taizhang.core.permissions import EDIT, REVEAL, VIEW, has_capability
from taizhang.members.models import EventKind, Member
from taizhang.members.selectors import member_get, member_queryset, recent_events, roster_counts
from taizhang.members.services import (
    flow_correct_latest,
    flow_record_event,
    member_register,
    member_reveal,
    member_update,
    note_add,
)
from taizhang.members.tests.factories import REGISTERED_ON, member_data, update_data

pytestmark = pytest.mark.django_db

CAST = ["admin", "east_secretary", "west_secretary", "study", "plain_member", "outsider", "auditor", "sysadmin", "secadmin"]

# who -> purpose -> which members (by group name in the cast)
EXPECTED = {
    "admin": {VIEW: "all", EDIT: "all", REVEAL: "all"},
    "east_secretary": {VIEW: "east", EDIT: "east", REVEAL: "east"},
    "west_secretary": {VIEW: "west", EDIT: "west", REVEAL: "west"},
    "study": {VIEW: "all", EDIT: "none", REVEAL: "none"},
    "plain_member": {VIEW: "me", EDIT: "none", REVEAL: "me"},
    "outsider": {VIEW: "none", EDIT: "none", REVEAL: "none"},
    "auditor": {VIEW: "none", EDIT: "none", REVEAL: "none"},
    "sysadmin": {VIEW: "none", EDIT: "none", REVEAL: "none"},
    "secadmin": {VIEW: "none", EDIT: "none", REVEAL: "none"},
}


def group(cast, name) -> set:
    return {
        "all": {m.pk for m in cast.members},
        "east": {m.pk for m in cast.east_members},
        "west": {m.pk for m in cast.west_members},
        "me": {cast.me.pk},
        "none": set(),
    }[name]


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("purpose", [VIEW, EDIT, REVEAL])
def test_member_queryset_returns_exactly_the_members_in_scope(cast, who, purpose):
    user = getattr(cast, who)
    got = set(member_queryset(user, purpose).values_list("pk", flat=True))
    assert got == group(cast, EXPECTED[who][purpose])


def test_member_queryset_carries_the_current_status(cast):
    assert {m.status for m in member_queryset(cast.admin)} == {"active"}


@pytest.mark.parametrize("who", CAST)
def test_member_get_matches_the_matrix_and_logs_each_denial(cast, who):
    user = getattr(cast, who)
    visible = group(cast, EXPECTED[who][VIEW])
    for member in cast.members:
        if member.pk in visible:
            assert member_get(user, member.pk) == member
        else:
            with pytest.raises(Http404):
                member_get(user, member.pk)
    denials = AuditEntry.objects.filter(action="member.access_denied", actor_username=who)
    assert denials.count() == len(cast.members) - len(visible)
    assert all(not e.success for e in denials)


def test_another_branchs_member_is_not_found_and_the_attempt_is_logged(cast):
    east_member = cast.east_members[1]
    with pytest.raises(Http404):
        member_get(cast.west_secretary, east_member.pk)
    entry = AuditEntry.objects.get(action="member.access_denied")
    assert entry.actor == cast.west_secretary
    assert (entry.object_type, entry.object_id, entry.success) == ("members.member", str(east_member.pk), False)
    assert entry.message == VIEW


def test_edit_purpose_denial_is_logged_with_the_purpose(cast):
    with pytest.raises(Http404):
        member_get(cast.study, cast.me.pk, EDIT)
    assert AuditEntry.objects.get(action="member.access_denied").message == EDIT


def test_a_member_that_does_not_exist_is_not_found_without_a_log_entry(cast):
    with pytest.raises(Http404):
        member_get(cast.admin, 10**9)
    assert not AuditEntry.objects.filter(action="member.access_denied").exists()


def test_anonymous_and_inactive_users_see_nobody(cast):
    assert not member_queryset(AnonymousUser()).exists()
    cast.admin.is_active = False
    cast.admin.save()
    cast.admin.__dict__.pop("_taizhang_roles", None)
    assert not member_queryset(cast.admin).exists()


def test_moving_a_member_moves_who_may_see_them(cast):
    member = cast.east_members[2]
    flow_record_event(
        actor=cast.east_secretary,
        member=member,
        kind=EventKind.MOVED_BRANCH,
        effective_date=datetime.date(2020, 1, 1),
        to_branch=cast.west,
    )
    assert not member_queryset(cast.east_secretary).filter(pk=member.pk).exists()
    assert member_queryset(cast.west_secretary).filter(pk=member.pk).exists()


# --- services refuse people outside the actor's scope --------------------------------------------


def test_west_secretary_cannot_update_an_east_member(cast):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        member_update(
            actor=cast.west_secretary,
            member=member,
            expected_version=member.version,
            data=update_data(member, name="被改了"),
        )
    assert Member.objects.get(pk=member.pk).name == member.name


def test_west_secretary_cannot_record_an_event_for_an_east_member(cast):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        flow_record_event(
            actor=cast.west_secretary,
            member=member,
            kind=EventKind.LEFT_BEIJING,
            effective_date=datetime.date(2020, 1, 1),
        )
    assert member.events.count() == 1


def test_west_secretary_cannot_move_an_east_member_into_west(cast):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        flow_record_event(
            actor=cast.west_secretary,
            member=member,
            kind=EventKind.MOVED_BRANCH,
            effective_date=datetime.date(2020, 1, 1),
            to_branch=cast.west,
        )
    assert Member.objects.get(pk=member.pk).branch == cast.east


def test_west_secretary_cannot_correct_an_east_members_event(cast):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        flow_correct_latest(actor=cast.west_secretary, member=member, event=member.events.get(), reason="x")


def test_west_secretary_cannot_add_a_note_to_an_east_member(cast):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        note_add(actor=cast.west_secretary, member=member, noted_on=datetime.date(2020, 1, 1), text="乱写")
    assert not member.notes.exists()


def test_east_secretary_adds_a_note_to_an_east_member(cast):
    member = cast.east_members[1]
    note = note_add(actor=cast.east_secretary, member=member, noted_on=datetime.date(2020, 1, 1), text=" 书画爱好者 ")
    assert note.text == "书画爱好者" and note.author == cast.east_secretary
    assert AuditEntry.objects.filter(action="member.note_add", object_id=str(member.pk)).exists()


def test_west_secretary_cannot_register_a_member_in_east(cast):
    count = Member.objects.count()
    with pytest.raises(PermissionDenied):
        member_register(actor=cast.west_secretary, data=member_data(cast.east), registered_on=REGISTERED_ON)
    assert Member.objects.count() == count


@pytest.mark.parametrize("who", ["study", "plain_member", "outsider", "auditor", "sysadmin", "secadmin"])
def test_people_without_edit_rights_cannot_register_or_change_anyone(cast, who):
    user = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        member_register(actor=user, data=member_data(cast.east), registered_on=REGISTERED_ON)
    member = cast.me  # includes the plain member's own record
    with pytest.raises(PermissionDenied):
        member_update(actor=user, member=member, expected_version=member.version, data=update_data(member, name="改"))
    with pytest.raises(PermissionDenied):
        flow_record_event(actor=user, member=member, kind=EventKind.CONTACTED, effective_date=datetime.date(2020, 1, 1))
    with pytest.raises(PermissionDenied):
        note_add(actor=user, member=member, noted_on=datetime.date(2020, 1, 1), text="x")


# --- revealing full personal numbers -------------------------------------------------------------


def test_reveal_returns_the_full_number_and_logs_it(cast):
    member = cast.east_members[1]
    assert (
        member_reveal(actor=cast.east_secretary, member_id=member.pk, field="id_number", ip_address="10.0.0.8")
        == member.id_number
    )
    assert member_reveal(actor=cast.admin, member_id=member.pk, field="phone") == member.phone
    entries = AuditEntry.objects.filter(action="member.reveal", object_id=str(member.pk), success=True)
    assert [(e.actor_username, e.new_values["field"]) for e in entries.order_by("id")] == [
        ("east_secretary", "id_number"),
        ("admin", "phone"),
    ]
    assert entries.order_by("id").first().ip_address == "10.0.0.8"


def test_plain_member_may_reveal_their_own_numbers_only(cast):
    assert member_reveal(actor=cast.plain_member, member_id=cast.me.pk, field="phone") == cast.me.phone
    with pytest.raises(PermissionDenied):
        member_reveal(actor=cast.plain_member, member_id=cast.east_members[1].pk, field="phone")


@pytest.mark.parametrize(
    ("who", "field"),
    [
        ("west_secretary", "id_number"),
        ("study", "phone"),
        ("outsider", "phone"),
        ("auditor", "id_number"),
        ("admin", "name"),
    ],
)
def test_refused_reveal_is_logged_as_a_failure(cast, who, field):
    member = cast.east_members[1]
    with pytest.raises(PermissionDenied):
        member_reveal(actor=getattr(cast, who), member_id=member.pk, field=field)
    entry = AuditEntry.objects.get(action="member.reveal")
    assert (entry.actor_username, entry.object_id, entry.success) == (who, str(member.pk), False)
    assert field in entry.message
    assert member.id_number not in entry.message + str(entry.new_values)


def test_reveal_of_a_member_that_does_not_exist_is_refused_and_logged(cast):
    with pytest.raises(PermissionDenied):
        member_reveal(actor=cast.admin, member_id=10**9, field="phone")
    assert AuditEntry.objects.filter(action="member.reveal", success=False, object_id=str(10**9)).exists()


# --- counts and lists ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "total", "branches"),
    [
        ("admin", 6, {"east": 3, "west": 2, "central": 1}),
        ("study", 6, {"east": 3, "west": 2, "central": 1}),
        ("east_secretary", 3, {"east": 3}),
        ("west_secretary", 2, {"west": 2}),
        ("plain_member", 1, {"east": 1}),
        ("outsider", 0, {}),
        ("auditor", 0, {}),
        ("sysadmin", 0, {}),
    ],
)
def test_roster_counts_are_limited_to_the_users_scope(cast, who, total, branches):
    result = roster_counts(getattr(cast, who))
    assert result["total"] == total
    assert result["by_branch"] == {getattr(cast, code).name: n for code, n in branches.items()}


def test_recent_events_are_limited_to_the_users_scope(cast):
    def members_in(who):
        return {e.member_id for e in recent_events(getattr(cast, who), limit=50)}

    assert members_in("admin") == group(cast, "all")
    assert members_in("east_secretary") == group(cast, "east")
    assert members_in("west_secretary") == group(cast, "west")
    assert members_in("plain_member") == group(cast, "me")
    assert members_in("outsider") == set()


# --- capabilities that are not about a person ----------------------------------------------------


@pytest.mark.parametrize(
    ("capability", "holders"),
    [
        ("audit.view", {"auditor"}),
        ("users.manage", {"sysadmin"}),
        ("organisation.manage", {"sysadmin", "admin"}),
        ("ledger.use", {"admin", "east_secretary", "west_secretary", "study"}),
        ("member.create", {"admin", "east_secretary", "west_secretary"}),
    ],
)
def test_capabilities_by_role(cast, capability, holders):
    assert {who for who in CAST if has_capability(getattr(cast, who), capability)} == holders


@pytest.mark.parametrize("purpose", [VIEW, EDIT, REVEAL])
def test_allows_agrees_with_restrict_for_every_cast_member(cast, purpose):
    from taizhang.core.permissions import allows, restrict

    users = [cast.admin, cast.east_secretary, cast.west_secretary, cast.study, cast.plain_member, cast.outsider,
             cast.auditor, cast.sysadmin]
    members = Member.objects.all()
    for user in users:
        kept = set(restrict(members, user, purpose).values_list("pk", flat=True))
        for m in members:
            assert allows(user, purpose, committee_id=m.committee_id, branch_id=m.branch_id,
                          member_user_id=m.user_id) == (m.pk in kept), (user, m, purpose)
