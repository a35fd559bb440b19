"""The demo committee's heart-to-heart talks: some this year and last, held by the committee secretary
(shuji) and the east branch's secretary (dongbu), a few with a follow-up. Idempotent: a committee that
already has talks is left as it is."""

import datetime
import random

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.core.permissions import EDIT, restrict
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.selectors import roster_on
from taizhang.organisation.models import Committee
from taizhang.places import talks_services
from taizhang.places.models.talks import DEFAULT_PLACE, Talk, TalkKind

SEED = 1921
TALKS = [
    (TalkKind.HEART, "工作与生活近况", "谈了来京后的工作情况和家庭困难，对支部组织生活的建议。", "每月参加一次支部学习，有困难及时联系支部。"),
    (TalkKind.REMINDER, "按时参加组织生活", "近半年两次未参加主题党日，说明了原因，表示以后克服困难参加。", "下次主题党日按时参加，不能参加须提前请假。"),
    (TalkKind.CONDOLENCE, "家人生病住院", "了解了家人住院情况，转达党组织的关心。", "需要时支部帮助联系医院挂号。"),
    (TalkKind.HEART, "思想动态", "交流了学习党的二十大精神的体会，谈了对家乡发展的看法。", "在支部学习会上作一次交流发言。"),
    (TalkKind.CRITICISM, "党费缴纳", "连续三个月未交党费，进行了批评教育，本人认识到问题。", "一周内补交，以后按月缴纳。"),
]
PER_YEAR = {"shuji": 6, "dongbu": 5}


def _day(rng, year: int, today: datetime.date) -> datetime.date:
    last = today if year == today.year else datetime.date(year, 12, 31)
    first = min(datetime.date(year, 1, 2), last)
    return first + datetime.timedelta(days=rng.randrange(max((last - first).days, 1)))


@transaction.atomic
def load_demo() -> dict:
    """Record the demo talks; returns {"talks": N} (the talks of the demo committee afterwards)."""
    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    if not Talk.objects.filter(committee=committee).exists():
        rng = random.Random(SEED)
        today = timezone.localdate()
        for username, n in PER_YEAR.items():
            actor = User.objects.get(username=username)
            members = list(restrict(roster_on(None, committee=committee), actor, EDIT).order_by("id")[:200])
            if not members:
                continue
            for year in (today.year - 1, today.year):
                for i in range(n):
                    kind, topics, content, agreed = TALKS[(i + year) % len(TALKS)]
                    held_on = _day(rng, year, today)
                    follow_up = held_on + datetime.timedelta(days=rng.choice([7, 14, 30])) if i % 2 == 0 else None
                    talk = talks_services.talk_record(
                        actor=actor, committee=committee, held_on=held_on, kind=kind,
                        place=DEFAULT_PLACE if i % 3 else "党员之家活动室", members=rng.sample(members, 1 + (i % 4 == 3)),
                        topics=topics, content=content, agreed=agreed, follow_up_on=follow_up)
                    if follow_up is not None and follow_up < today - datetime.timedelta(days=30):
                        talks_services.talk_follow_up_done(actor=actor, talk=talk, day=follow_up)
    return {"talks": Talk.objects.filter(committee=committee).count()}
