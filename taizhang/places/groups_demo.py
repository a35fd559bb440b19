"""The demo committee's interest groups and last year's calligraphy contest (issue 13).

The 书画 group holds the members the ledger demo tagged 书画爱好者 (20+), one of them noted as a member of the
national calligraphers' association who comes to every event; 读书 and 摄影 groups from the 学习积极分子 and
摄影爱好者 tags; the committee's 书法比赛/笔会 activities linked to the 书画 group; and last year's calligraphy
contest (an activity of the demo, or one recorded after the fact through the activities services) with
entries, three judges' scores and awards. Everything goes through the real services. Idempotent: a second
call changes nothing."""

import datetime
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.activities.models import Activity, ActivityType, Attendance, AttendanceStatus
from taizhang.activities.selectors import expected_attendees
from taizhang.activities.services import activity_create, activity_types_seed, attendance_record
from taizhang.core.audit import audit_buffered
from taizhang.members import audience
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.models import Member
from taizhang.organisation.models import Committee
from taizhang.places import groups_selectors, groups_services
from taizhang.places.models import Contest, ContestEntry, GroupActivity, InterestGroup

SEED = 1921
CONTEST_TYPE = "书法比赛/笔会"
ASSOCIATION_NOTE = "中国书法家协会会员，党员之家每次活动都到场"
GROUPS = [
    ("书画", "书画爱好者", "以书会友、以画言志：每月一次笔会，节日为社区写春联、办书画展。"),
    ("读书", "学习积极分子", "每月共读一本书，在党员之家阅览角交流读书心得。"),
    ("摄影", "摄影爱好者", "记录党员之家的活动和北京的变化，年底办摄影展。"),
]
WORKS = ["沁园春·雪", "为人民服务", "不忘初心 牢记使命", "清平乐·六盘山", "七律·长征", "厚德载物", "家和万事兴",
         "山高水长", "海纳百川", "宁静致远", "青岛—北京 游子情", "天道酬勤", "江山如画", "春风化雨"]
CATEGORIES = ["楷书", "行书", "隶书", "国画"]
AWARDS = [("一等奖", 1), ("二等奖", 2), ("三等奖", 3), ("优秀奖", 4)]
JUDGES = ["shuji", "dongbu", "xuexi"]


def _contest_activity(committee, shuji, year: int) -> Activity:
    """Last year's calligraphy contest from the activities demo, or one recorded after the fact."""
    found = (Activity.objects.filter(committee=committee, activity_type__name=CONTEST_TYPE, starts_at__year=year,
                                     cancelled=False, title__contains="书法比赛").order_by("starts_at").first())
    if found is not None:
        return found
    activity_type = ActivityType.objects.filter(committee=committee, name=CONTEST_TYPE).first()
    if activity_type is None:
        activity_types_seed(actor=shuji, committee=committee)
        activity_type = ActivityType.objects.get(committee=committee, name=CONTEST_TYPE)
    starts = timezone.make_aware(datetime.datetime(year, 10, 18, 9, 30))
    return activity_create(actor=shuji, committee=committee, activity_type=activity_type,
                           title=f"“翰墨颂党恩”书法比赛（{year}年）", starts_at=starts,
                           ends_at=starts + datetime.timedelta(hours=3), place="党员之家活动室")


def _attends_every_event(group, shuji) -> None:
    """The association member (the 书画 group's leader) is present at every past activity of the group."""
    leader = group.leader
    if leader is None:
        return
    now = timezone.now()
    for link in GroupActivity.objects.filter(group=group).select_related("activity"):
        activity = link.activity
        if activity.cancelled or activity.ends_at > now:
            continue
        if Attendance.objects.filter(activity=activity, member=leader, status=AttendanceStatus.PRESENT).exists():
            continue
        if not audience.roster_on([group.committee_id], activity.date).filter(pk=leader.pk).exists():
            continue
        attendance_record(actor=shuji, activity=activity, member=leader, status=AttendanceStatus.PRESENT,
                          note="中国书法家协会会员")


def load_demo() -> dict:
    if settings.PRODUCTION:
        raise DemoError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
    with transaction.atomic():
        committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
        if committee is None:
            raise DemoError(_("Load the demo members first (manage.py load_demo)."))
        if not InterestGroup.objects.filter(committee=committee).exists():
            with audit_buffered():
                _load(committee)
        counts = groups_selectors.summary_counts(committee)
        contests = Contest.objects.filter(committee=committee)
        counts.update({"contests": contests.count(),
                       "entries": ContestEntry.objects.filter(contest__in=contests).count(),
                       "awards": ContestEntry.objects.filter(contest__in=contests, award__isnull=False).count()})
        return counts


def _load(committee) -> None:
    rng = random.Random(SEED)
    today = timezone.localdate()
    users = {u.username: u for u in User.objects.filter(username__in=JUDGES)}
    if "shuji" not in users:
        raise DemoError(_("The demo logins are missing: %(names)s.") % {"names": "shuji"})
    shuji = users["shuji"]
    roster = {m.pk for m in audience.roster_on([committee.pk])}
    groups = {}
    for name, tag, description in GROUPS:
        members = [m for m in Member.objects.filter(committee=committee, tags__name=tag).order_by("-birth_date", "id")
                   .distinct() if m.pk in roster]
        if name == "读书":
            members = members[:12]
        # The eldest enthusiast leads the group; the 书画 group's eldest is the association member.
        leader = min(members, key=lambda m: (m.birth_date, m.pk)) if members else None
        group = groups_services.group_create(actor=shuji, committee=committee, name=name, description=description,
                                             leader=leader)
        groups[name] = group
        for member in members:
            joined = today - datetime.timedelta(days=rng.randrange(60, 900))
            note = ASSOCIATION_NOTE if name == "书画" and member == leader else ""
            groups_services.membership_add(actor=shuji, group=group, member=member, joined_on=joined, note=note)
        # history: one reader left and came back
        if name == "读书" and len(members) > 2:
            m = members[1]
            groups_services.membership_end(actor=shuji, group=group, member=m, left_on=today - datetime.timedelta(days=30))
            groups_services.membership_add(actor=shuji, group=group, member=m, joined_on=today)

    calligraphy = groups["书画"]
    for activity in Activity.objects.filter(committee=committee, activity_type__name=CONTEST_TYPE, cancelled=False):
        if not GroupActivity.objects.filter(activity=activity).exists():
            groups_services.group_activity_link(actor=shuji, group=calligraphy, activity=activity)

    activity = _contest_activity(committee, shuji, today.year - 1)
    if not GroupActivity.objects.filter(activity=activity).exists():
        groups_services.group_activity_link(actor=shuji, group=calligraphy, activity=activity)
    _attends_every_event(calligraphy, shuji)
    contest = groups_services.contest_create(actor=shuji, activity=activity, categories="，".join(CATEGORIES))
    groups_services.contest_awards_set(actor=shuji, contest=contest, awards=AWARDS)
    judges = [groups_services.contest_judge_add(actor=shuji, contest=contest, user=users[u])
              for u in JUDGES if u in users]
    expected = set(expected_attendees(activity).values_list("pk", flat=True))
    entrants = [s.member for s in calligraphy.memberships.select_related("member").order_by("id")
                if s.member_id in expected][:14]
    works = list(WORKS)
    rng.shuffle(works)
    entries = [groups_services.contest_entry_add(actor=shuji, contest=contest, member=m, title=works[i % len(works)],
                                                 category=rng.choice(CATEGORIES)) for i, m in enumerate(entrants)]
    for judge in judges:
        for entry in entries:
            groups_services.entry_score(actor=judge.user, entry=entry, score=rng.randrange(72, 99))
    if entries:
        groups_services.contest_awards_give(actor=shuji, contest=contest)
