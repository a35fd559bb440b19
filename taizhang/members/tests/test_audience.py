"""The audience module (``members.audience``): the check of a choice (Chinese messages at the right field),
who is in an audience on a day for each kind (a member who moved branch counts for the branch of that
day), the keys the 应到 reading matches with, and the label."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from taizhang.activities.models import Activity, StudyItem
from taizhang.activities.selectors import expected_pairs_rows
from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.members import audience
from taizhang.members.audience import AudienceKind, clean_audience
from taizhang.members.models import EventKind, Member
from taizhang.members.services import flow_record_event
from taizhang.members.tests.factories import make_committee
from taizhang.organisation.models import PartyGroup
from taizhang.organisation.services import party_group_create

pytestmark = pytest.mark.django_db

BEFORE = datetime.date(2024, 6, 15)  # the mover is still in the east branch
AFTER = datetime.date(2026, 6, 13)  # the mover is in the west branch, the leaver has left
MOVED_ON = datetime.date(2025, 1, 1)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def errors_of(**kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        clean_audience(**kwargs)
    return exc.value.message_dict


# --- the check --------------------------------------------------------------------------------------------


def test_each_missing_or_wrong_choice_is_named_at_its_field_in_chinese(cast):
    base = {"actor": cast.admin, "committee": cast.committee, "kinds": Activity.AUDIENCE_KINDS}
    assert errors_of(**base, kind="everyone") == {"audience_kind": ["请选择面向范围。"]}
    assert errors_of(**base, kind=AudienceKind.BRANCH) == {"audience_branch": ["请选择面向的党支部。"]}
    assert errors_of(**base, kind=AudienceKind.PARTY_GROUP) == {"audience_group": ["请选择面向的党小组。"]}
    assert errors_of(**base, kind=AudienceKind.PICKED) == {"picked_members": ["请至少选择一名党员。"]}

    other = make_committee(name="另一个党委")
    assert errors_of(**base, kind=AudienceKind.BRANCH, branch=other.east) == {
        "audience_branch": ["该党支部属于其他党委。"]}
    foreign_group = PartyGroup.objects.create(branch=other.east, name="外党委党小组")
    assert errors_of(**base, kind=AudienceKind.PARTY_GROUP, group=foreign_group) == {
        "audience_group": ["该党小组属于其他党委。"]}


def test_a_study_item_offers_no_picked_members(cast):
    errors = errors_of(actor=cast.study, committee=cast.committee, kind=AudienceKind.PICKED,
                       picked=[cast.me], kinds=StudyItem.AUDIENCE_KINDS)
    assert errors == {"audience_kind": ["请选择面向范围。"]}
    assert AudienceKind.PICKED in Activity.AUDIENCE_KINDS


def test_a_branch_organiser_only_targets_its_own_branch_and_members_in_scope(cast):
    base = {"actor": cast.east_secretary, "committee": cast.committee, "organiser_branch": cast.east,
            "kinds": Activity.AUDIENCE_KINDS}
    assert "audience_kind" in errors_of(**base, kind=AudienceKind.COMMITTEE)
    assert errors_of(**base, kind=AudienceKind.BRANCH, branch=cast.west) == {
        "audience_branch": ["党支部只能为本支部党员组织活动。"]}
    west_group = party_group_create(actor=cast.admin, branch=cast.west, name="西部党小组")
    assert errors_of(**base, kind=AudienceKind.PARTY_GROUP, group=west_group) == {
        "audience_group": ["该党小组属于其他党支部。"]}
    errors = errors_of(**base, kind=AudienceKind.PICKED, picked=[cast.east_members[1], cast.west_members[0]])
    assert list(errors) == ["picked_members"] and "赵丽华" in errors["picked_members"][0]
    assert "李秀英" not in errors["picked_members"][0]
    # What the kind does not use is dropped; a valid choice comes back.
    assert clean_audience(**base, kind=AudienceKind.PICKED, branch=cast.east, picked=[cast.me]) == (
        None, None, [cast.me])
    assert clean_audience(**base, kind=AudienceKind.BRANCH, branch=cast.east, picked=[cast.me]) == (
        cast.east, None, [])


def test_the_model_clean_checks_the_fields_together(cast):
    item = StudyItem(committee=cast.committee, title="学习", audience_kind=AudienceKind.BRANCH)
    with pytest.raises(ValidationError) as exc:
        item.clean()
    assert exc.value.message_dict == {"audience_branch": ["请选择面向的党支部。"]}
    item.audience_kind = AudienceKind.PICKED
    with pytest.raises(ValidationError) as exc:
        item.clean()
    assert exc.value.message_dict == {"audience_kind": ["请选择面向范围。"]}
    item.audience_kind, item.audience_branch = AudienceKind.BRANCH, cast.west
    item.clean()


# --- who is in it on a day --------------------------------------------------------------------------------


@pytest.fixture
def history(cast):
    """张伟明 and 王建国 are in the east branch's party group; 王建国 moves to the west branch on 2025-01-01
    (and so leaves the group); 陈刚 (west) transfers out on 2025-03-01."""
    mover, leaver = cast.east_members[2], cast.west_members[1]
    group = party_group_create(actor=cast.admin, branch=cast.east, name="朝阳党小组")
    Member.objects.filter(pk__in=[cast.me.pk, mover.pk]).update(party_group=group)
    flow_record_event(actor=cast.admin, member=mover, kind=EventKind.MOVED_BRANCH, effective_date=MOVED_ON,
                      to_branch=cast.west, reason="搬家")
    flow_record_event(actor=cast.admin, member=leaver, kind=EventKind.TRANSFERRED_OUT,
                      effective_date=datetime.date(2025, 3, 1), reason="组织关系转回青岛")
    return mover, leaver, group


def names(obj, day) -> set:
    return set(audience.members_on(obj, day).values_list("name", flat=True))


def test_who_is_in_each_kind_of_audience_on_a_day(cast, history):
    mover, leaver, group = history
    everyone = {m.name for m in cast.members}

    committee = StudyItem(committee=cast.committee, audience_kind=AudienceKind.COMMITTEE)
    assert names(committee, BEFORE) == everyone
    assert names(committee, AFTER) == everyone - {"陈刚"}

    east = StudyItem(committee=cast.committee, audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    west = StudyItem(committee=cast.committee, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    assert names(east, BEFORE) == {"张伟明", "李秀英", "王建国"}
    assert names(east, AFTER) == {"张伟明", "李秀英"}
    assert names(west, BEFORE) == {"赵丽华", "陈刚"}
    assert names(west, AFTER) == {"赵丽华", "王建国"}
    assert names(east, None) == names(east, AFTER)  # None: today

    # A party group: its members (groups have no history: the current group, so the mover, who left
    # the group when he moved, is not in it on either day) while they are in the group's branch.
    in_group = StudyItem(committee=cast.committee, audience_kind=AudienceKind.PARTY_GROUP, audience_group=group)
    assert names(in_group, BEFORE) == names(in_group, AFTER) == {"张伟明"}
    Member.objects.filter(pk=mover.pk).update(party_group=group)  # a group member now in another branch
    assert names(in_group, BEFORE) == {"张伟明", "王建国"}
    assert names(in_group, AFTER) == {"张伟明"}

    # Picked: the picks who are on the roster that day, whatever their branch.
    seed_types(cast)
    picked = make_activity(cast.admin, cast.committee, day=AFTER, audience_kind=AudienceKind.PICKED,
                           picked_members=[mover, leaver])
    assert names(picked, BEFORE) == {"王建国", "陈刚"}
    assert names(picked, AFTER) == {"王建国"}

    # With a user: only the members that user may see (the mover is west's now).
    assert set(audience.members_on(west, BEFORE, user=cast.west_secretary).values_list("name", flat=True)) == {
        "赵丽华", "陈刚"}
    assert set(audience.members_on(east, BEFORE, user=cast.west_secretary).values_list("name", flat=True)) == {
        "王建国"}


def test_the_keys_and_the_spells_agree_with_the_queryset(cast, history):
    """The reading of many activities at once (roster spells matched by audience key) gives the same
    members, with the branch of the day, as ``members_on`` for each kind."""
    mover, leaver, group = history
    seed_types(cast)
    audiences = [
        {"audience_kind": AudienceKind.COMMITTEE},
        {"audience_kind": AudienceKind.BRANCH, "audience_branch": cast.east},
        {"audience_kind": AudienceKind.BRANCH, "audience_branch": cast.west},
        {"audience_kind": AudienceKind.PARTY_GROUP, "audience_group": group},
        {"audience_kind": AudienceKind.PICKED, "picked_members": [mover, leaver]},
    ]
    activities = [make_activity(cast.admin, cast.committee, day=day, title=f"活动{i}", **kw)
                  for day in (BEFORE, AFTER) for i, kw in enumerate(audiences)]
    rows = expected_pairs_rows(activities, None)
    for activity in activities:
        assert {m for a, m, _b in rows if a == activity.pk} == set(
            audience.members_on(activity, activity.date).values_list("pk", flat=True)), activity.title
    mover_branch = {Activity.objects.get(pk=a).date: b for a, m, b in rows if m == mover.pk}
    assert mover_branch == {BEFORE: cast.east.pk, AFTER: cast.west.pk}

    east = StudyItem(committee=cast.committee, audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    in_group = StudyItem(committee=cast.committee, audience_kind=AudienceKind.PARTY_GROUP, audience_group=group)
    assert audience.audience_key(east) in audience.member_keys(cast.committee.pk, cast.east.pk, None, mover.pk)
    assert audience.audience_key(east) not in audience.member_keys(cast.committee.pk, cast.west.pk, None, mover.pk)
    assert audience.audience_key(in_group, cast.east.pk) in audience.member_keys(
        cast.committee.pk, cast.east.pk, group.pk, mover.pk)
    assert audience.audience_key(in_group, cast.east.pk) not in audience.member_keys(
        cast.committee.pk, cast.west.pk, group.pk, mover.pk)


def test_the_scoping_q_follows_the_member_as_they_are_now(cast, history):
    mover, _leaver, group = history
    mover.refresh_from_db()
    cast.me.refresh_from_db()
    make = StudyItem.objects.create
    common = {"committee": cast.committee, "title": "学习", "body": "正文", "published_by": cast.study}
    for_all = make(**common, audience_kind=AudienceKind.COMMITTEE)
    for_east = make(**common, audience_kind=AudienceKind.BRANCH, audience_branch=cast.east)
    for_west = make(**common, audience_kind=AudienceKind.BRANCH, audience_branch=cast.west)
    for_group = make(**common, audience_kind=AudienceKind.PARTY_GROUP, audience_group=group)

    def reached(member):
        return set(StudyItem.objects.filter(audience.for_member_q(StudyItem, member)).values_list("pk", flat=True))

    assert reached(mover) == {for_all.pk, for_west.pk}
    assert reached(cast.me) == {for_all.pk, for_east.pk, for_group.pk}
    by_branch = set(StudyItem.objects.filter(audience.for_branches_q(StudyItem, [cast.east.pk]))
                    .values_list("pk", flat=True))
    assert by_branch == {for_east.pk, for_group.pk}


# --- the label --------------------------------------------------------------------------------------------


def test_the_label(cast, history):
    _mover, _leaver, group = history
    assert StudyItem(committee=cast.committee).audience_label == "整个党委"
    assert StudyItem(committee=cast.committee, audience_kind=AudienceKind.BRANCH,
                     audience_branch=cast.east).audience_label == cast.east.name
    assert StudyItem(committee=cast.committee, audience_kind=AudienceKind.PARTY_GROUP,
                     audience_group=group).audience_label == "朝阳党小组"
    seed_types(cast)
    picked = make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.PICKED,
                           picked_members=cast.west_members)
    assert picked.audience_label == "指定党员2人"
    picked.n_picked = 5  # a list's annotation is used instead of a count
    assert picked.audience_label == "指定党员5人"


def test_a_picked_activity_is_a_branchs_when_one_of_its_picks_is_now_in_it(cast, history):
    mover, _leaver, _group = history  # now in the west branch
    seed_types(cast)
    east_picks = make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.PICKED,
                               picked_members=[cast.me], title="东部指定")
    west_picks = make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.PICKED,
                               picked_members=[mover], title="西部指定")
    branch_kind = make_activity(cast.admin, cast.committee, audience_kind=AudienceKind.BRANCH,
                                audience_branch=cast.central, title="中部")

    def of(branch):
        return set(Activity.objects.filter(audience.for_branches_q(Activity, [branch.pk])).values_list("pk", flat=True))

    assert of(cast.east) == {east_picks.pk}
    assert of(cast.west) == {west_picks.pk}
    assert of(cast.central) == {branch_kind.pk}
