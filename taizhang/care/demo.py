"""The demo committee's care: care notes for some of its elderly members, this year's newspaper list, the
last Spring Festival's and Double Ninth's visit plans and visits with gifts, and a stocked store."""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.care import festivals, selectors, services
from taizhang.care.models import Item, Mobility, Occasion, VisitMode
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.organisation.models import Branch, Committee

SEED = 1949
PRICE_FEN = 7200  # per copy and year: the demo budget's newspaper expense (3744 元 for 52 copies)
ITEMS = [("杯子", "个", 10), ("U盘", "个", 5), ("笔记本", "本", 10), ("学习资料", "份", 10), ("书籍", "本", 5),
         ("家乡宣传册", "份", 10)]
SECRETARIES = {"东部片区支部": "dongbu", "中部片区支部": "zhongbu", "西部片区支部": "xibu"}
TALKS = ["身体还算硬朗，每天看《人民日报》，关心家乡发展。", "腿脚不便，很少出门，希望多有人来聊聊天。",
         "讲了入党时的经历，嘱咐年轻党员要坚定信念。", "子女在外地工作，平时一个人住，电话常联系。",
         "刚出院不久，正在恢复，感谢党组织惦记。"]
NEEDS = ["", "", "希望帮忙联系社区上门测血压。", "报纸有时投递不及时。", "想参加支部的集体学习，需要有人接送。"]


@dataclass
class CareDemoSummary:
    subscriptions: int
    visits: int
    items: int


def _last(occasion: str, today: datetime.date) -> datetime.date:
    day = festivals.festival_day(occasion, today.year)
    return day if day <= today else festivals.festival_day(occasion, today.year - 1)


@transaction.atomic
def load_demo_care() -> CareDemoSummary | None:
    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    if Item.objects.filter(committee=committee).exists():
        return None
    rng = random.Random(SEED)
    today = timezone.localdate()
    shuji = User.objects.get(username="shuji")
    spring, ninth = _last(Occasion.SPRING_FESTIVAL, today), _last(Occasion.DOUBLE_NINTH, today)
    first = min(spring, ninth)

    items = {}
    for name, unit, low in ITEMS:
        item = services.item_create(actor=shuji, committee=committee, name=name, unit=unit, low_stock=low)
        services.stock_in(actor=shuji, item=item, quantity=rng.choice([40, 60, 80]), day=first - datetime.timedelta(days=25),
                          supplier="北京文化用品公司", unit_price_fen=rng.choice([1500, 2800, 3500, 600]))
        items[name] = item

    elderly = list(selectors.elderly_on(today, committee=committee).select_related("branch").order_by("id"))
    if not elderly:
        raise DemoError(_("The demo committee has no elderly members."))
    for i, member in enumerate(elderly):
        if i % 3:
            continue
        secretary = User.objects.get(username=SECRETARIES.get(member.branch.name, "shuji"))
        services.care_profile_update(
            actor=secretary, member=member, lives_alone=i % 2 == 0, needs_home_visit=i % 4 == 0,
            mobility=rng.choice(list(Mobility)),
            living_situation=rng.choice(["与老伴同住", "独居", "与女儿同住", "子女在外地"]),
            health=rng.choice(["高血压，按时服药", "身体硬朗", "腿脚不便", "术后恢复中"]),
            family_contact=rng.choice(["王芳（女儿）", "李强（儿子）", "张敏（侄女）"]),
            family_phone=f"139{rng.randrange(10**8):08d}", notes="")

    year = today.year
    _preview, made = services.subscriptions_confirm(actor=shuji, committee=committee, year=year, price_fen=PRICE_FEN)

    visits = 0
    gifts = {Occasion.SPRING_FESTIVAL: ["杯子", "笔记本"], Occasion.DOUBLE_NINTH: ["学习资料", "家乡宣传册", "书籍"]}
    for occasion, day in ((Occasion.SPRING_FESTIVAL, spring), (Occasion.DOUBLE_NINTH, ninth)):
        for branch in Branch.objects.filter(committee=committee).order_by("sort_order", "id"):
            secretary = User.objects.get(username=SECRETARIES.get(branch.name, "shuji"))
            plan = services.plan_create(actor=secretary, branch=branch, occasion=occasion, year=day.year)
            for j, target in enumerate(plan.targets.select_related("member").order_by("id")):
                if j % 7 == 6:
                    services.plan_target_update(actor=secretary, target=target, declined=True,
                                                decline_reason="身体不适，电话问候即可")
                    continue
                if j % 5 == 4 and day == max(spring, ninth):
                    services.plan_target_update(actor=secretary, target=target, visitors=secretary.display_name,
                                                planned_on=day)
                    continue
                visited_on = min(today, day - datetime.timedelta(days=rng.randrange(0, 10)))
                item = items[rng.choice(gifts[occasion])]
                services.visit_record(
                    actor=secretary, committee=committee, plan=plan, visited_on=visited_on,
                    mode=rng.choice([VisitMode.HOME, VisitMode.HOME, VisitMode.PHONE, VisitMode.PARTY_HOME]),
                    visitors=f"{secretary.display_name}、{rng.choice(['赵志远', '孙丽娟', '周建华'])}",
                    members=[target.member], talk=rng.choice(TALKS), needs=rng.choice(NEEDS),
                    gifts=[(item, 1)] if item.stock > item.low_stock + 2 else [])
                visits += 1
    return CareDemoSummary(subscriptions=len(made), visits=visits, items=len(items))
