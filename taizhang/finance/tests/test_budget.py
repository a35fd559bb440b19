"""The annual budget (issue 12): lines with history, expenses on a collective decision, four eyes, the
over-budget warning, reversals, actual against plan per line and in total, exact to the fen."""

import datetime
import json
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taizhang.core.models import AuditEntry
from taizhang.core.money import yuan
from taizhang.finance import budget as svc
from taizhang.finance.models import BudgetRevision, Expense, ExpenseStatus

pytestmark = pytest.mark.django_db
YEAR = 2026
DAY = datetime.date(2026, 3, 15)


@pytest.fixture
def budget(cast, treasurer):
    budget = svc.budget_get_or_create(actor=treasurer, committee=cast.committee, year=YEAR)
    line = budget.lines.get(use__code="newspapers")
    svc.budget_line_set(actor=treasurer, line=line, planned_fen=400_000, reason="党委会通过年度预算")
    return budget


def line(budget, code="newspapers"):
    return budget.lines.get(use__code=code)


def spend(actor, budget, fen, code="newspapers", day=DAY, **kw):
    kw.setdefault("decision", "2026年3月支委会")
    return svc.expense_record(actor=actor, line=line(budget, code), spent_on=day, amount_fen=fen, payee="中国邮政",
                              description="订阅《人民日报》", decided_on=day - datetime.timedelta(days=5), **kw)


def test_a_new_year_has_a_line_for_every_allowed_use(budget):
    assert sorted(budget.lines.values_list("use__code", flat=True)) == sorted(
        ["training", "newspapers", "commendation", "care", "relief"])


def test_revisions_keep_who_when_why(cast, budget, treasurer):
    svc.budget_line_set(actor=cast.admin, line=line(budget), planned_fen=450_000, reason="追加订阅")
    revisions = list(BudgetRevision.objects.filter(line=line(budget)).order_by("id"))
    assert [(r.old_fen, r.new_fen, r.revised_by) for r in revisions] == [(0, 400_000, treasurer), (400_000, 450_000, cast.admin)]
    assert AuditEntry.objects.filter(action="finance.budget_line_set").count() == 2


def test_four_eyes(cast, budget, treasurer):
    expense = spend(treasurer, budget, 100_000)
    with pytest.raises(ValidationError, match="登记人以外"):
        svc.expense_approve(actor=treasurer, expense=expense)
    svc.expense_approve(actor=cast.admin, expense=expense)
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.APPROVED and expense.approved_by == cast.admin
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        Expense.objects.filter(pk=expense.pk).update(approved_by=treasurer)


def test_over_budget_needs_a_confirmation(cast, budget, treasurer):
    spend(treasurer, budget, 300_000)
    with pytest.raises(ValidationError, match="超出预算") as exc:
        spend(treasurer, budget, 100_001)
    assert "amount_fen" in exc.value.message_dict and Expense.objects.count() == 1
    over = spend(treasurer, budget, 100_001, confirm_over_budget=True)
    assert over.over_budget


@pytest.mark.parametrize("change,field", [
    ({"amount": 0}, "amount_fen"), ({"amount": -5}, "amount_fen"),
    ({"day": datetime.date(2025, 12, 31)}, "spent_on"), ({"day": datetime.date(2099, 1, 1)}, "spent_on"),
    ({"decision": ""}, "decision"),
])
def test_bad_expenses_name_the_field_and_write_nothing(budget, treasurer, change, field):
    with pytest.raises(ValidationError) as exc:
        spend(treasurer, budget, change.get("amount", 100), day=change.get("day", DAY),
              decision=change.get("decision", "支委会"))
    assert field in exc.value.message_dict
    assert not Expense.objects.exists()


def test_a_correction_is_a_reversing_expense(cast, budget, treasurer):
    expense = spend(treasurer, budget, 120_000)
    svc.expense_approve(actor=cast.admin, expense=expense)
    svc.expense_reverse(actor=cast.admin, expense=expense, reason="发票金额有误")
    rows, total = svc.budget_report(budget)
    assert total.spent_fen == 0 and Expense.objects.count() == 2
    with pytest.raises(ValidationError):
        svc.expense_reverse(actor=cast.admin, expense=expense, reason="再冲一次")


def test_actual_against_plan_for_a_period(cast, budget, treasurer):
    for day, fen in ((datetime.date(2026, 1, 10), 100_000), (datetime.date(2026, 6, 10), 50_050)):
        svc.expense_approve(actor=cast.admin, expense=spend(treasurer, budget, fen, day=day))
    spend(treasurer, budget, 7_000, day=datetime.date(2026, 6, 20))  # awaiting approval
    rows, total = svc.budget_report(budget)
    paper = next(r for r in rows if r.line_id == line(budget).pk)
    assert (paper.planned_fen, paper.spent_fen, paper.pending_fen, paper.rest_fen) == (400_000, 150_050, 7_000, 249_950)
    rows, total = svc.budget_report(budget, date_from=datetime.date(2026, 6, 1), date_to=datetime.date(2026, 6, 30))
    assert (total.spent_fen, total.pending_fen) == (50_050, 7_000)


@pytest.mark.parametrize("who", ["east_secretary", "study", "plain_member", "sysadmin", "secadmin", "auditor", "outsider"])
def test_only_money_staff_see_and_record(client, cast, budget, who):
    user = getattr(cast, who)
    client.force_login(user)
    assert client.get(reverse("finance:budget", args=[YEAR])).status_code == 403
    with pytest.raises(PermissionDenied):
        spend(user, budget, 100)


def test_the_page_warns_records_and_exports(client, cast, budget, treasurer):
    client.force_login(treasurer)
    url = reverse("finance:expense_create", args=[YEAR])
    data = {"line": line(budget).pk, "spent_on": "2026-03-15", "amount_fen": "4000.01", "payee": "中国邮政",
            "description": "订阅《人民日报》", "decision": "3月支委会", "decided_on": "2026-03-10"}
    response = client.post(url, data)
    assert "超出预算" in response.content.decode() and not Expense.objects.exists()
    response = client.post(url, {**data, "amount_fen": "3744.00"})
    assert response.status_code == 302
    client.force_login(cast.admin)
    client.post(reverse("finance:expense_approve", args=[Expense.objects.get().pk]))
    text = client.get(reverse("finance:budget", args=[YEAR])).content.decode()
    assert "3,744.00" in text and "256.00" in text
    response = client.get(reverse("finance:budget", args=[YEAR]), {"format": "xlsx"})
    rows = list(openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[-1][:3] == ("合计", "4000.00", "3744.00")
    assert AuditEntry.objects.filter(action="finance.budget_export").count() == 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=10))
def test_sums_are_exact_on_the_page_in_the_workbook_and_the_json(cast, budget, treasurer, amounts):
    Expense.objects.filter(line__budget=budget, reverses__isnull=False).delete()
    Expense.objects.filter(line__budget=budget).delete()
    for fen in amounts:
        expense = spend(treasurer, budget, fen, code="care", confirm_over_budget=True)
        svc.expense_approve(actor=cast.admin, expense=expense)
    expected = yuan(sum(amounts))
    out = StringIO()
    call_command("finance_summary", "--year", str(YEAR), "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["total"]["spent"] == expected
    assert next(r for r in data["lines"] if r["use"] == "困难党员帮扶和老党员慰问")["spent"] == expected


def test_the_budget_page_costs_the_same_with_more_expenses(client, cast, budget, treasurer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    spend(treasurer, budget, 100)
    client.force_login(cast.admin)
    url = reverse("finance:budget", args=[YEAR])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(20):
        svc.expense_approve(actor=cast.admin, expense=spend(treasurer, budget, 100 + i, code="training",
                                                            confirm_over_budget=True))
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_receipt_scans_are_checked_stored_and_downloaded_with_audit(client, cast, budget, treasurer, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("发票.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        spend(treasurer, budget, 1000, scans=[fake])
    assert "发票.pdf" in " ".join(exc.value.message_dict["scans"]) and not Expense.objects.exists()
    real = SimpleUploadedFile("发票.pdf", b"%PDF-1.4\n%fake but well-formed head\n", content_type="application/pdf")
    expense = spend(treasurer, budget, 1000, scans=[real])
    [scan] = expense.scans.all()
    client.force_login(cast.admin)
    assert "发票.pdf" in client.get(reverse("finance:budget", args=[YEAR])).content.decode()
    response = client.get(reverse("finance:scan_download", args=[scan.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="finance.scan_download").count() == 1
    client.force_login(cast.east_secretary)
    assert client.get(reverse("finance:scan_download", args=[scan.pk])).status_code == 403
