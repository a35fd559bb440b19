"""Two hand-outs at the same moment cannot take the stock below zero (PostgreSQL: row locks for real)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from taizhang.care import services
from taizhang.care.models import Item, Movement
from taizhang.members.models import Member

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_parallel_hand_outs_never_go_negative(cast):
    today = timezone.localdate()
    item = services.item_create(actor=cast.admin, committee=cast.committee, name="U盘", unit="个")
    services.stock_in(actor=cast.admin, item=item, quantity=5, day=today - datetime.timedelta(days=1))
    receiver = Member.objects.get(name="李秀英")
    barrier = threading.Barrier(4)
    results = []

    def hand_out():
        try:
            barrier.wait()
            services.stock_out(actor=cast.admin, item=Item.objects.get(pk=item.pk), quantity=2, day=today,
                               member=receiver)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict["quantity"][0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=hand_out) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    item.refresh_from_db()
    assert results.count("ok") == 2 and item.stock == 1
    assert sum(Movement.objects.filter(item=item).values_list("quantity", flat=True)) == 1
    assert all("库存只有 1 个" in r for r in results if r != "ok")
