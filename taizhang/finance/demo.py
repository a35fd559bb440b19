"""The demo committee's money: the hometown epidemic-control campaign of early 2020 (the seed: 1.6万余元
by the deadline, and a member who saw the message late and insisted on giving 3000 元)."""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.finance import services
from taizhang.finance.models import Campaign, GiftMethod
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.models import ROSTER_STATUSES, Member
from taizhang.organisation.models import Committee

TITLE = "支援家乡疫情防控捐款"
STARTS, DEADLINE = datetime.date(2020, 1, 28), datetime.date(2020, 2, 10)
ON_TIME_FEN = 1_623_000  # 16,230.00 元 by the deadline
LATE_FEN = 300_000  # the 3000 元 given after the deadline
SEED = 2020


@dataclass
class FinanceDemoSummary:
    gifts: int
    total_fen: int
    late_fen: int
    expenses: int = 0


@transaction.atomic
def load_demo_finance() -> FinanceDemoSummary | None:
    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    if Campaign.objects.filter(committee=committee, title=TITLE).exists():
        return None
    shuji = User.objects.get(username="shuji")
    campaign = services.campaign_create(
        actor=shuji, committee=committee, title=TITLE, starts_on=STARTS, deadline=DEADLINE,
        purpose="新冠肺炎疫情发生后，党委向在京党员发出倡议，为家乡青岛市市南区的疫情防控捐款，"
                "所得款项全部转交区慈善总会，用于购买防护物资。自愿捐款，不设指标。",
        target_fen=1_500_000)
    day = DEADLINE - datetime.timedelta(days=10)
    on_roster = list(Member.objects.filter(
        committee=committee, roster_spells__valid_from__lte=day, roster_spells__valid_to__gt=day,
        roster_spells__status__in=ROSTER_STATUSES).order_by("id").distinct())
    if len(on_roster) < 30:
        raise DemoError(_("The demo committee has too few members on its roster in early 2020."))
    rng = random.Random(SEED)
    late_giver = on_roster.pop(rng.randrange(len(on_roster)))
    rng.shuffle(on_roster)
    amounts, left = [], ON_TIME_FEN
    while left > 100_000 and len(amounts) < len(on_roster) - 1:
        amount = min(left, rng.choice([5000, 10000, 10000, 20000, 20000, 30000, 50000, 50000, 100000]))
        amounts.append(amount)
        left -= amount
    if left:
        amounts.append(left)  # the last gift makes the on-time total exactly ON_TIME_FEN (between 0.01 and 1000 元)
    givers = on_roster[:len(amounts)]
    methods = [GiftMethod.WECHAT] * 7 + [GiftMethod.CASH, GiftMethod.BANK]
    for i, (member, amount) in enumerate(zip(givers, amounts, strict=True)):
        services.gift_record(actor=shuji, campaign=campaign, member=member, amount_fen=amount,
                             received_on=STARTS + datetime.timedelta(days=i % 14), method=rng.choice(methods),
                             receipt_no=f"2020-{i + 1:03d}", thanks_opt_out=(i % 17 == 5))
    services.gift_record(actor=shuji, campaign=campaign, member=late_giver, amount_fen=LATE_FEN,
                         received_on=DEADLINE + datetime.timedelta(days=5), method=GiftMethod.WECHAT,
                         receipt_no="2020-049", note="看到倡议时已过截止日期，坚持要捐。")
    services.handover_record(actor=shuji, campaign=campaign, amount_fen=ON_TIME_FEN + LATE_FEN,
                             handed_on=DEADLINE + datetime.timedelta(days=8), recipient="青岛市市南区慈善总会",
                             receipt_no="SNCS-2020-0217")
    expenses = load_demo_budget()
    load_demo_dues()
    return FinanceDemoSummary(gifts=len(givers) + 1, total_fen=ON_TIME_FEN + LATE_FEN, late_fen=LATE_FEN,
                              expenses=expenses)


# The year's budget (the seed: "每年都安排专门预算，用于党员活动的开展"): plan per allowed use, and expenses
# recorded by the treasurer and approved by the secretary (four eyes).
BUDGET_PLAN = {"training": 600_000, "newspapers": 400_000, "commendation": 200_000, "care": 800_000, "relief": 200_000}
EXPENSES = [  # (month, day, use, fen, payee, description, decision)
    (1, 10, "newspapers", 374_400, "中国邮政北京分公司", "为60岁以上党员家庭订阅《人民日报》52份", "2025年12月支委会"),
    (1, 20, "care", 156_000, "北京稻香村", "春节走访慰问老党员慰问品", "2026年1月支委会"),
    (3, 15, "training", 48_000, "首都电影院", "电影党课《长津湖》包场", "2026年3月支委会"),
    (6, 28, "commendation", 86_000, "北京文化用品公司", "“七一”表彰优秀党员证书和奖品", "2026年6月党委会"),
    (9, 30, "care", 132_500, "北京稻香村", "中秋、重阳走访慰问老党员慰问品", "2026年9月支委会"),
    (10, 18, "training", 95_000, "北京某出版社", "学习资料《习近平新时代中国特色社会主义思想学习纲要》", "2026年10月支委会"),
]


@transaction.atomic
def load_demo_budget(year: int = 2026) -> int:
    from taizhang.finance import budget as svc
    from taizhang.finance.models import Budget, Expense

    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    if Budget.objects.filter(committee=committee, year=year).exists():
        return 0
    shuji, caiwu = User.objects.get(username="shuji"), User.objects.get(username="caiwu")
    budget = svc.budget_get_or_create(actor=caiwu, committee=committee, year=year)
    lines = {line.use.code: line for line in budget.lines.select_related("use")}
    for code, fen in BUDGET_PLAN.items():
        svc.budget_line_set(actor=caiwu, line=lines[code], planned_fen=fen, reason=f"{year - 1}年12月党委会通过年度预算")
    made = 0
    for month, day, code, fen, payee, description, decision in EXPENSES:
        spent_on = datetime.date(year, month, day)
        expense = svc.expense_record(actor=caiwu, line=lines[code], spent_on=spent_on, amount_fen=fen, payee=payee,
                                     description=description, decision=decision,
                                     decided_on=spent_on - datetime.timedelta(days=7), receipt_no=f"FP{year}{made + 1:04d}")
        if month < 10:  # the newest stays awaiting approval
            svc.expense_approve(actor=shuji, expense=expense)
        made += 1
    return Expense.objects.filter(line__budget=budget).count()


@transaction.atomic
def load_demo_dues(year: int = 2026) -> int:
    """The demo committee collects dues from its members working in Beijing: a base for each (pay after
    tax, pension, or the fixed amount), payments month by month this year, some members behind."""
    from taizhang.finance import dues as svc
    from taizhang.finance.models import DuesBase, DuesKind, DuesSettings
    from taizhang.members.models import Category

    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None or DuesBase.objects.filter(member__committee=committee).exists():
        return 0
    DuesSettings.objects.update_or_create(committee=committee, defaults={"collects_dues": True})
    caiwu = User.objects.get(username="caiwu")
    rng = random.Random(SEED + 1)
    members = list(Member.objects.filter(committee=committee, current_event__status_after="active",
                                         category=Category.WORKING).order_by("id")[:40])
    start = datetime.date(year, 1, 1)
    months_now = datetime.date(year, 11, 1)
    paid = 0
    for i, member in enumerate(members):
        if i % 10 == 9:
            base = svc.dues_base_set(actor=caiwu, member=member, kind=DuesKind.FLAT, applies_from=start)
        else:
            income = rng.choice([2_800_00, 4_500_00, 6_000_00, 8_500_00, 12_000_00])
            kind = DuesKind.RETIRED if member.age_on(start) >= 60 else DuesKind.EMPLOYED
            base = svc.dues_base_set(actor=caiwu, member=member, kind=kind, income_fen=income, applies_from=start)
        behind = {3: 6, 7: 2}.get(i % 12, 0)  # a few members are months behind
        months = (months_now.month - behind)
        if months <= 0:
            continue
        monthly = svc.monthly_fen(base, start)
        svc.dues_pay(actor=caiwu, member=member, period_from=start, months=months, amount_fen=monthly * months,
                     paid_on=datetime.date(year, months, 25), method=GiftMethod.WECHAT,
                     paid_by="家属代缴" if i % 8 == 2 else "")
        paid += 1
    return paid
