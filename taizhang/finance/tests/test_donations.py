"""Donation campaigns (issue 12): exact money, late gifts, reversals, hand-overs, scope and audit."""

import datetime
import itertools
import json
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from taizhang.core.models import AuditEntry
from taizhang.core.money import parse_yuan, yuan
from taizhang.finance import selectors, services
from taizhang.finance.models import Gift, GiftMethod
from taizhang.members.tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
START, DEADLINE = datetime.date(2020, 1, 28), datetime.date(2020, 2, 10)
_names = itertools.count()


@pytest.fixture
def campaign(cast):
    return services.campaign_create(actor=cast.admin, committee=cast.committee, title="支援家乡疫情防控捐款",
                                    purpose="为家乡疫情防控捐款", starts_on=START, deadline=DEADLINE,
                                    target_fen=1_500_000)


def give(cast, campaign, fen, day=datetime.date(2020, 2, 1), member=None, name="", **kw):
    return services.gift_record(actor=cast.admin, campaign=campaign, amount_fen=fen, received_on=day,
                                method=GiftMethod.WECHAT, member=member, giver_name=name, **kw)


@pytest.mark.parametrize("text,fen", [("3000", 300000), ("3000.5", 300050), ("12.50", 1250), ("0.01", 1),
                                      ("1,234.56", 123456), ("¥8", 800), ("8元", 800)])
def test_amounts_parse_exactly(text, fen):
    assert parse_yuan(text) == fen and yuan(fen) == f"{fen // 100}.{fen % 100:02d}"


@pytest.mark.parametrize("text,message", [("12.345", "两位小数"), ("abc", "不是金额"), ("1e30", "过大"), ("NaN", "不是金额")])
def test_bad_amounts_say_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_yuan(text)


def test_a_late_gift_is_accepted_and_marked(cast, campaign):
    on_time = give(cast, campaign, 1_623_000, member=cast.me)
    late = give(cast, campaign, 300_000, day=datetime.date(2020, 2, 15), member=cast.east_members[1])
    assert not on_time.late and late.late
    totals = selectors.campaign_totals(campaign)
    assert (totals.total_fen, totals.gifts, totals.late, totals.late_fen) == (1_923_000, 2, 1, 300_000)


def test_bad_gifts_name_the_field_and_write_nothing(cast, campaign):
    cases = [
        (dict(fen=0, member=cast.me), "amount_fen"),
        (dict(fen=-500, member=cast.me), "amount_fen"),
        (dict(fen=100, day=datetime.date(2020, 1, 1), member=cast.me), "received_on"),
        (dict(fen=100, day=datetime.date(2099, 1, 1), member=cast.me), "received_on"),
        (dict(fen=100), "giver_name"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            give(cast, campaign, kwargs.pop("fen"), **kwargs)
        assert field in exc.value.message_dict
    assert not Gift.objects.exists()


def test_a_wrong_gift_is_reversed_never_deleted(cast, campaign):
    gift = give(cast, campaign, 50_000, member=cast.me)
    give(cast, campaign, 20_000, name="社区居民王先生")
    reversal = services.gift_reverse(actor=cast.admin, gift=gift, reason="重复登记")
    assert reversal.amount_fen == -50_000 and Gift.objects.count() == 3
    totals = selectors.campaign_totals(campaign)
    assert (totals.total_fen, totals.gifts) == (20_000, 1)
    with pytest.raises(ValidationError):
        services.gift_reverse(actor=cast.admin, gift=gift, reason="再来一次")
    assert AuditEntry.objects.filter(action="finance.gift_reverse").count() == 1


def test_hand_over_at_most_what_was_received(cast, campaign):
    give(cast, campaign, 100_000, member=cast.me)
    with pytest.raises(ValidationError, match="1000.00"):
        services.handover_record(actor=cast.admin, campaign=campaign, amount_fen=100_001,
                                 handed_on=datetime.date(2020, 2, 20), recipient="区慈善总会")
    services.handover_record(actor=cast.admin, campaign=campaign, amount_fen=100_000,
                             handed_on=datetime.date(2020, 2, 20), recipient="区慈善总会")
    assert selectors.campaign_totals(campaign).to_hand_over_fen == 0


@pytest.mark.parametrize("who", ["east_secretary", "study", "plain_member", "sysadmin", "secadmin", "auditor", "outsider"])
def test_only_money_staff_record(cast, campaign, who):
    with pytest.raises(PermissionDenied):
        services.gift_record(actor=getattr(cast, who), campaign=campaign, amount_fen=100,
                             received_on=datetime.date(2020, 2, 1), method=GiftMethod.CASH, member=cast.me)


def test_a_treasurer_records_gifts(cast, campaign):
    treasurer = UserFactory(username="caiwu")
    grant(treasurer, "treasurer", cast.committee)
    gift = services.gift_record(actor=treasurer, campaign=campaign, amount_fen=100,
                                received_on=datetime.date(2020, 2, 1), method=GiftMethod.CASH, member=cast.west_members[0])
    assert gift.recorded_by == treasurer


def test_who_sees_which_gifts(client, cast, campaign):
    give(cast, campaign, 10_000, member=cast.me)
    give(cast, campaign, 20_000, member=cast.west_members[0])
    give(cast, campaign, 30_000, name="社区居民王先生")
    url = reverse("finance:campaign", args=[campaign.pk])
    seen = {}
    for who in ("admin", "east_secretary", "west_secretary", "plain_member"):
        client.force_login(getattr(cast, who))
        text = client.get(url).content.decode()
        seen[who] = {name for name in ("张伟明", "赵丽华", "社区居民王先生") if name in text}
    assert seen == {"admin": {"张伟明", "赵丽华", "社区居民王先生"}, "east_secretary": {"张伟明"},
                    "west_secretary": {"赵丽华"}, "plain_member": {"张伟明"}}
    for who in ("study", "sysadmin", "auditor", "outsider"):
        client.force_login(getattr(cast, who))
        assert client.get(url).status_code == 404
    client.force_login(cast.plain_member)
    text = client.get(reverse("finance:my_gifts")).content.decode()
    assert "100.00" in text and campaign.title in text


def test_recording_a_late_gift_through_the_page(client, cast, campaign):
    client.force_login(cast.admin)
    response = client.post(reverse("finance:gift_create", args=[campaign.pk]), {
        "member": cast.me.pk, "amount_fen": "3000", "received_on": "2020-02-15", "method": "wechat"}, follow=True)
    assert "迟到捐款" in response.content.decode()
    assert Gift.objects.get().amount_fen == 300_000
    response = client.post(reverse("finance:gift_create", args=[campaign.pk]), {
        "member": cast.me.pk, "amount_fen": "30.005", "received_on": "2020-02-15", "method": "wechat"})
    assert response.status_code == 400 and "两位小数" in response.content.decode()
    assert Gift.objects.count() == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=12))
def test_any_amounts_sum_to_the_fen_on_the_page_in_the_workbook_and_the_json(amounts):
    from taizhang.members.tests.factories import make_committee

    committee = make_committee(name=f"测试党委{next(_names)}")
    admin = UserFactory()
    grant(admin, "committee_admin", committee)
    campaign = services.campaign_create(actor=admin, committee=committee, title="测试", purpose="测试",
                                        starts_on=START, deadline=DEADLINE)
    for i, fen in enumerate(amounts):
        services.gift_record(actor=admin, campaign=campaign, amount_fen=fen, received_on=START, method="cash",
                             giver_name=f"捐款人{i}")
    expected = yuan(sum(amounts))
    out = StringIO()
    call_command("donation_summary", campaign.pk, "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["total"] == expected
    from django.test import Client

    client = Client()
    client.force_login(admin)
    workbook = openpyxl.load_workbook(BytesIO(b"".join(
        client.get(reverse("finance:campaign_export", args=[campaign.pk])).streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[-1][2] == expected and len(rows) == len(amounts) + 2
    page = client.get(reverse("finance:campaign", args=[campaign.pk])).content.decode()
    whole, part = expected.split(".")
    assert f"{int(whole):,}.{part}" in page


def test_the_export_is_audited(client, cast, campaign):
    give(cast, campaign, 10_000, member=cast.me)
    client.force_login(cast.east_secretary)
    response = client.get(reverse("finance:campaign_export", args=[campaign.pk]))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="finance.gifts_export")
    assert entry.new_values["gifts"] == 1 and entry.new_values["rows"] == 2  # the gift and the total line


def test_the_thank_you_list_names_those_who_agreed(client, cast, campaign):
    give(cast, campaign, 10_000, member=cast.me)
    give(cast, campaign, 20_000, member=cast.west_members[0], thanks_opt_out=True)
    give(cast, campaign, 300_000, day=datetime.date(2020, 2, 15), member=cast.east_members[1])
    client.force_login(cast.admin)
    text = client.get(reverse("finance:thank_you", args=[campaign.pk])).content.decode()
    assert "张伟明" in text and "李秀英" in text and "赵丽华" not in text
    assert "不具名捐款人1位" in text and "截止后捐款" in text
    client.force_login(cast.east_secretary)
    assert client.get(reverse("finance:thank_you", args=[campaign.pk])).status_code == 403


def test_lists_cost_the_same_queries_with_more_gifts(client, cast, campaign, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    give(cast, campaign, 100, member=cast.me)
    client.force_login(cast.admin)
    url = reverse("finance:campaign", args=[campaign.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(30):
        give(cast, campaign, 100 + i, member=cast.members[i % 6])
    with django_assert_max_num_queries(len(few)):
        client.get(url)
    with CaptureQueriesContext(connection) as few_list:
        client.get(reverse("finance:campaigns"))
    services.campaign_create(actor=cast.admin, committee=cast.committee, title="第二次捐款", purpose="x",
                             starts_on=START, deadline=DEADLINE)
    with django_assert_max_num_queries(len(few_list)):
        client.get(reverse("finance:campaigns"))
