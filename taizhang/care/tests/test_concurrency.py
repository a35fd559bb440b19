"""Two hand-outs at the same moment cannot take the stock below zero (PostgreSQL: row locks for real)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from taizhang.care import services
from taizhang.care.models import Item, Movement
from taizhang.core.tests.threads import run_at_once
from taizhang.members.models import Member

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_parallel_hand_outs_never_go_negative(cast):
    today = timezone.localdate()
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="U盘", unit="个")
    services.stock_in(actor=cast.admin, item=item, quantity=5, day=today - datetime.timedelta(days=1))
    receiver = Member.objects.get(name="李秀英")
    results = []

    def hand_out():
        try:
            services.stock_out(actor=cast.admin, item=Item.objects.get(pk=item.pk), quantity=2, day=today,
                               member=receiver)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict["quantity"][0])

    run_at_once(hand_out, 4)
    item.refresh_from_db()
    assert results.count("ok") == 2 and item.stock == 1
    assert sum(Movement.objects.filter(item=item).values_list("quantity", flat=True)) == 1
    assert all("库存只有 1 个" in r for r in results if r != "ok")


@pytest.mark.django_db(transaction=True)
def test_two_requests_book_a_stock_in_once(cast):
    from taizhang.finance.models import Expense

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="笔记本", unit="本")
    movement = services.stock_in(actor=cast.admin, item=item, quantity=10, day=yesterday, unit_price_fen=800)
    results = []

    def book():
        try:
            services.stock_in_book(actor=cast.admin, movement=Movement.objects.get(pk=movement.pk), spent_on=yesterday,
                                   payee="文具店", decided_on=yesterday, decision="支委会", confirm_over_budget=True)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict.get("movement", exc.messages)[0])

    run_at_once(book, 2)
    assert results.count("ok") == 1 and Expense.objects.count() == 1
    assert Movement.objects.get(pk=movement.pk).expense_id == Expense.objects.get().pk
