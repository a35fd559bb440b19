"""The care app: festival dates, the newspaper list, visits, the store, scoping with the fixed cast, audit
and query counts."""

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.care import festivals, selectors, services
from taizhang.care.models import Item, Movement, Occasion, Subscription, Visit, VisitMode
from taizhang.core.models import AuditEntry
from taizhang.members.models import EventKind, Household, Member
from taizhang.members.services import flow_record_event

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def home(cast):
    """李秀英 (born 1958) and 王建国 (born 1972) share a household in the east branch."""
    household = Household.objects.create(committee=cast.committee, name="李秀英、王建国家", address="朝阳区幸福路1号")
    Member.objects.filter(name__in=["李秀英", "王建国"]).update(household=household)
    return household


def member(name):
    return Member.objects.get(name=name)


@pytest.fixture
def cup(cast):
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="杯子", unit="个", low_stock=2)
    services.stock_in(actor=cast.admin, item=item, quantity=5, day=YESTERDAY, supplier="文具店", unit_price_fen=1500)
    item.refresh_from_db()
    return item


# --- festivals ---------------------------------------------------------------------------------------------

PUBLISHED = {  # the State Council's holiday notices and any printed calendar
    2023: ("2023-01-22", "2023-09-29", "2023-10-23"),
    2024: ("2024-02-10", "2024-09-17", "2024-10-11"),
    2025: ("2025-01-29", "2025-10-06", "2025-10-29"),
    2026: ("2026-02-17", "2026-09-25", "2026-10-18"),
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_festival_dates_match_the_published_calendar(year):
    assert [d.isoformat() for _o, d in festivals.festivals(year)] == list(PUBLISHED[year])


def test_next_festival_rolls_over_to_next_years_spring_festival():
    assert festivals.next_festival(datetime.date(2026, 10, 18)) == (Occasion.DOUBLE_NINTH, datetime.date(2026, 10, 18))
    assert festivals.next_festival(datetime.date(2026, 10, 19)) == (Occasion.SPRING_FESTIVAL, datetime.date(2027, 2, 6))


def test_care_festivals_command_json(capsys):
    call_command("care_festivals", "2025", "--format", "json")
    assert json.loads(capsys.readouterr().out) == {"year": 2025, "春节": "2025-01-29", "中秋": "2025-10-06",
                                                   "重阳": "2025-10-29"}


# --- the newspaper list ------------------------------------------------------------------------------------


def test_reference_day_is_first_december_of_the_year_before():
    assert selectors.reference_day(2027) == datetime.date(2026, 12, 1)


def test_one_line_per_household_and_age_counted_on_the_chosen_day(cast, home):
    # 陈刚 (born 1966-12-24) is 59 on 1 December 2026 and 60 on 1 December 2027
    preview = selectors.subscription_preview(committee=cast.committee, year=2027)
    assert [(line.recipient.name, line.change) for line in preview.lines] == [("李秀英", "new")]
    assert preview.lines[0].address == "朝阳区幸福路1号"
    later = selectors.subscription_preview(committee=cast.committee, year=2027, day=datetime.date(2027, 12, 1))
    assert sorted(line.recipient.name for line in later.lines) == ["李秀英", "陈刚"]


def test_confirm_writes_once_and_next_year_continues_or_stops(cast, home):
    preview, made = services.subscriptions_confirm(actor=cast.admin, committee=cast.committee, year=2027,
                                                   price_fen=7200, copies=1)
    assert [s.recipient.name for s in made] == ["李秀英"] and made[0].cost_fen == 7200
    assert made[0].confirmed_by == cast.admin and made[0].household == home
    _again, none = services.subscriptions_confirm(actor=cast.admin, committee=cast.committee, year=2027, price_fen=7200)
    assert none == [] and Subscription.objects.filter(year=2027).count() == 1
    day = datetime.date(2027, 12, 1)
    assert selectors.subscription_preview(committee=cast.committee, year=2028, day=day).as_dict() == {
        "year": 2028, "households": 2, "new": 1, "continued": 1, "stopped": 0}
    flow_record_event(actor=cast.admin, member=member("李秀英"), kind=EventKind.DECEASED, effective_date=YESTERDAY,
                      reason="病故")
    stopped = [line for line in selectors.subscription_preview(committee=cast.committee, year=2028, day=day).lines
               if line.change == "stopped"]
    assert [(line.recipient.name, line.reason) for line in stopped] == [("李秀英", "已去世")]


def test_a_household_without_an_elderly_member_or_a_second_one_is_refused(cast, home):
    with pytest.raises(ValidationError) as exc:
        services.subscription_add(actor=cast.admin, committee=cast.committee, year=2027, member=member("赵丽华"))
    assert "赵丽华" in exc.value.message_dict["member"][0] and "60" in exc.value.message_dict["member"][0]
    # 王建国 is 54, but his household has 李秀英: one paper for the household, and only one
    services.subscription_add(actor=cast.admin, committee=cast.committee, year=2027, member=member("王建国"),
                              cost_fen=7200)
    with pytest.raises(ValidationError) as exc:
        services.subscription_add(actor=cast.admin, committee=cast.committee, year=2027, member=member("李秀英"))
    assert "已有 2027 年的订阅" in exc.value.message_dict["member"][0]
    assert Subscription.objects.count() == 1


def test_negative_cost_is_refused_naming_the_field(cast, home):
    with pytest.raises(ValidationError) as exc:
        services.subscriptions_confirm(actor=cast.admin, committee=cast.committee, year=2027, price_fen=-1)
    assert list(exc.value.message_dict) == ["cost_fen"]
    assert not Subscription.objects.exists()


def test_only_the_committee_admin_confirms(cast, home):
    with pytest.raises(PermissionDenied):
        services.subscriptions_confirm(actor=cast.east_secretary, committee=cast.committee, year=2027)


def test_care_subscriptions_command_previews_then_commits(cast, home, capsys):
    call_command("care_subscriptions", "2027", "--format", "json")
    assert json.loads(capsys.readouterr().out) == {"year": 2027, "households": 1, "new": 1, "continued": 0,
                                                   "stopped": 0}
    assert not Subscription.objects.exists()
    call_command("care_subscriptions", "2027", "--commit", "--as", "admin", "--price", "72", "--format", "json")
    assert json.loads(capsys.readouterr().out)["written"] == 1
    assert Subscription.objects.get().cost_fen == 7200


def test_a_recipient_who_flows_out_mid_year_is_flagged(cast, home):
    year = TODAY.year
    services.subscription_add(actor=cast.admin, committee=cast.committee, year=year, member=member("李秀英"))
    assert not selectors.subscriptions_for(cast.admin, year, committee=cast.committee).get().flagged
    flow_record_event(actor=cast.admin, member=member("李秀英"), kind=EventKind.LEFT_BEIJING, effective_date=YESTERDAY)
    assert selectors.subscriptions_for(cast.admin, year, committee=cast.committee).get().flagged


# --- visits ------------------------------------------------------------------------------------------------


def test_plan_covers_the_branchs_elderly_and_coverage_follows_visits(cast, cup):
    plan = services.plan_create(actor=cast.east_secretary, branch=cast.east, occasion=Occasion.DOUBLE_NINTH, year=2026)
    assert plan.title == "2026年重阳节走访慰问" and plan.ends_on == datetime.date(2026, 10, 18)
    assert [t.member.name for t in plan.targets.all()] == ["李秀英"]
    assert selectors.coverage(plan) == {"planned": 1, "visited": 0, "declined": 0, "not_yet": 1}
    services.visit_record(actor=cast.east_secretary, committee=cast.committee, plan=plan, visited_on=YESTERDAY,
                          mode=VisitMode.HOME, visitors="东部支部书记", members=[member("李秀英")], talk="身体很好",
                          gifts=[(cup, 2)])
    assert selectors.coverage(plan) == {"planned": 1, "visited": 1, "declined": 0, "not_yet": 0}
    cup.refresh_from_db()
    assert cup.stock == 3
    assert member("李秀英").last_contact_date == YESTERDAY
    with pytest.raises(ValidationError) as exc:
        services.plan_create(actor=cast.east_secretary, branch=cast.east, occasion=Occasion.DOUBLE_NINTH, year=2026)
    assert "occasion" in exc.value.message_dict


def test_a_branch_secretary_cannot_plan_for_another_branch(cast):
    with pytest.raises(PermissionDenied):
        services.plan_create(actor=cast.east_secretary, branch=cast.west, occasion=Occasion.MID_AUTUMN, year=2026)


def test_a_visit_in_the_future_or_with_too_many_gifts_writes_nothing(cast, cup):
    kwargs = {"actor": cast.admin, "committee": cast.committee, "mode": VisitMode.PHONE, "visitors": "书记",
              "members": [member("李秀英")], "occasion": Occasion.ILLNESS}
    with pytest.raises(ValidationError) as exc:
        services.visit_record(visited_on=TODAY + datetime.timedelta(days=1), **kwargs)
    assert "不能晚于今天" in exc.value.message_dict["visited_on"][0]
    with pytest.raises(ValidationError) as exc:
        services.visit_record(visited_on=TODAY, gifts=[(cup, 6)], **kwargs)
    assert "库存只有 5" in exc.value.message_dict["gifts"][0]
    assert not Visit.objects.exists() and not Movement.objects.filter(kind="out").exists()
    cup.refresh_from_db()
    assert cup.stock == 5 and member("李秀英").last_contact_date != TODAY


def test_a_visit_is_a_contact_source(cast):
    services.visit_record(actor=cast.admin, committee=cast.committee, visited_on=YESTERDAY, mode=VisitMode.HOME,
                          visitors="书记", members=[member("陈刚")], occasion=Occasion.BIRTHDAY)
    assert selectors.last_visit_day(member("陈刚")) == YESTERDAY
    from taizhang.members.contact import last_contact_day

    assert last_contact_day(member("陈刚")) >= YESTERDAY


# --- the store ---------------------------------------------------------------------------------------------


def test_hand_out_above_stock_or_negative_is_refused(cast, cup):
    for quantity, words in ((6, "库存只有 5 个"), (-1, "大于 0"), (0, "大于 0")):
        with pytest.raises(ValidationError) as exc:
            services.stock_out(actor=cast.admin, item=cup, quantity=quantity, day=TODAY, member=member("李秀英"))
        assert words in exc.value.message_dict["quantity"][0]
    with pytest.raises(ValidationError) as exc:
        services.stock_in(actor=cast.admin, item=cup, quantity=1, day=TODAY, unit_price_fen=-100)
    assert "unit_price_fen" in exc.value.message_dict
    assert Movement.objects.count() == 1


def test_corrections_are_reversing_movements_and_never_go_negative(cast, cup):
    out = services.stock_out(actor=cast.admin, item=cup, quantity=4, day=TODAY, member=member("李秀英"))
    stock_in = Movement.objects.get(kind="in")
    with pytest.raises(ValidationError) as exc:  # taking back the 5 in would leave -4
        services.movement_reverse(actor=cast.admin, movement=stock_in, reason="录错了")
    assert "库存为负" in exc.value.message_dict["reason"][0]
    reversal = services.movement_reverse(actor=cast.admin, movement=out, reason="发错人了")
    cup.refresh_from_db()
    assert reversal.quantity == 4 and reversal.reverses == out and cup.stock == 5
    with pytest.raises(ValidationError):
        services.movement_reverse(actor=cast.admin, movement=out, reason="再来一次")
    assert sum(Movement.objects.values_list("quantity", flat=True)) == cup.stock


def test_a_branch_secretary_hands_out_only_to_own_branch_and_cannot_stock_in(cast, cup):
    with pytest.raises(ValidationError) as exc:
        services.stock_out(actor=cast.east_secretary, item=cup, quantity=1, day=TODAY, member=member("陈刚"))
    assert "不在您的管理范围内" in exc.value.message_dict["member"][0]
    services.stock_out(actor=cast.east_secretary, item=cup, quantity=1, day=TODAY, member=member("李秀英"))
    with pytest.raises(PermissionDenied):
        services.stock_in(actor=cast.east_secretary, item=cup, quantity=1, day=TODAY)


def test_yearly_summary_sums_in_sql(cast, cup):
    services.visit_record(actor=cast.admin, committee=cast.committee, visited_on=YESTERDAY, mode=VisitMode.HOME,
                          visitors="书记", members=[member("李秀英")], occasion=Occasion.ILLNESS, gifts=[(cup, 2)])
    summary = selectors.yearly_summary(cast.committee, YESTERDAY.year)
    row = summary["items"][0]
    assert (row.received, row.handed, row.spent_fen, row.stock) == (5, 2, 7500, 3)
    assert summary["visited_members"] == 1 and summary["occasions"][0]["visits"] == 1


# --- care notes: personal data, audited --------------------------------------------------------------------


def test_care_notes_are_audited_with_the_phone_masked(cast):
    services.care_profile_update(actor=cast.east_secretary, member=member("李秀英"), lives_alone=True,
                                 family_contact="王芳（女儿）", family_phone="13912345678")
    entry = AuditEntry.objects.filter(action="care.profile_update").get()
    assert "13912345678" not in json.dumps(entry.new_values, ensure_ascii=False)
    assert "139****5678" in json.dumps(entry.new_values, ensure_ascii=False)
    with pytest.raises(ValidationError) as exc:
        services.care_profile_update(actor=cast.admin, member=member("李秀英"), family_phone="abc")
    assert list(exc.value.message_dict) == ["family_phone"]
    with pytest.raises(PermissionDenied):
        services.care_profile_update(actor=cast.west_secretary, member=member("李秀英"), lives_alone=False)


# --- pages: scoping with the fixed cast --------------------------------------------------------------------

SEES = {"admin": {"李秀英", "陈刚"}, "east_secretary": {"李秀英"}, "west_secretary": {"陈刚"}}


@pytest.mark.parametrize("who", ["admin", "east_secretary", "west_secretary", "study", "plain_member", "outsider",
                                 "auditor", "sysadmin", "secadmin"])
def test_the_elderly_list_shows_each_role_exactly_its_people(client, cast, who):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("care:elderly"), {"day": "2027-12-31"})
    if who not in SEES:
        assert response.status_code == 403
        return
    html = response.content.decode()
    shown = {m.name for m in Member.objects.all() if f">{m.name}</a>" in html}
    assert shown == SEES[who]


def test_the_care_panel_shows_to_editors_and_hides_notes_from_others(client, cast):
    li = member("李秀英")
    services.care_profile_update(actor=cast.admin, member=li, health="高血压，按时服药")
    for who, sees in (("admin", True), ("east_secretary", True), ("west_secretary", False), ("study", False)):
        assert (selectors.member_panel(member=li, user=getattr(cast, who)) is not None) is sees, who
    client.force_login(cast.east_secretary)
    assert "高血压，按时服药" in client.get(reverse("members:detail", args=[li.pk])).content.decode()


def test_the_home_card_counts_who_is_not_yet_visited(cast):
    occasion, day = festivals.next_festival(TODAY)
    services.plan_create(actor=cast.admin, branch=cast.east, occasion=occasion, year=day.year)
    card = selectors.home_panel(user=cast.east_secretary)
    assert card["planned"] == card["not_yet"] == 1
    assert selectors.home_panel(user=cast.study) is None
    assert card["subscriptions"] is None and selectors.home_panel(user=cast.admin)["subscriptions"]["confirmed"] is False


def test_pages_walk_for_the_committee_admin(client, cast, home, cup):
    client.force_login(cast.admin)
    plan = services.plan_create(actor=cast.admin, branch=cast.east, occasion=Occasion.DOUBLE_NINTH, year=2026)
    response = client.post(reverse("care:visit_create") + f"?plan={plan.pk}", {
        "members": [member("李秀英").pk], "visited_on": YESTERDAY.isoformat(), "mode": "home", "visitors": "书记",
        "talk": "聊了家常", "gift_item_0": cup.pk, "gift_quantity_0": "1"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    year = TODAY.year
    urls = [reverse("care:elderly"), reverse("care:elderly") + "?print=1", reverse("care:profile", args=[member("李秀英").pk]),
            reverse("care:subscriptions", args=[year]), reverse("care:subscriptions_preview", args=[year + 1]),
            reverse("care:subscriptions_export", args=[year]) + "?print=1", reverse("care:plans"),
            reverse("care:plan", args=[plan.pk]), reverse("care:visits"), reverse("care:visit", args=[visit.pk]),
            reverse("care:visit_create"), reverse("care:store"), reverse("care:item", args=[cup.pk]),
            reverse("care:received"), reverse("care:summary", args=[year]), reverse("home")]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_bad_visit_form_input_is_shown_in_chinese(client, cast, cup):
    client.force_login(cast.admin)
    response = client.post(reverse("care:visit_create"), {
        "members": [member("李秀英").pk], "occasion": "illness", "visited_on": "2999-01-01", "mode": "home",
        "visitors": "书记", "gift_item_0": cup.pk, "gift_quantity_0": "1"})
    assert response.status_code == 400
    assert "走访日期不能晚于今天" in response.content.decode()
    assert not Visit.objects.exists()


def test_confirm_from_the_page(client, cast, home):
    client.force_login(cast.admin)
    url = reverse("care:subscriptions_preview", args=[2027])
    assert "李秀英" in client.get(url).content.decode()
    response = client.post(url, {"day": "2026-12-01", "paper": "《人民日报》", "copies": "1", "price_fen": "72"})
    assert response.status_code == 302
    assert Subscription.objects.get().cost_fen == 7200
    client.force_login(cast.east_secretary)
    assert client.post(url, {"paper": "x", "copies": "1", "price_fen": "1"}).status_code == 403


# --- query counts ------------------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_lists_cost_the_same_for_more_rows(client, cast, cup):
    from taizhang.members.tests.factories import make_member

    client.force_login(cast.admin)
    plan = services.plan_create(actor=cast.admin, branch=cast.east, occasion=Occasion.DOUBLE_NINTH, year=2026)
    urls = [reverse("care:elderly") + "?day=2027-12-31", reverse("care:plans"), reverse("care:plan", args=[plan.pk]),
            reverse("care:visits"), reverse("care:item", args=[cup.pk]), reverse("care:received"),
            reverse("care:subscriptions", args=[2027])]

    def add_rows(n, start):
        for i in range(n):
            m = make_member(cast.admin, cast.east, name=f"老党员{start + i}", birth_date=datetime.date(1950, 1, 1 + i))
            visit = services.visit_record(actor=cast.admin, committee=cast.committee, plan=plan, visited_on=YESTERDAY,
                                          mode=VisitMode.HOME, visitors="书记", members=[m], gifts=[(cup, 1)])
            assert visit.pk
            services.subscription_add(actor=cast.admin, committee=cast.committee, year=2027, member=m)
            services.stock_in(actor=cast.admin, item=cup, quantity=1, day=YESTERDAY)

    add_rows(2, 0)
    before = [_queries(client, url) for url in urls]
    add_rows(4, 10)
    assert [_queries(client, url) for url in urls] == before


def test_item_stock_constraint_is_the_last_guard(cast, cup):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=cup.pk).update(stock=-1)


def test_the_years_subscriptions_are_booked_once_to_the_newspaper_line(client, cast, home):
    from taizhang.finance.models import Expense

    services.subscriptions_confirm(actor=cast.admin, committee=cast.committee, year=TODAY.year, price_fen=7200,
                                   day=TODAY)
    client.force_login(cast.admin)
    url = reverse("care:subscriptions_book", args=[TODAY.year])
    data = {"spent_on": TODAY.isoformat(), "payee": "中国邮政", "decision": "支委会", "decided_on": TODAY.isoformat()}
    response = client.post(url, data)
    assert response.status_code == 400 and "超出" in response.content.decode()  # the line's plan is 0 yet
    assert not Expense.objects.exists()
    response = client.post(url, {**data, "confirm_over_budget": "on"})
    assert response.status_code == 302
    expense = Expense.objects.get()
    assert expense.amount_fen == 7200 and expense.line.use.code == "newspapers" and expense.status == "pending"
    assert Subscription.objects.get().expense == expense
    assert client.post(url, {**data, "confirm_over_budget": "on"}).status_code == 400
    assert Expense.objects.count() == 1


def test_the_newspaper_preview_pages_its_lines_and_counts_them_all(client, cast, monkeypatch):
    from taizhang.care import views
    from taizhang.members.tests.factories import make_member

    monkeypatch.setattr(views, "PREVIEW_PAGE_SIZE", 2)
    for i in range(3):
        make_member(cast.admin, cast.west, name=f"老党员{i}", birth_date=datetime.date(1940 + i, 1, 1))
    client.force_login(cast.admin)
    url = reverse("care:subscriptions_preview", args=[2027])
    first, second = client.get(url), client.get(url, {"page": 2})
    names = [line.recipient.name for line in first.context["page"].object_list]
    names += [line.recipient.name for line in second.context["page"].object_list]
    assert len(names) == 4 and set(names) == {"老党员0", "老党员1", "老党员2", "李秀英"}  # over both pages
    assert first.context["counts"]["households"] == 4 and first.context["to_write"] == 4
    assert "page=2" in first.content.decode()
