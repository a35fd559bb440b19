"""The groups area's pages: who sees what (fixed cast), the member and activity page panels, the certificate
print view, bad input on the page, and query counts that do not grow with the rows."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities.tests.factories import make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.members.tests.factories import make_member
from taizhang.places import groups_services as services
from taizhang.places.models import ContestEntry, GroupActivity, GroupMembership, InterestGroup

D = datetime.date


@pytest.fixture
def group(cast):
    return services.group_create(actor=cast.admin, committee=cast.committee, name="书画", description="以书会友",
                                 leader=cast.east_members[1])


@pytest.fixture
def contest(cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="书法比赛/笔会", title="翰墨颂党恩书法比赛")
    contest = services.contest_create(actor=cast.admin, activity=activity, categories="楷书,行书")
    services.contest_awards_set(actor=cast.admin, contest=contest, awards=[("一等奖", 1), ("二等奖", 2)])
    services.contest_judge_add(actor=cast.admin, contest=contest, user=cast.admin)
    return contest


def _entries(cast, contest, members, score=90):
    for i, member in enumerate(members):
        entry = services.contest_entry_add(actor=cast.admin, contest=contest, member=member, title=f"作品{i}",
                                           category="楷书")
        services.entry_score(actor=cast.admin, entry=entry, score=score - i)


@pytest.mark.parametrize("who, status", [("admin", 200), ("east_secretary", 200), ("study", 200),
                                         ("plain_member", 200), ("outsider", 403), ("auditor", 403)])
def test_group_list_for_the_cast(client, cast, group, who, status):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("places:group_list"))
    assert response.status_code == status
    if status == 200:
        assert "书画" in response.content.decode()
        detail = client.get(reverse("places:group_detail", args=[group.pk]))
        assert detail.status_code == 200


def test_group_detail_shows_members_in_scope_and_join_button(client, cast, group):
    for member in cast.members:
        services.membership_add(actor=cast.admin, group=group, member=member, joined_on=D(2025, 1, 1))
    client.force_login(cast.east_secretary)
    page = client.get(reverse("places:group_detail", args=[group.pk])).content.decode()
    assert "王建国" in page and "赵丽华" not in page and "membership-add" in page
    assert "activity-link" not in page  # linking activities is the committee's
    client.force_login(cast.plain_member)
    page = client.get(reverse("places:group_detail", args=[group.pk])).content.decode()
    assert "张伟明" in page and "李秀英" in page  # 李秀英 is the leader: her name is the group's
    assert "王建国" not in page and "group-leave" in page and "membership-add" not in page


def test_a_member_joins_and_leaves_on_the_page(client, cast, group):
    client.force_login(cast.plain_member)
    assert client.post(reverse("places:group_join", args=[group.pk])).status_code == 302
    response = client.post(reverse("places:group_join", args=[group.pk]), follow=True)
    assert "已经" in response.content.decode() or "already" in response.content.decode()
    assert client.post(reverse("places:group_leave", args=[group.pk])).status_code == 302
    assert GroupMembership.objects.get(member=cast.me).left_on is not None
    client.force_login(cast.outsider)
    assert client.post(reverse("places:group_join", args=[group.pk])).status_code == 404


def test_staff_add_and_end_memberships_on_the_page(client, cast, group):
    wang = cast.members_by_name["王建国"]
    client.force_login(cast.east_secretary)
    url = reverse("places:group_member_add", args=[group.pk])
    assert client.post(url, {"member": wang.pk, "joined_on": "2025-03-01", "note": ""}).status_code == 302
    response = client.post(url, {"member": cast.west_members[0].pk}, follow=True)  # not in their scope
    assert not GroupMembership.objects.filter(member=cast.west_members[0]).exists()
    assert response.status_code == 200
    membership = GroupMembership.objects.get(member=wang)
    response = client.post(reverse("places:group_member_end", args=[membership.pk]), {"left_on": "2025-02-01"},
                           follow=True)
    assert "2025-03-01" in response.content.decode()  # cannot leave before joining: the message says why
    client.post(reverse("places:group_member_end", args=[membership.pk]), {"left_on": "2025-06-01"})
    membership.refresh_from_db()
    assert membership.left_on == D(2025, 6, 1)


def test_group_create_page_and_bad_input(client, cast):
    client.force_login(cast.admin)
    url = reverse("places:group_create")
    response = client.post(url, {"name": "", "description": ""})
    assert response.status_code == 400
    assert "小组名称" in response.content.decode()
    assert client.post(url, {"name": "摄影", "description": "记录"}).status_code == 302
    response = client.post(url, {"name": "摄影"})
    assert response.status_code == 400 and "摄影" in response.content.decode()
    assert InterestGroup.objects.count() == 1
    client.force_login(cast.east_secretary)
    assert client.get(url).status_code == 403


def test_activity_page_shows_the_group_and_group_page_lists_it(client, cast, group, contest):
    client.force_login(cast.admin)
    response = client.post(reverse("places:group_activity_link", args=[group.pk]),
                           {"activity": contest.activity_id})
    assert response.status_code == 302 and GroupActivity.objects.filter(group=group).exists()
    page = client.get(reverse("activities:detail", args=[contest.activity_id])).content.decode()
    assert "兴趣小组" in page and reverse("places:group_detail", args=[group.pk]) in page
    assert reverse("places:contest_detail", args=[contest.pk]) in page
    page = client.get(reverse("places:group_detail", args=[group.pk])).content.decode()
    assert "翰墨颂党恩书法比赛" in page


def test_results_on_the_member_page(client, cast, group, contest):
    services.membership_add(actor=cast.admin, group=group, member=cast.me, joined_on=D(2025, 1, 1))
    _entries(cast, contest, [cast.me, cast.east_members[2]])
    services.contest_awards_give(actor=cast.admin, contest=contest)
    url = reverse("members:detail", args=[cast.me.pk])
    for who in ("plain_member", "admin", "east_secretary"):
        client.force_login(getattr(cast, who))
        page = client.get(url).content.decode()
        assert "groups-panel" in page and "书画" in page and "一等奖" in page and "作品0" in page, who
    client.force_login(cast.west_secretary)
    assert client.get(url).status_code in (403, 404)


def test_certificate_print_view(client, cast, contest):
    _entries(cast, contest, cast.east_members)
    services.contest_awards_give(actor=cast.admin, contest=contest)
    client.force_login(cast.admin)
    response = client.get(reverse("places:contest_certificates", args=[contest.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "A4" in page and "data-tz-print" in page
    assert page.index("一等奖") < page.index("二等奖")
    assert all(m.name in page for m in cast.east_members)
    for who in ("plain_member", "study", "outsider"):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("places:contest_certificates", args=[contest.pk])).status_code in (403, 404), who


def test_judge_scores_on_the_page_with_bad_numbers_named(client, cast, contest):
    _entries(cast, contest, [cast.me], score=80)
    entry = ContestEntry.objects.get()
    client.force_login(cast.admin)
    url = reverse("places:contest_score", args=[contest.pk])
    response = client.post(url, {f"score_{entry.pk}": "120"})
    assert response.status_code == 400 and "作品0" in response.content.decode()
    assert client.post(url, {f"score_{entry.pk}": "88"}).status_code == 302
    assert entry.scores.get().score == 88
    client.force_login(cast.east_secretary)
    assert client.get(url).status_code == 403


def test_entry_page_refuses_a_member_outside_the_audience(client, cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="演讲比赛", title="西部演讲比赛",
                             audience_kind="branch", audience_branch=cast.west)
    contest = services.contest_create(actor=cast.admin, activity=activity, mode="ranking")
    client.force_login(cast.admin)
    response = client.post(reverse("places:contest_entry_add", args=[contest.pk]),
                           {"member": cast.me.pk, "title": "我为家乡代言"})
    assert response.status_code == 400
    assert "张伟明" in response.content.decode() and not ContestEntry.objects.exists()


def test_ranking_on_the_page(client, cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="演讲比赛", title="演讲比赛")
    contest = services.contest_create(actor=cast.admin, activity=activity, mode="ranking")
    a = services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.me, title="甲")
    b = services.contest_entry_add(actor=cast.admin, contest=contest, member=cast.west_members[0], title="乙")
    client.force_login(cast.admin)
    url = reverse("places:contest_rank", args=[contest.pk])
    response = client.post(url, {f"place_{a.pk}": "x", f"place_{b.pk}": "1"}, follow=True)
    assert "甲" in response.content.decode()
    assert not ContestEntry.objects.filter(rank__isnull=False).exists()
    client.post(url, {f"place_{a.pk}": "2", f"place_{b.pk}": "1"})
    page = client.get(reverse("places:contest_detail", args=[contest.pk])).content.decode()
    assert page.index("乙") < page.index("甲")
    assert AuditEntry.objects.filter(action="contest.rank").count() == 1


def test_awards_form_bad_line(client, cast, contest):
    client.force_login(cast.admin)
    response = client.post(reverse("places:contest_awards", args=[contest.pk]), {"awards": "一等奖 1\n二等奖 两个"})
    assert response.status_code == 400 and "第2行" in response.content.decode()


# --- query counts ------------------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_pages_cost_the_same_for_more_rows(client, cast, group, contest):
    services.group_activity_link(actor=cast.admin, group=group, activity=contest.activity)
    services.membership_add(actor=cast.admin, group=group, member=cast.me)
    _entries(cast, contest, [cast.me])
    services.contest_awards_give(actor=cast.admin, contest=contest)
    client.force_login(cast.admin)
    urls = [reverse("places:group_list"), reverse("places:group_detail", args=[group.pk]),
            reverse("places:contest_list"), reverse("places:contest_detail", args=[contest.pk]),
            reverse("places:contest_certificates", args=[contest.pk]), reverse("places:contest_score", args=[contest.pk]),
            reverse("members:detail", args=[cast.me.pk])]
    before = [_queries(client, u) for u in urls]
    more = [make_member(cast.admin, cast.east) for _ in range(4)]
    for i, member in enumerate(more):
        services.membership_add(actor=cast.admin, group=group, member=member)
        services.membership_end(actor=cast.admin, group=group, member=member)
        services.membership_add(actor=cast.admin, group=group, member=member, note="rejoined")
        services.group_create(actor=cast.admin, committee=cast.committee, name=f"小组{i}", leader=member)
    _entries(cast, contest, more, score=80)
    services.contest_awards_give(actor=cast.admin, contest=contest)
    seed_types(cast)
    for i in range(3):
        activity = make_activity(cast.admin, cast.committee, type_name="书法比赛/笔会", title=f"笔会{i}")
        services.contest_create(actor=cast.admin, activity=activity)
        services.group_activity_link(actor=cast.admin, group=group, activity=activity)
    after = [_queries(client, u) for u in urls]
    assert after == before


def test_member_pickers_offer_a_bounded_list_and_search(client, cast, group, contest):
    from taizhang.places import groups_views

    groups_views.PICKER_SIZE, old = 2, groups_views.PICKER_SIZE
    try:
        client.force_login(cast.admin)
        for url in (reverse("places:group_detail", args=[group.pk]), reverse("places:group_create"),
                    reverse("places:contest_entry_add", args=[contest.pk])):
            page = client.get(url).content.decode()
            select = re.search(r'<select name="(?:member|leader)".*?</select>', page, re.S).group(0)
            assert select.count('<option value="') - select.count('<option value=""') == 2, url
            page = client.get(url + "?q=zlh").content.decode()
            assert "赵丽华" in page and "陈刚 ·" not in page, url
        # a member who is not offered on this page is still accepted
        liu = cast.members_by_name["刘洋"]
        response = client.post(reverse("places:group_member_add", args=[group.pk]), {"member": liu.pk})
        assert response.status_code == 302 and GroupMembership.objects.filter(member=liu).exists()
    finally:
        groups_views.PICKER_SIZE = old


def test_contest_create_page(client, cast):
    seed_types(cast)
    activity = make_activity(cast.admin, cast.committee, type_name="演讲比赛", title="我为家乡代言演讲比赛")
    client.force_login(cast.admin)
    url = reverse("places:contest_create")
    assert "我为家乡代言演讲比赛" in client.get(url).content.decode()
    response = client.post(url, {"activity": activity.pk, "mode": "nonsense"})
    assert response.status_code == 400 and "评定方式" in response.content.decode()
    assert client.post(url, {"activity": activity.pk, "mode": "ranking", "categories": ""}).status_code == 302
    response = client.post(url, {"activity": activity.pk, "mode": "ranking"})  # already a contest: not offered
    assert response.status_code == 400
    client.force_login(cast.plain_member)
    assert client.get(url).status_code == 403
