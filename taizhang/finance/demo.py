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
    return FinanceDemoSummary(gifts=len(givers) + 1, total_fen=ON_TIME_FEN + LATE_FEN, late_fen=LATE_FEN)
