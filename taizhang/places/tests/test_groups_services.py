"""Interest groups and contests (issue 13, groups area): membership history, scoping with the fixed cast,
contest entries against the audience, judges' scores and ties, the organisers' ranking, awards."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.places import groups_selectors as selectors
from taizhang.places import groups_services as services
from taizhang.places.models import ContestEntry, ContestMode, EntryFile, GroupMembership

D = datetime.date


@pytest.fixture
def group(cast):
    return services.group_create(actor=cast.admin, committee=cast.committee, name="书画", description="以书会友",
                                 leader=cast.east_members[1])


@pytest.fixture
def contest_activity(cast):
    seed_types(cast)
    return make_activity(cast.admin, cast.committee, type_name="书法比赛/笔会", title="书法比赛（2026年）")


def _messages(exc) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


# --- groups and memberships ----------------------------------------------------------------------------------


def test_join_leave_and_rejoin_keep_the_history(cast, group):
    li = cast.members_by_name["李秀英"]
    services.membership_add(actor=cast.admin, group=group, member=li, joined_on=D(2024, 1, 1), note="书协会员")
    with pytest.raises(ValidationError) as exc:
        services.membership_add(actor=cast.admin, group=group, member=li, joined_on=D(2024, 2, 1))
    assert "李秀英" in _messages(exc) and "书画" in _messages(exc)
    with pytest.raises(ValidationError) as exc:
        services.membership_end(actor=cast.admin, group=group, member=li, left_on=D(2023, 12, 1))
    assert "left_on" in exc.value.message_dict
    services.membership_end(actor=cast.admin, group=group, member=li, left_on=D(2024, 6, 1))
    assert selectors.summary_counts(cast.committee) == {"groups": {"书画": 0}}
    with pytest.raises(ValidationError) as exc:  # cannot rejoin before the day they left
        services.membership_add(actor=cast.admin, group=group, member=li, joined_on=D(2024, 5, 1))
    assert "2024-06-01" in _messages(exc)
    services.membership_add(actor=cast.admin, group=group, member=li, joined_on=D(2025, 3, 1))
    spells = list(GroupMembership.objects.filter(member=li).order_by("joined_on").values_list("joined_on", "left_on"))
    assert spells == [(D(2024, 1, 1), D(2024, 6, 1)), (D(2025, 3, 1), None)]
    assert selectors.summary_counts(cast.committee) == {"groups": {"书画": 1}}
    actions = list(AuditEntry.objects.filter(action__startswith="group.").values_list("action", flat=True))
    assert actions.count("group.join") == 2 and actions.count("group.leave") == 1


def test_a_member_joins_and_leaves_themselves(cast, group):
    services.group_join_self(actor=cast.plain_member, group=group)
    assert selectors.own_membership(group, cast.plain_member).member == cast.me
    with pytest.raises(ValidationError):
        services.group_join_self(actor=cast.plain_member, group=group)
    services.group_leave_self(actor=cast.plain_member, group=group)
    assert selectors.own_membership(group, cast.plain_member) is None
    assert GroupMembership.objects.filter(member=cast.me).count() == 1  # the row stays, with its day of leaving
    with pytest.raises(PermissionDenied):
        services.group_join_self(actor=cast.outsider, group=group)
    assert AuditEntry.objects.filter(actor=cast.plain_member, action="group.join").exists()


@pytest.mark.parametrize("who, may", [("admin", True), ("east_secretary", False), ("west_secretary", False),
                                      ("study", False), ("plain_member", False), ("outsider", False)])
def test_who_may_create_a_group(cast, who, may):
    if may:
        services.group_create(actor=getattr(cast, who), committee=cast.committee, name="摄影")
    else:
        with pytest.raises(PermissionDenied):
            services.group_create(actor=getattr(cast, who), committee=cast.committee, name="摄影")


@pytest.mark.parametrize("who, east, west", [("admin", True, True), ("east_secretary", True, False),
                                             ("west_secretary", False, True), ("study", False, False),
                                             ("plain_member", False, False), ("outsider", False, False)])
def test_memberships_are_managed_in_scope(cast, group, who, east, west):
    actor = getattr(cast, who)
    for member, allowed in ((cast.east_members[2], east), (cast.west_members[0], west)):
        if allowed:
            services.membership_add(actor=actor, group=group, member=member)
        else:
            with pytest.raises(PermissionDenied):
                services.membership_add(actor=actor, group=group, member=member)


def test_member_list_shows_only_who_the_viewer_may_see(cast, group):
    for member in cast.members:
        services.membership_add(actor=cast.admin, group=group, member=member, joined_on=D(2025, 1, 1))

    def names(user):
        return {m.member.name for m in selectors.current_members(group, user)}

    assert names(cast.admin) == {m.name for m in cast.members}
    assert names(cast.east_secretary) == {m.name for m in cast.east_members}
    assert names(cast.west_secretary) == {m.name for m in cast.west_members}
    assert names(cast.plain_member) == {"张伟明"}
    assert names(cast.outsider) == set()
    assert selectors.group_get(cast.outsider, group.pk) is None
    assert selectors.group_get(cast.plain_member, group.pk) is not None


def test_bad_group_input_names_the_field(cast, group):
    with pytest.raises(ValidationError) as exc:
        services.group_create(actor=cast.admin, committee=cast.committee, name="书画")
    assert "书画" in exc.value.message_dict["name"][0]
    with pytest.raises(ValidationError) as exc:
        services.group_create(actor=cast.admin, committee=cast.committee, name="  ")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.membership_add(actor=cast.admin, group=group, member=cast.me, joined_on=D(2999, 1, 1))
    assert "joined_on" in exc.value.message_dict
    assert not GroupMembership.objects.exists()


def test_group_activity_link_and_panel(cast, group, contest_activity):
    services.group_activity_link(actor=cast.admin, group=group, activity=contest_activity)
    with pytest.raises(ValidationError) as exc:
        services.group_activity_link(actor=cast.admin, group=group, activity=contest_activity)
    assert "书画" in _messages(exc)
    assert list(selectors.group_activities(group, cast.admin)) == [contest_activity]
    assert selectors.activity_panel(activity=contest_activity, user=cast.admin)["group"] == group
    with pytest.raises(PermissionDenied):
        services.group_activity_link(actor=cast.east_secretary, group=group, activity=contest_activity)


# --- contests -------------------------------------------------------------------------------------------------


def _png(name="work.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")


def test_an_entry_outside_the_audience_is_refused(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="书法比赛/笔会", title="西部书法比赛",
                             audience_kind="branch", audience_branch=cast.west)
    contest = services.contest_create(actor=cast.admin, activity=activity)
    with pytest.raises(ValidationError) as exc:
        services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="沁园春·雪")
    assert "张伟明" in exc.value.message_dict["member"][0]
    assert not ContestEntry.objects.exists()
    services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.west_members[0], title="沁园春·雪")


def test_entry_files_are_checked(cast, contest_activity):
    contest = services.contest_create(actor=cast.admin, activity=contest_activity)
    entry = services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="厚德载物",
                                       files=[_png()])
    assert EntryFile.objects.get(entry=entry).original_name == "work.png"
    fake = SimpleUploadedFile("virus.png", b"MZ" + b"\x00" * 64, content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="宁静致远", files=[fake])
    assert "virus.png" in _messages(exc)
    assert ContestEntry.objects.count() == 1


def test_entries_are_added_in_scope(cast, contest_activity):
    contest = services.contest_create(actor=cast.admin, activity=contest_activity)
    with pytest.raises(PermissionDenied):
        services.contest_entry_add(actor=cast.plain_member, contest=contest, member=cast.me, title="x")
    with pytest.raises(PermissionDenied):  # the east secretary does not manage a committee activity
        services.contest_entry_add(actor=cast.east_secretary, contest=contest, member=cast.me, title="x")


def _scored_contest(cast, activity, scores):
    """scores: {member name: [score per judge]}; judges are admin and study."""
    contest = services.contest_create(actor=cast.admin, activity=activity)
    judges = [cast.admin, cast.study]
    for user in judges:
        services.contest_judge_add(actor=cast.admin, contest=contest, user=user)
    entries = {}
    for name, marks in scores.items():
        entries[name] = services.contest_entry_add(actor=cast.admin, contest=contest,
                                                   member=cast.members_by_name[name], title=f"{name}的作品")
        for judge, mark in zip(judges, marks, strict=False):
            services.entry_score(actor=judge, entry=entries[name], score=mark)
    return contest, entries


def test_judges_scores_mean_and_ties(cast, contest_activity):
    contest, entries = _scored_contest(cast, contest_activity, {
        "张伟明": [90, 81], "李秀英": [86, 85], "王建国": [100, 70], "赵丽华": [99, 100], "陈刚": [], "刘洋": [60]})
    rows = selectors.contest_results(contest)
    got = [(r.entry.member.name, r.place, r.mean, r.scores) for r in rows]
    assert got[0] == ("赵丽华", 1, Decimal("99.50"), 2)
    assert {g[0] for g in got[1:3]} == {"张伟明", "李秀英"}
    assert all(g[1] == 2 and g[2] == Decimal("85.50") for g in got[1:3])  # a tie shares the place
    assert got[3] == ("王建国", 4, Decimal("85.00"), 2)
    assert got[4] == ("刘洋", 5, Decimal("60.00"), 1)
    assert got[5] == ("陈刚", None, None, 0)  # not scored: last, no place


def test_mean_is_exact_not_rounded_before_ranking(cast, contest_activity):
    contest = services.contest_create(actor=cast.admin, activity=contest_activity)
    judges = [cast.admin, cast.study, cast.east_secretary]
    for user in judges:
        services.contest_judge_add(actor=cast.admin, contest=contest, user=user)
    a = services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="甲")
    b = services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.east_members[1], title="乙")
    for judge, mark in zip(judges, [84, 83, 83], strict=True):  # 250/3 = 83.333…
        services.entry_score(actor=judge, entry=a, score=mark)
    services.entry_score(actor=cast.admin, entry=b, score=83)  # 83.00 (shown 83.33 vs 83.00)
    services.entry_score(actor=cast.study, entry=b, score=84)  # 83.5
    rows = selectors.contest_results(contest)
    assert [(r.entry.title, r.place, r.mean) for r in rows] == [("乙", 1, Decimal("83.50")), ("甲", 2, Decimal("83.33"))]


def test_only_judges_score_and_scores_are_0_to_100(cast, contest_activity):
    contest, entries = _scored_contest(cast, contest_activity, {"张伟明": []})
    entry = entries["张伟明"]
    with pytest.raises(PermissionDenied):
        services.entry_score(actor=cast.east_secretary, entry=entry, score=90)
    for bad in (101, -1, "九十", "", 85.5):
        with pytest.raises(ValidationError) as exc:
            services.entry_score(actor=cast.admin, entry=entry, score=bad)
        assert "张伟明的作品" in exc.value.message_dict["score"][0]
    services.entry_score(actor=cast.admin, entry=entry, score="90")
    services.entry_score(actor=cast.admin, entry=entry, score=95)  # scoring again replaces
    assert selectors.judge_scores(contest, cast.admin) == {entry.pk: 95}


def test_awards_by_results_with_a_tie_at_the_top(cast, contest_activity):
    contest = services.contest_create(actor=cast.admin, activity=contest_activity, mode=ContestMode.RANKING)
    entries = [services.contest_entry_add(actor=cast.admin, contest=contest, member=m, title="作品")
               for m in cast.members[:5]]
    services.contest_awards_set(actor=cast.admin, contest=contest,
                                awards=services.parse_awards("一等奖 1\n二等奖：1\n三等奖 2"))
    with pytest.raises(ValidationError) as exc:
        services.contest_rank(actor=cast.admin, contest=contest, places={entries[0].pk: 9})
    assert "作品" in exc.value.message_dict["rank"][0]
    services.contest_rank(actor=cast.admin, contest=contest, places={
        entries[0].pk: 1, entries[1].pk: 1, entries[2].pk: 3, entries[3].pk: 4, entries[4].pk: None})
    given = services.contest_awards_give(actor=cast.admin, contest=contest)
    assert given == {"一等奖": 2, "二等奖": 0, "三等奖": 2}
    awards = {e.member.name: (e.award.name if e.award else None)
              for e in ContestEntry.objects.select_related("member", "award")}
    assert awards == {"张伟明": "一等奖", "李秀英": "一等奖", "王建国": "三等奖", "赵丽华": "三等奖", "陈刚": None}
    with pytest.raises(ValidationError):  # the list is fixed once awards are given
        services.contest_awards_set(actor=cast.admin, contest=contest, awards=[("特等奖", 1)])
    assert [e.member.name for e in selectors.certificates(contest)][:2] in (["张伟明", "李秀英"], ["李秀英", "张伟明"])


def test_award_lines_are_checked_by_line():
    with pytest.raises(ValidationError) as exc:
        services.parse_awards("一等奖 1\n二等奖\n一等奖 2\n优秀奖 0")
    messages = exc.value.message_dict["awards"]
    assert len(messages) == 3 and "2" in messages[0] and "3" in messages[1] and "4" in messages[2]
    with pytest.raises(ValidationError):
        services.parse_awards("\n \n")


def test_awards_need_results(cast, contest_activity):
    contest = services.contest_create(actor=cast.admin, activity=contest_activity)
    with pytest.raises(ValidationError):
        services.contest_awards_give(actor=cast.admin, contest=contest)
    services.contest_awards_set(actor=cast.admin, contest=contest, awards=[("一等奖", 1)])
    services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="作品")
    with pytest.raises(ValidationError):
        services.contest_awards_give(actor=cast.admin, contest=contest)


def test_contest_create_is_refused_twice_and_outside_scope(cast, contest_activity):
    services.contest_create(actor=cast.admin, activity=contest_activity)
    with pytest.raises(ValidationError) as exc:
        services.contest_create(actor=cast.admin, activity=contest_activity)
    assert "activity" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.contest_create(actor=cast.plain_member, activity=contest_activity)
