"""A stock-in bought for the store booked as one expense on the elderly-visits-and-gifts line (issue 11 with
issue 12): quantity × unit price through the one expense service, never twice, the stock-in points at it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.care import services
from taizhang.care.models import Movement
from taizhang.core.models import AuditEntry
from taizhang.finance import budget as money
from taizhang.finance.models import Expense, ExpenseStatus
from taizhang.members.tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture
def cup(cast):
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="杯子", unit="个", low_stock=2)
    services.stock_in(actor=cast.admin, item=item, quantity=40, day=YESTERDAY, supplier="义乌小商品城",
                      unit_price_fen=1550)
    return item


@pytest.fixture
def plan(cast):
    budget = money.budget_get_or_create(actor=cast.admin, committee=cast.committee, year=TODAY.year)
    money.budget_line_set(actor=cast.admin, line=budget.lines.get(use__code="care"), planned_fen=100_000,
                          reason="党委会通过年度预算")
    return budget


def stock_in_of(item):
    return Movement.objects.get(item=item, kind="in")


def data(**change):
    values = {"spent_on": YESTERDAY.isoformat(), "payee": "义乌小商品城", "receipt_no": "FP-1", "decision": "支委会",
              "decided_on": YESTERDAY.isoformat()}
    values.update(change)
    return values


def test_a_stock_in_is_booked_once_on_the_care_line(client, cast, cup, plan):
    client.force_login(cast.admin)
    url = reverse("care:stock_in_book", args=[stock_in_of(cup).pk])
    page = client.get(reverse("care:item", args=[cup.pk])).content.decode()
    assert url in page
    form = client.get(url)
    assert form.status_code == 200 and form.context["form"].initial["payee"] == "义乌小商品城"
    assert client.post(url, data()).status_code == 302
    expense = Expense.objects.get()
    assert (expense.amount_fen, expense.line.use.code, expense.status) == (62_000, "care", ExpenseStatus.PENDING)
    assert "杯子" in expense.description and stock_in_of(cup).expense == expense
    assert AuditEntry.objects.filter(action="care.stock_in_book").count() == 1
    assert AuditEntry.objects.filter(action="finance.expense_record").count() == 1
    # never twice: the page no longer offers it, the form and the service refuse
    assert url not in client.get(reverse("care:item", args=[cup.pk])).content.decode()
    again = client.post(url, data())
    assert again.status_code in (200, 400) and Expense.objects.count() == 1
    with pytest.raises(ValidationError) as exc:
        services.stock_in_book(actor=cast.admin, movement=stock_in_of(cup), spent_on=YESTERDAY, payee="x",
                               decided_on=YESTERDAY, decision="支委会")
    assert "movement" in exc.value.message_dict and Expense.objects.count() == 1
    # four eyes as every expense
    with pytest.raises(ValidationError):
        money.expense_approve(actor=cast.admin, expense=expense)
    treasurer = UserFactory(username="caiwu")
    grant(treasurer, "treasurer", cast.committee)
    money.expense_approve(actor=treasurer, expense=expense)


def test_over_the_line_needs_the_confirmation(client, cast, cup):
    client.force_login(cast.admin)
    url = reverse("care:stock_in_book", args=[stock_in_of(cup).pk])
    response = client.post(url, data())  # the care line's plan is 0
    assert response.status_code == 400 and "超出" in response.content.decode()
    assert not Expense.objects.exists() and stock_in_of(cup).expense is None
    assert client.post(url, data(confirm_over_budget="on")).status_code == 302
    assert Expense.objects.get().over_budget


@pytest.mark.parametrize("change,text", [
    ({"payee": ""}, "收款"), ({"decision": ""}, "集体决策"), ({"spent_on": ""}, "日期"),
    ({"decided_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "决策日期"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, cast, cup, plan, change, text):
    client.force_login(cast.admin)
    response = client.post(reverse("care:stock_in_book", args=[stock_in_of(cup).pk]), data(**change))
    assert response.status_code == 400 and text in response.content.decode()
    assert not Expense.objects.exists() and stock_in_of(cup).expense is None
    assert not AuditEntry.objects.filter(action__in=["care.stock_in_book", "finance.expense_record"]).exists()


def test_without_a_price_or_corrected_it_cannot_be_booked(cast, plan):
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="笔记本", unit="本")
    free = services.stock_in(actor=cast.admin, item=item, quantity=3, day=YESTERDAY)
    priced = services.stock_in(actor=cast.admin, item=item, quantity=3, day=YESTERDAY, unit_price_fen=500)
    services.movement_reverse(actor=cast.admin, movement=priced, reason="数量录错")
    for movement in (free, priced):
        with pytest.raises(ValidationError) as exc:
            services.stock_in_book(actor=cast.admin, movement=movement, spent_on=YESTERDAY, payee="文具店",
                                   decided_on=YESTERDAY, decision="支委会")
        assert "movement" in exc.value.message_dict
    assert not Expense.objects.exists()


@pytest.mark.parametrize("who", ["east_secretary", "west_secretary", "study", "plain_member", "outsider"])
def test_only_the_stores_keeper_with_money_rights_books(client, cast, cup, plan, who):
    user = getattr(cast, who)
    client.force_login(user)
    assert client.post(reverse("care:stock_in_book", args=[stock_in_of(cup).pk]), data()).status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        services.stock_in_book(actor=user, movement=stock_in_of(cup), spent_on=YESTERDAY, payee="x",
                               decided_on=YESTERDAY, decision="支委会")
    assert not Expense.objects.exists()


def test_item_page_query_count_does_not_grow_with_booked_stock_ins(client, cast, cup, plan):
    client.force_login(cast.admin)
    url = reverse("care:item", args=[cup.pk])
    services.stock_in_book(actor=cast.admin, movement=stock_in_of(cup), spent_on=YESTERDAY, payee="x",
                           decided_on=YESTERDAY, decision="支委会")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        movement = services.stock_in(actor=cast.admin, item=cup, quantity=2, day=YESTERDAY, unit_price_fen=100)
        services.stock_in_book(actor=cast.admin, movement=movement, spent_on=YESTERDAY, payee="x",
                               decided_on=YESTERDAY, decision="支委会")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(one.captured_queries)
