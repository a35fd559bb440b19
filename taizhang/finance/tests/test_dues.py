"""Party dues (issue 12): the 2008 brackets at each boundary, flat cases, arrears and the warning before six
unpaid months, voluntary payments, the per-committee switch, scope and bad input."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from taizhang.finance import dues as svc
from taizhang.finance.models import DuesBase, DuesKind, DuesPayment, DuesSettings
from taizhang.members.tests.factories import UserFactory, grant

pytestmark = pytest.mark.django_db
JAN = datetime.date(2026, 1, 1)


@pytest.fixture
def on(cast):
    DuesSettings.objects.create(committee=cast.committee, collects_dues=True)


@pytest.mark.parametrize("kind,income,expected", [
    ("employed", 300_000, 1_500), ("employed", 300_001, 3_000), ("employed", 500_000, 5_000),
    ("employed", 500_001, 7_500), ("employed", 1_000_000, 15_000), ("employed", 1_000_001, 20_000),
    ("employed", 123_457, 617),  # 1234.57 × 0.5 % = 6.17285 → 6.17
    ("retired", 500_000, 2_500), ("retired", 500_001, 5_000), ("retired", 0, 0),
])
def test_the_2008_table_at_every_boundary(kind, income, expected):
    assert svc.monthly_fen(DuesBase(kind=kind, income_fen=income), JAN) == expected


def test_flat_cases(cast, on):
    base = svc.dues_base_set(actor=cast.admin, member=cast.me, kind=DuesKind.FLAT, applies_from=JAN)
    assert svc.monthly_fen(base, JAN) == 20
    with pytest.raises(ValidationError) as exc:
        svc.dues_base_set(actor=cast.admin, member=cast.me, kind=DuesKind.FARMER, flat_fen=150, applies_from=JAN)
    assert "flat_fen" in exc.value.message_dict
    farmer = svc.dues_base_set(actor=cast.admin, member=cast.me, kind=DuesKind.FARMER, flat_fen=50, applies_from=JAN)
    assert svc.monthly_fen(farmer, JAN) == 50


def test_arrears_and_the_warning_before_six_months(cast, on):
    member = cast.me
    svc.dues_base_set(actor=cast.admin, member=member, kind=DuesKind.EMPLOYED, income_fen=600_000, applies_from=JAN)
    svc.dues_pay(actor=cast.admin, member=member, period_from=JAN, months=3, amount_fen=27_000,
                 paid_on=datetime.date(2026, 3, 30), paid_by="家属")
    [row] = svc.dues_rows([member], start=JAN, end=datetime.date(2026, 8, 15))
    assert row.due_fen == 8 * 9_000 and row.paid_fen == 27_000
    assert len(row.unpaid) == 5 and row.arrears_fen == 45_000
    assert row.unpaid_run == 5 and row.warn  # April to August: warned before the sixth month


def test_a_voluntary_payment_is_apart_and_above_1000_yuan(cast, on):
    with pytest.raises(ValidationError) as exc:
        svc.dues_pay(actor=cast.admin, member=cast.me, period_from=JAN, months=1, amount_fen=100_000,
                     paid_on=JAN, voluntary=True)
    assert "voluntary" in exc.value.message_dict
    svc.dues_pay(actor=cast.admin, member=cast.me, period_from=JAN, months=1, amount_fen=100_001, paid_on=JAN,
                 voluntary=True)
    [row] = svc.dues_rows([cast.me], start=JAN, end=JAN)
    assert row.voluntary_fen == 100_001 and row.paid == set()


@pytest.mark.parametrize("kwargs,field", [
    ({"kind": DuesKind.EMPLOYED, "income_fen": None}, "income_fen"),
    ({"kind": DuesKind.EMPLOYED, "income_fen": 500_000, "applies_from": datetime.date(2099, 1, 1)}, "applies_from"),
])
def test_bad_bases_name_the_field(cast, on, kwargs, field):
    kwargs.setdefault("applies_from", JAN)
    with pytest.raises(ValidationError) as exc:
        svc.dues_base_set(actor=cast.admin, member=cast.me, **kwargs)
    assert field in exc.value.message_dict and not DuesBase.objects.exists()


def test_the_switch_hides_the_pages(client, cast):
    client.force_login(cast.admin)
    text = client.get(reverse("finance:dues")).content.decode()
    assert "不收缴党费" in text and 'id="dues-table"' not in text
    with pytest.raises(PermissionDenied):
        svc.dues_base_set(actor=cast.admin, member=cast.me, kind=DuesKind.FLAT, applies_from=JAN)
    client.post(reverse("finance:dues_switch"), {"on": "1"})
    assert 'id="dues-table"' in client.get(reverse("finance:dues")).content.decode()
    client.force_login(cast.east_secretary)
    assert client.post(reverse("finance:dues_switch"), {"on": "0"}).status_code == 403


def test_who_sees_whose_dues(client, cast, on):
    treasurer = UserFactory(username="caiwu")
    grant(treasurer, "treasurer", cast.committee)
    seen = {}
    for who, user in (("admin", cast.admin), ("treasurer", treasurer), ("east", cast.east_secretary),
                      ("west", cast.west_secretary)):
        client.force_login(user)
        text = client.get(reverse("finance:dues")).content.decode()
        seen[who] = {m.name for m in cast.members if f'data-member="{m.pk}"' in text}
    everyone = {m.name for m in cast.members}
    assert seen["admin"] == seen["treasurer"] == everyone
    assert seen["east"] == {m.name for m in cast.east_members}
    assert seen["west"] == {m.name for m in cast.west_members}
    for who in ("study", "sysadmin", "auditor", "outsider"):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("finance:dues")).status_code == 403
    client.force_login(cast.east_secretary)
    assert client.get(reverse("finance:dues_member", args=[cast.west_members[0].pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        svc.dues_pay(actor=cast.east_secretary, member=cast.west_members[0], period_from=JAN, months=1,
                     amount_fen=100, paid_on=JAN)
    client.force_login(cast.plain_member)
    assert client.get(reverse("finance:my_dues")).status_code == 200


def test_recording_through_the_page(client, cast, on):
    client.force_login(cast.east_secretary)
    url = reverse("finance:dues_member", args=[cast.me.pk])
    client.post(url, {"form": "base", "base-kind": "employed", "base-income_fen": "4500", "base-applies_from": "2026-01-01"})
    response = client.post(url, {"form": "pay", "pay-period_from": "2026-01", "pay-months": "2", "pay-amount_fen": "90",
                                 "pay-paid_on": "2026-02-01", "pay-method": "cash"})
    assert response.status_code == 302
    payment = DuesPayment.objects.get()
    assert (payment.period_from, payment.months, payment.amount_fen) == (JAN, 2, 9_000)
    text = client.get(url).content.decode()
    assert "45.00" in text  # 4500 × 1 %


def test_the_ledger_costs_the_same_with_more_payments(client, cast, on, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("finance:dues"))
    for m in cast.members:
        svc.dues_base_set(actor=cast.admin, member=m, kind=DuesKind.EMPLOYED, income_fen=400_000, applies_from=JAN)
        svc.dues_pay(actor=cast.admin, member=m, period_from=JAN, months=2, amount_fen=8_000, paid_on=JAN)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("finance:dues"))


def test_a_dues_payment_is_contact_and_counts_when_the_last_contact_is_recomputed(cast, on):
    """DOMAIN_RULES "Flow and contact": lost contact counts from the last organisational life or the last
    dues payment. A payment moves the last contact forward (never back), and a recomputation (after a
    correction, say) still finds it."""
    from taizhang.members.models import Member
    from taizhang.members.services import member_contact_recompute

    member = cast.west_members[0]
    Member.objects.filter(pk=member.pk).update(last_contact_date=datetime.date(2025, 6, 1))
    svc.dues_pay(actor=cast.admin, member=member, period_from=JAN, months=2, amount_fen=8_000,
                 paid_on=datetime.date(2026, 2, 3))
    assert Member.objects.get(pk=member.pk).last_contact_date == datetime.date(2026, 2, 3)
    svc.dues_pay(actor=cast.admin, member=member, period_from=JAN, months=1, amount_fen=4_000,
                 paid_on=datetime.date(2026, 1, 20))  # an older receipt entered late moves nothing back
    assert Member.objects.get(pk=member.pk).last_contact_date == datetime.date(2026, 2, 3)
    Member.objects.filter(pk=member.pk).update(last_contact_date=None)
    member_contact_recompute(member=Member.objects.get(pk=member.pk))
    assert Member.objects.get(pk=member.pk).last_contact_date >= datetime.date(2026, 2, 3)


def test_a_refused_payment_moves_no_contact(cast, on):
    from taizhang.members.models import Member

    before = Member.objects.get(pk=cast.me.pk).last_contact_date
    with pytest.raises(ValidationError):
        svc.dues_pay(actor=cast.admin, member=cast.me, period_from=JAN, months=0, amount_fen=4_000,
                     paid_on=datetime.date(2026, 2, 3))
    assert Member.objects.get(pk=cast.me.pk).last_contact_date == before
