"""An activity's cost booked from its page (issue 12): the one expense path (four eyes, the over-plan
confirmation, checked scans), prefilled from the activity; the expense points back at it and the activity
page lists its costs to the money staff only, in a fixed number of queries."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.activities.tests.factories import DAY, make_activity, seed_types
from taizhang.core.models import AuditEntry
from taizhang.finance import budget as svc
from taizhang.finance.models import Expense, ExpenseStatus

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def activity(cast, treasurer):
    seed_types(cast)
    budget = svc.budget_get_or_create(actor=treasurer, committee=cast.committee, year=DAY.year)
    svc.budget_line_set(actor=treasurer, line=budget.lines.get(use__code="training"), planned_fen=500_000,
                        reason="党委会通过年度预算")
    return make_activity(cast.admin, cast.committee, title="红色电影党课")


def form_data(budget_line, **change):
    data = {"line": budget_line.pk, "spent_on": DAY.isoformat(), "amount_fen": "1200.50", "payee": "星光影城",
            "description": "红色电影党课（2026-06-12）", "receipt_no": "FP-0612", "decision": "6月支委会",
            "decided_on": "2026-06-01"}
    data.update(change)
    return data


def training(activity):
    return svc.Budget.objects.get(committee=activity.committee, year=DAY.year).lines.get(use__code="training")


def book(actor, activity, fen=120_050, **kw):
    kw.setdefault("decision", "6月支委会")
    return svc.expense_record(actor=actor, line=training(activity), spent_on=DAY, amount_fen=fen, payee="星光影城",
                              description=activity.title, decided_on=DAY - datetime.timedelta(days=5),
                              activity=activity, **kw)


def test_the_form_is_prefilled_from_the_activity(client, cast, activity, treasurer):
    client.force_login(treasurer)
    response = client.get(reverse("finance:activity_expense_create", args=[activity.pk]))
    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["spent_on"] == DAY and form.initial["line"].use.code == "training"
    assert "红色电影党课" in form.initial["description"]


def test_booked_from_the_page_points_back_and_waits_for_four_eyes(client, cast, activity, treasurer):
    client.force_login(treasurer)
    scan = SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")
    response = client.post(reverse("finance:activity_expense_create", args=[activity.pk]),
                           {**form_data(training(activity)), "scans": [scan]})
    assert response.status_code == 302 and response["Location"] == reverse("activities:detail", args=[activity.pk])
    expense = Expense.objects.get()
    assert (expense.activity, expense.amount_fen, expense.status, expense.recorded_by) == (
        activity, 120_050, ExpenseStatus.PENDING, treasurer)
    assert expense.scans.count() == 1
    entry = AuditEntry.objects.get(action="finance.expense_record")
    assert entry.new_values["activity"] == activity.pk
    with pytest.raises(ValidationError) as exc:
        svc.expense_approve(actor=treasurer, expense=expense)
    assert "approved_by" in exc.value.message_dict
    svc.expense_approve(actor=cast.admin, expense=expense)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert 'id="activity-expenses"' in page and "1,200.50" in page, page[page.find("<main"):][:3000]


@pytest.mark.parametrize("change,field,text", [
    ({"amount_fen": "0"}, "amount_fen", "金额"),
    ({"amount_fen": "12.345"}, "amount_fen", "金额"),
    ({"amount_fen": "6000"}, "amount_fen", "超出预算"),
    ({"payee": ""}, "payee", "收款"),
    ({"decision": ""}, "decision", "决定"),
    ({"decided_on": "2026-06-20"}, "decided_on", "决策日期"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, cast, activity, treasurer, change, field, text):
    client.force_login(treasurer)
    response = client.post(reverse("finance:activity_expense_create", args=[activity.pk]),
                           form_data(training(activity), **change))
    assert response.status_code == 400
    import re
    feedback = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert field in response.context["form"].errors and text in " ".join(feedback), feedback
    assert not Expense.objects.exists() and not AuditEntry.objects.filter(action="finance.expense_record").exists()


def test_over_the_plan_with_the_confirmation_is_marked(client, cast, activity, treasurer):
    client.force_login(treasurer)
    response = client.post(reverse("finance:activity_expense_create", args=[activity.pk]),
                           form_data(training(activity), amount_fen="6000", confirm_over_budget="on"))
    assert response.status_code == 302 and Expense.objects.get().over_budget


def test_a_reversal_stays_with_the_activity(cast, activity, treasurer):
    expense = book(treasurer, activity)
    svc.expense_approve(actor=cast.admin, expense=expense)
    svc.expense_reverse(actor=cast.admin, expense=expense, reason="发票开错")
    panel = svc.activity_expenses_panel(activity=activity, user=treasurer)
    assert len(panel["expenses"]) == 2 and panel["total_fen"] == 0


def test_an_activity_of_another_committee_is_refused(cast, activity, treasurer):
    from taizhang.members.tests.factories import make_committee

    budget_line = training(activity)
    other = make_committee(name="别的党委")
    activity.committee_id = other.pk  # as if picked from elsewhere
    with pytest.raises(ValidationError) as exc:
        svc.expense_record(actor=treasurer, line=budget_line, spent_on=DAY, amount_fen=100, payee="星光影城",
                           description="x", decided_on=DAY, decision="支委会", activity=activity)
    assert "activity" in exc.value.message_dict and not Expense.objects.exists()


@pytest.mark.parametrize("who", ["east_secretary", "west_secretary", "study", "plain_member", "auditor"])
def test_only_the_money_staff_see_costs_and_book(client, cast, activity, treasurer, who):
    book(treasurer, activity)
    client.force_login(getattr(cast, who))
    assert client.get(reverse("finance:activity_expense_create", args=[activity.pk])).status_code in (403, 404)
    assert client.post(reverse("finance:activity_expense_create", args=[activity.pk]),
                       form_data(training(activity))).status_code in (403, 404)
    page = client.get(reverse("activities:detail", args=[activity.pk]))
    if page.status_code == 200:
        assert 'id="activity-expenses"' not in page.content.decode() and "星光影城" not in page.content.decode()
    assert Expense.objects.count() == 1


def test_the_committee_admin_sees_the_costs(client, cast, activity, treasurer):
    book(treasurer, activity)
    client.force_login(cast.admin)
    assert "星光影城" in client.get(reverse("activities:detail", args=[activity.pk])).content.decode()


def test_outsider_gets_nothing(client, cast, activity):
    client.force_login(cast.outsider)
    assert client.get(reverse("finance:activity_expense_create", args=[activity.pk])).status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_activity_page_query_count_does_not_grow_with_its_expenses(client, cast, activity, treasurer):
    client.force_login(treasurer)
    url = reverse("activities:detail", args=[activity.pk])
    book(treasurer, activity)
    one = _queries(client, url)
    for _ in range(4):
        svc.expense_approve(actor=cast.admin, expense=book(treasurer, activity, fen=1_000))
    assert _queries(client, url) == one


def test_activities_never_import_finance():
    root = Path(__file__).resolve().parents[2] / "activities"
    offenders = [p.name for p in root.rglob("*.py") if "tests" not in p.parts
                 and ("taizhang.finance" in p.read_text() or "from taizhang import finance" in p.read_text())]
    assert offenders == []


def test_the_same_receipt_is_never_booked_twice(client, cast, activity, treasurer):
    client.force_login(treasurer)
    url = reverse("finance:activity_expense_create", args=[activity.pk])
    assert client.post(url, form_data(training(activity))).status_code == 302
    again = client.post(url, form_data(training(activity)))  # a double submit
    assert again.status_code == 400 and "receipt_no" in again.context["form"].errors
    assert "FP-0612" in again.content.decode() and Expense.objects.count() == 1
    # once the first is reversed, the corrected one may carry the receipt again
    expense = Expense.objects.get()
    svc.expense_approve(actor=cast.admin, expense=expense)
    svc.expense_reverse(actor=cast.admin, expense=expense, reason="金额录错")
    assert client.post(url, form_data(training(activity), amount_fen="1100.50")).status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_receipt_book_it_once(cast, activity, treasurer):
    from taizhang.core.tests.threads import run_at_once

    results = []

    def book_it():
        try:
            book(treasurer, activity, receipt_no="FP-RACE")
            results.append("ok")
        except ValidationError as exc:
            results.append(next(iter(exc.message_dict)))

    run_at_once(book_it, 2)
    assert sorted(results) == ["ok", "receipt_no"] and Expense.objects.filter(receipt_no="FP-RACE").count() == 1
