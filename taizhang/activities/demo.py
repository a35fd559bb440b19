"""Demo activities, sign-ups and attendance for the demo committee (``manage.py load_demo_activities``).

Needs the members demo (``manage.py load_demo``): it uses its committee (青岛市南区在京流动党员党委),
its members and its staff logins. Everything goes through the real services (``activity_types_seed``,
``activity_create``, ``activity_cancel``, ``signup_create``, ``signup_cancel``,
``attendance_record_many``, ``attendance_check_in``), so validation and the audit log stay true.

From the founding (2017-09-01) to 2021-08-31 the activities are exactly those the source story counts
("4 years: 16 collective studies, 5 visits to red-education bases and exhibitions, 12 theme party
activities, 4 community services, 9 film party lessons") — 46 activities, nothing else. From
2021-09 to 2026-11 a fuller organisational life: 每月一学 on every study day, branch committee
meetings, general meetings, party group meetings, lessons, the yearly organisational life meeting
and democratic review, volunteer duty, calligraphy, speeches, micro party lessons …

Attendance is drawn deterministically (``random.Random(ACTIVITY_SEED)``): elderly members come to
studies more; nobody attends who was not on the roster (and active in Beijing) that day; members
never attend in the half year before they lose contact, nor after their last contact when the
members demo keeps them quiet for the lost-contact warnings. Activities that have not ended when the
demo is loaded get sign-ups but no attendance.
"""

import bisect
import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.activities import hooks
from taizhang.activities.models import (
    AbsenceReason,
    Activity,
    Attendance,
    AttendanceStatus,
    AudienceKind,
    CheckInMethod,
    SignUp,
    SignUpStatus,
)
from taizhang.activities.services import (
    AttendanceEntry,
    activity_cancel,
    activity_create,
    activity_types_seed,
    attendance_check_in,
    attendance_record_many,
    signup_cancel,
    signup_create,
)
from taizhang.activities.studyday import study_day
from taizhang.core.audit import audit_buffered
from taizhang.members import audience as audiences
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.models import FlowEvent, Member, Status
from taizhang.organisation.models import Committee, PartyGroup

ACTIVITY_SEED = 20170912
PLAN_END = datetime.date(2026, 11, 30)
FULL_LIFE_START = datetime.date(2021, 9, 1)

ROOM = "党员之家活动室"
READING = "党员之家读书角"
TALK = "党员之家谈心谈话角"
ONLINE = "线上（“市南区在京流动党员之家”微信群）"
COMMUNITY = "西罗园街道联合社区"

# --- the story's four years: exactly the 46 activities the source counts -------------------------------
# (day, start "HH:MM", minutes, type, title, place, capacity)
SEED_ACTIVITIES = [
    # 集体学习 ×16
    ("2017-09-23", "14:00", 150, "集体学习", "集体学习：党委成立大会暨学习《中国共产党章程》", ROOM, None),
    ("2017-11-11", "14:00", 150, "集体学习", "集体学习：学习党的十九大报告", ROOM, None),
    ("2018-01-13", "14:00", 150, "集体学习", "集体学习：学习新修订的《中国共产党章程》", ROOM, None),
    ("2018-03-24", "14:00", 150, "集体学习", "集体学习：学习全国两会精神", ROOM, None),
    ("2018-06-16", "14:00", 150, "集体学习", "集体学习：学习《习近平新时代中国特色社会主义思想三十讲》", ROOM, None),
    ("2018-10-20", "14:00", 150, "集体学习", "集体学习：学习新修订的《中国共产党纪律处分条例》", ROOM, None),
    ("2018-12-15", "14:00", 150, "集体学习", "集体学习：学习《中国共产党支部工作条例（试行）》", ROOM, None),
    ("2019-03-23", "14:00", 150, "集体学习", "集体学习：学习全国两会精神", ROOM, None),
    ("2019-06-22", "14:00", 150, "集体学习", "集体学习：“不忘初心、牢记使命”主题教育专题学习", ROOM, None),
    ("2019-09-21", "14:00", 150, "集体学习", "集体学习：学习《中国共产党党员教育管理工作条例》", ROOM, None),
    ("2019-11-16", "14:00", 150, "集体学习", "集体学习：学习党的十九届四中全会精神", ROOM, None),
    ("2020-06-20", "14:00", 120, "集体学习", "集体学习：学习《中华人民共和国民法典》", ROOM, 30),
    ("2020-11-14", "14:00", 150, "集体学习", "集体学习：学习党的十九届五中全会精神", ROOM, None),
    ("2021-03-13", "14:00", 150, "集体学习", "集体学习：党史学习教育动员学习", ROOM, None),
    ("2021-05-15", "14:00", 150, "集体学习", "集体学习：学习《中国共产党简史》", ROOM, None),
    ("2021-07-10", "14:00", 150, "集体学习", "集体学习：学习习近平总书记“七一”重要讲话精神", ROOM, None),
    # 参观红色教育基地/展览 ×5
    ("2018-07-07", "09:00", 210, "参观红色教育基地/展览", "参观中国人民抗日战争纪念馆", "中国人民抗日战争纪念馆（宛平城）", 40),
    ("2018-12-22", "09:30", 180, "参观红色教育基地/展览", "参观“伟大的变革——庆祝改革开放40周年大型展览”", "国家博物馆", 40),
    ("2019-10-19", "09:30", 180, "参观红色教育基地/展览", "参观“伟大历程 辉煌成就——庆祝中华人民共和国成立70周年大型成就展”",
     "北京展览馆", 50),
    ("2020-10-17", "09:00", 210, "参观红色教育基地/展览", "参观香山革命纪念馆", "香山革命纪念馆", 30),
    ("2021-07-24", "09:00", 210, "参观红色教育基地/展览", "参观“‘不忘初心、牢记使命’中国共产党历史展览”", "中国共产党历史展览馆", 40),
    # 主题党日 ×12 (the story's "系列主题党建活动")
    ("2017-10-14", "09:30", 120, "主题党日", "主题党日：喜迎党的十九大", ROOM, None),
    ("2018-03-03", "09:30", 120, "主题党日", "主题党日：弘扬雷锋精神 争做时代先锋", ROOM, None),
    ("2018-06-30", "09:30", 120, "主题党日", "主题党日：庆祝建党97周年 重温入党誓词", ROOM, None),
    ("2018-09-29", "09:30", 120, "主题党日", "主题党日：迎国庆 唱红歌", ROOM, None),
    ("2019-04-06", "09:30", 120, "主题党日", "主题党日：清明缅怀革命先烈", ROOM, None),
    ("2019-07-06", "09:30", 120, "主题党日", "主题党日：庆祝建党98周年 重温入党誓词", ROOM, None),
    ("2019-09-28", "09:30", 120, "主题党日", "主题党日：我和我的祖国——庆祝新中国成立70周年", ROOM, None),
    ("2020-07-04", "19:30", 90, "主题党日", "主题党日：庆祝建党99周年（线上）", ONLINE, None),
    ("2020-10-24", "09:30", 120, "主题党日", "主题党日：纪念中国人民志愿军抗美援朝出国作战70周年", ROOM, 30),
    ("2021-04-03", "09:30", 120, "主题党日", "主题党日：清明祭英烈", ROOM, None),
    ("2021-06-26", "09:30", 150, "主题党日", "主题党日：庆祝中国共产党成立100周年 重温入党誓词", ROOM, None),
    ("2021-08-14", "09:30", 120, "主题党日", "主题党日：传承红色基因 争做市南先锋", ROOM, None),
    # 进社区志愿服务 ×4
    ("2018-09-15", "08:30", 180, "进社区志愿服务", "“在京流动党员进社区”志愿服务：清理杂草乱物", COMMUNITY, 20),
    ("2019-05-11", "08:30", 180, "进社区志愿服务", "“在京流动党员进社区”志愿服务：美化社区环境", COMMUNITY, 20),
    ("2020-09-19", "08:30", 180, "进社区志愿服务", "“在京流动党员进社区”志愿服务：垃圾分类宣传", COMMUNITY, 20),
    ("2021-05-29", "08:30", 180, "进社区志愿服务", "“在京流动党员进社区”志愿服务：清理杂草乱物", COMMUNITY, 20),
    # 电影党课 ×9 (「光影铸魂」)
    ("2018-04-21", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《建党伟业》", ROOM, None),
    ("2018-08-18", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《红海行动》", ROOM, None),
    ("2018-11-24", "14:00", 150, "电影党课", "「光影铸魂」电影党课：《厉害了，我的国》", ROOM, None),
    ("2019-04-20", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《建国大业》", ROOM, None),
    ("2019-10-05", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《我和我的祖国》", ROOM, None),
    ("2019-12-21", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《决胜时刻》", ROOM, None),
    ("2020-09-26", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《八佰》", ROOM, 30),
    ("2020-11-28", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《金刚川》", ROOM, 30),
    ("2021-07-03", "14:00", 180, "电影党课", "「光影铸魂」电影党课：《1921》", ROOM, None),
]

# --- from 2021-09: the fuller organisational life ------------------------------------------------------
_MONTHLY_STUDY = [
    "学习党的十九届六中全会精神", "学习《中共中央关于党的百年奋斗重大成就和历史经验的决议》", "学习全国两会精神",
    "学习党的二十大报告", "学习新修订的《中国共产党章程》", "学习《习近平著作选读》", "学习二十届二中全会精神",
    "学习《中国共产党纪律处分条例》", "学习二十届三中全会精神", "学习习近平总书记关于家风建设的重要论述",
    "读报交流：《人民日报》评论员文章", "学习中央八项规定精神", "学习身边的榜样", "学习《中国共产党党员权利保障条例》",
    "学习二十届四中全会精神", "剪报分享与学习心得交流",
]
_THEME_DAYS = {
    3: "弘扬雷锋精神 志愿服务在身边", 4: "清明祭英烈", 5: "传承五四精神", 6: "迎七一 忆党史",
    7: "七一重温入党誓词", 9: "铭记历史 缅怀先烈", 10: "我和我的祖国", 11: "学习宪法 尊崇宪法", 12: "国家宪法日宣传",
}
_FILMS = [
    ("2021-10-23", "《长津湖》"), ("2021-12-18", "《革命者》"), ("2022-03-19", "《长津湖之水门桥》"),
    ("2022-06-18", "《狙击手》"), ("2022-10-15", "《万里归途》"), ("2023-03-18", "《无名》"),
    ("2023-06-17", "《悬崖之上》"), ("2023-10-21", "《志愿军：雄兵出击》"), ("2024-03-16", "《长空之王》"),
    ("2024-06-15", "《我和我的家乡》"), ("2024-10-19", "《志愿军：存亡之战》"), ("2025-03-15", "《攀登者》"),
    ("2025-06-21", "《建国大业》"), ("2025-09-20", "《百团大战》"), ("2026-03-21", "《智取威虎山》"),
    ("2026-06-20", "《我和我的祖国》"), ("2026-10-17", "《建党伟业》"),
]
_VISITS = [
    ("2021-10-16", "参观北京大学红楼（北京新文化运动纪念馆）", "北京新文化运动纪念馆"),
    ("2022-05-21", "参观香山革命纪念馆", "香山革命纪念馆"),
    ("2022-10-29", "参观“奋进新时代”主题成就展", "北京展览馆"),
    ("2023-04-15", "参观李大钊烈士陵园", "李大钊烈士陵园"),
    ("2023-09-16", "参观中国人民革命军事博物馆", "中国人民革命军事博物馆"),
    ("2024-04-20", "参观焦庄户地道战遗址纪念馆", "焦庄户地道战遗址纪念馆"),
    ("2024-09-21", "参观中国共产党历史展览馆", "中国共产党历史展览馆"),
    ("2025-04-19", "参观平西抗日战争纪念馆", "平西抗日战争纪念馆"),
    ("2025-09-13", "参观中国人民抗日战争纪念馆", "中国人民抗日战争纪念馆（宛平城）"),
    ("2026-04-18", "参观国家博物馆“复兴之路”基本陈列", "国家博物馆"),
    ("2026-11-28", "参观中国国家版本馆", "中国国家版本馆"),
]
_STUDIES = [
    (3, "学习全国两会精神"), (7, "学习习近平总书记“七一”重要讲话精神"), (10, "党史专题学习"), (12, "年度学习交流会"),
]
_DUTY = [
    ("2022-02-05", 9, "北京冬奥会期间社区志愿值守"), ("2022-10-15", 8, "党的二十大期间社区志愿值守"),
    ("2023-09-30", 5, "国庆期间社区志愿值守"), ("2024-03-04", 8, "全国两会期间社区志愿值守"),
    ("2024-09-30", 5, "庆祝新中国成立75周年期间社区志愿值守"), ("2025-09-01", 3, "纪念抗战胜利80周年活动期间志愿值守"),
    ("2026-03-04", 8, "全国两会期间社区志愿值守"),
]
_MICRO_LESSONS = [
    "从青岛走出的革命先辈", "“两弹一星”精神", "红色家书里的初心", "党章中的“第一次”", "焦裕禄精神的时代价值",
    "党员的权利和义务", "青岛港的红色记忆", "“四下基层”的故事", "塞罕坝精神", "从《共产党宣言》读起",
    "老党员的入党故事", "家门口的红色地标",
]


@dataclass
class _Plan:
    """One activity to create (resolved to the database at load time)."""

    type_name: str
    title: str
    starts: datetime.datetime
    minutes: int
    place: str
    capacity: int | None = None
    organiser: str | None = None  # branch code; None: the committee
    audience: str = AudienceKind.COMMITTEE
    group: str = ""  # party group name
    picked: bool = False  # the branch committee (picked at load time)
    cancel_reason: str = ""
    notes: str = ""
    signups: list = field(default_factory=list)


def _at(day: str | datetime.date, hhmm: str) -> datetime.datetime:
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    hour, minute = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> datetime.date:
    """The n-th (1-based) ``weekday`` (Monday = 0) of a month."""
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _months(start: datetime.date, end: datetime.date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        month += 1
        if month == 13:
            year, month = year + 1, 1


def build_plan(branch_groups: dict) -> list[_Plan]:
    """Every demo activity, in start order. ``branch_groups``: branch code -> party group names."""
    plans = [
        _Plan(type_name, title, _at(day, hhmm), minutes, place, capacity)
        for day, hhmm, minutes, type_name, title, place, capacity in SEED_ACTIVITIES
    ]
    studies = iter(_MONTHLY_STUDY * 5)
    lessons = iter(_MICRO_LESSONS * 2)
    for year, month in _months(FULL_LIFE_START, PLAN_END):
        day = study_day(year, month)  # the 12th; a weekend moves to Monday (the committee's settings' defaults)
        plans.append(_Plan("每月一学", f"每月一学：{next(studies)}", _at(day, "09:30"), 90, READING))
        if month in _THEME_DAYS:
            theme = _Plan("主题党日", f"主题党日：{_THEME_DAYS[month]}", _at(_nth_weekday(year, month, 5, 3), "09:30"),
                          120, ROOM)
            if (year, month) == (2022, 12):
                theme.cancel_reason = "因疫情防控要求暂停线下聚集活动，本月主题党日取消"
            plans.append(theme)
        for code, groups in branch_groups.items():
            plans.append(_Plan("支部委员会", f"支部委员会会议（{year}年{month}月）",
                               _at(_nth_weekday(year, month, 1, 1), "19:30"), 90, TALK, organiser=code,
                               audience=AudienceKind.PICKED, picked=True))
            if month in (3, 6, 9, 12):
                plans.append(_Plan("党员大会", f"支部党员大会（{year}年第{(month + 2) // 3}季度）",
                                   _at(_nth_weekday(year, month, 5, 4), "14:30"), 120, ROOM, organiser=code,
                                   audience=AudienceKind.BRANCH))
            if month % 2 == 1:
                for group in groups:
                    plans.append(_Plan("党小组会", f"{group}会议（{year}年{month}月）",
                                       _at(_nth_weekday(year, month, 6, 2), "15:00"), 90, TALK, organiser=code,
                                       audience=AudienceKind.PARTY_GROUP, group=group))
            if month == 6:
                plans.append(_Plan("党课", f"支部书记讲党课（{year}年）", _at(_nth_weekday(year, month, 5, 2), "14:30"),
                                   120, ROOM, organiser=code, audience=AudienceKind.BRANCH))
            if month == 1 and year >= 2022:
                plans.append(_Plan("组织生活会", f"{year - 1}年度组织生活会", _at(_nth_weekday(year, month, 5, 3), "14:00"),
                                   150, ROOM, organiser=code, audience=AudienceKind.BRANCH))
                plans.append(_Plan("民主评议", f"{year - 1}年度民主评议党员", _at(_nth_weekday(year, month, 6, 3), "14:00"),
                                   120, ROOM, organiser=code, audience=AudienceKind.BRANCH))
        if month == 7:
            plans.append(_Plan("党课", f"党委书记讲党课（{year}年“七一”）", _at(_nth_weekday(year, month, 5, 1), "09:30"),
                               120, ROOM))
        for study_month, topic in _STUDIES:
            if month == study_month:
                plans.append(_Plan("集体学习", f"集体学习：{topic}", _at(_nth_weekday(year, month, 5, 4), "09:30"), 150, ROOM))
        if month in (2, 5, 8, 11):
            plans.append(_Plan("微党课", f"网上“微党课”：{next(lessons)}", _at(_nth_weekday(year, month, 2, 3), "20:00"),
                               40, ONLINE))
        if month == 5:
            plans.append(_Plan("进社区志愿服务", "“在京流动党员进社区”志愿服务", _at(_nth_weekday(year, month, 5, 4), "08:30"),
                               180, COMMUNITY, capacity=20))
        if month == 1:
            plans.append(_Plan("书法比赛/笔会", f"迎新春笔会：写春联 送祝福（{year}年）",
                               _at(_nth_weekday(year, month, 5, 2), "09:30"), 150, ROOM))
        if month == 9 and year % 2 == 0:
            plans.append(_Plan("书法比赛/笔会", f"“翰墨颂党恩”书法比赛（{year}年）", _at(_nth_weekday(year, month, 6, 2), "09:30"),
                               180, ROOM, capacity=30))
        if month == 6:
            plans.append(_Plan("演讲比赛", f"“我为家乡代言”演讲比赛（{year}年）", _at(_nth_weekday(year, month, 6, 4), "14:00"),
                               150, ROOM))
    for day, film in _FILMS:
        plans.append(_Plan("电影党课", f"「光影铸魂」电影党课：{film}", _at(day, "14:00"), 180, ROOM))
    for day, title, place in _VISITS:
        plans.append(_Plan("参观红色教育基地/展览", title, _at(day, "09:00"), 210, place, capacity=30))
    for day, days, title in _DUTY:
        plans.append(_Plan("志愿值守", title, _at(day, "08:00"), (days - 1) * 24 * 60 + 600, COMMUNITY, capacity=24))
    plans = [p for p in plans if p.starts.date() <= PLAN_END]
    plans.sort(key=lambda p: (p.starts, p.type_name, p.title))
    return plans


# --- attendance model ------------------------------------------------------------------------------------

# type -> (chance for a member aged 60+, chance for a younger member); tags and a personal factor adjust it.
_CHANCE = {
    "集体学习": (0.45, 0.2), "电影党课": (0.3, 0.28), "主题党日": (0.35, 0.22), "参观红色教育基地/展览": (0.2, 0.18),
    "进社区志愿服务": (0.1, 0.12), "志愿值守": (0.08, 0.1), "书法比赛/笔会": (0.12, 0.03), "演讲比赛": (0.12, 0.1),
    "微党课": (0.15, 0.3), "每月一学": (0.55, 0.1), "支部委员会": (0.9, 0.9), "党小组会": (0.6, 0.45),
    "党员大会": (0.55, 0.4), "党课": (0.5, 0.35), "组织生活会": (0.65, 0.5), "民主评议": (0.65, 0.5),
}
_TAG_BOOST = {
    "书画爱好者": {"书法比赛/笔会": 5.0}, "志愿者骨干": {"进社区志愿服务": 3.5, "志愿值守": 4.0},
    "学习积极分子": {"集体学习": 1.4, "每月一学": 1.5, "微党课": 1.4}, "文艺骨干": {"演讲比赛": 2.5, "电影党课": 1.3},
    "行动不便": {"参观红色教育基地/展览": 0.1, "进社区志愿服务": 0.0, "志愿值守": 0.0, "每月一学": 0.5},
    "微党课讲师": {"微党课": 2.0}, "青年骨干": {"演讲比赛": 2.0, "志愿值守": 1.8},
}
_FORMAL_MEETINGS = {"党员大会", "组织生活会", "民主评议"}
_LEAVE_NOTES = {
    AbsenceReason.ILLNESS: ["身体不适", "住院治疗", "腿疼不便出门"],
    AbsenceReason.WORK: ["单位加班", "出差", "项目上线值班"],
    AbsenceReason.OUT_OF_BEIJING: ["回青岛探亲", "陪孙辈外出", "在外地出差"],
    AbsenceReason.OTHER: ["家中有事", "照看孙辈走不开", "孩子生病需照顾"],
}


class _People:
    """The demo members with their flow history read once, for as-of questions in memory."""

    def __init__(self, committee: Committee, rng: random.Random):
        members = list(Member.objects.filter(committee=committee).prefetch_related("tags").order_by("name", "id"))
        self.members = members
        self.by_pk = {m.pk: m for m in members}
        self.tags = {m.pk: {t.name for t in m.tags.all()} for m in members}
        self.factor = {m.pk: rng.uniform(0.5, 1.3) for m in members}
        self.timeline: dict[int, list] = defaultdict(list)
        for member_id, day, status, branch_id in (
            FlowEvent.objects.effective().filter(member__committee=committee)
            .order_by("member_id", "effective_date", "id")
            .values_list("member_id", "effective_date", "status_after", "branch_after_id")
        ):
            self.timeline[member_id].append((day, status, branch_id))
        self.days = {pk: [d for d, _s, _b in events] for pk, events in self.timeline.items()}
        # Quiet spells: the half year before losing contact, and (for members the members demo keeps
        # quiet for its lost-contact warnings) everything after the last contact.
        self.quiet_from: dict[int, list] = defaultdict(list)
        for member_id, events in self.timeline.items():
            for day, status, _b in events:
                if status == Status.LOST:
                    self.quiet_from[member_id].append((day - datetime.timedelta(days=200), day))
        cutoff = timezone.localdate() - datetime.timedelta(days=120)
        for m in members:
            if m.last_contact_date and m.last_contact_date < cutoff:
                self.quiet_from[m.pk].append((m.last_contact_date + datetime.timedelta(days=1), datetime.date.max))

    def state_on(self, member_id: int, day: datetime.date):
        """(status, branch id) on ``day``, or (None, None) before registration."""
        i = bisect.bisect_right(self.days.get(member_id, []), day)
        if i == 0:
            return None, None
        _day, status, branch_id = self.timeline[member_id][i - 1]
        return status, branch_id

    def can_attend(self, member_id: int, day: datetime.date) -> bool:
        status, _b = self.state_on(member_id, day)
        if status != Status.ACTIVE:
            return False
        return not any(lo <= day <= hi for lo, hi in self.quiet_from.get(member_id, ()))

    def chance(self, member: Member, type_name: str, day: datetime.date) -> float:
        elderly, younger = _CHANCE[type_name]
        p = elderly if member.age_on(day) >= settings.ELDERLY_AGE else younger
        for tag in self.tags[member.pk]:
            p *= _TAG_BOOST.get(tag, {}).get(type_name, 1.0)
        return min(p * self.factor[member.pk], 0.97)


@dataclass
class ActivitiesDemoSummary:
    committee: Committee
    counts: dict


def demo_activities_loaded(committee: Committee | None = None) -> bool:
    committee = committee or Committee.objects.filter(name=COMMITTEE_NAME).first()
    return committee is not None and Activity.objects.filter(committee=committee).exists()


def load_demo_activities(*, now: datetime.datetime | None = None) -> ActivitiesDemoSummary | None:
    """Load the demo activities into the demo committee. Returns None (and changes nothing) if the
    committee already has activities. Raises DemoError in production or without the members demo.

    Safe to call from ``taizhang.members.demo.load_demo`` (inside its transaction), after ``_load``.
    """
    if settings.PRODUCTION:
        raise DemoError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
    now = now or timezone.now()
    with transaction.atomic():
        committee = Committee.objects.select_for_update().filter(name=COMMITTEE_NAME).first()
        if committee is None:
            raise DemoError(_("Load the demo members first (manage.py load_demo)."))
        if demo_activities_loaded(committee):
            return None
        with audit_buffered():  # the audit entries in a few chained bulk inserts, not one by one
            return _Loader(committee, now).load()


class _Loader:
    def __init__(self, committee: Committee, now: datetime.datetime):
        self.committee = committee
        self.now = now
        self.rng = random.Random(ACTIVITY_SEED)
        users = {u.username: u for u in User.objects.filter(username__in=["shuji", "dongbu", "zhongbu", "xibu",
                                                                         "dangyuan"])}
        missing = {"shuji", "dongbu", "zhongbu", "xibu"} - set(users)
        if missing:
            raise DemoError(_("The demo logins are missing: %(names)s.") % {"names": ", ".join(sorted(missing))})
        self.shuji = users["shuji"]
        self.login = users.get("dangyuan")
        self.branches = {b.code: b for b in committee.branches.all()}
        self.secretary = {"east": users["dongbu"], "central": users["zhongbu"], "west": users["xibu"]}
        self.groups = {g.name: g for g in PartyGroup.objects.filter(branch__committee=committee).select_related("branch")}
        self.people = _People(committee, self.rng)
        self.login_member = Member.objects.filter(user=self.login).first() if self.login else None

    def load(self) -> ActivitiesDemoSummary:
        activity_types_seed(actor=self.shuji, committee=self.committee)
        self.types = {t.name: t for t in self.committee.activity_types.all()}
        branch_groups = {code: [g.name for g in self.groups.values() if g.branch.code == code]
                         for code in self.branches}
        for plan in build_plan(branch_groups):
            self._one(plan)
        return ActivitiesDemoSummary(committee=self.committee, counts={
            "activities": Activity.objects.filter(committee=self.committee).count(),
            "cancelled": Activity.objects.filter(committee=self.committee, cancelled=True).count(),
            "attendance": Attendance.objects.filter(activity__committee=self.committee).count(),
            "present": Attendance.objects.filter(activity__committee=self.committee,
                                                 status=AttendanceStatus.PRESENT).count(),
            "signups": SignUp.objects.filter(activity__committee=self.committee).count(),
            "waitlisted": SignUp.objects.filter(activity__committee=self.committee,
                                                status=SignUpStatus.WAITLISTED).count(),
        })

    # --- one activity ---------------------------------------------------------------------------------

    def _organiser(self, plan: _Plan):
        if plan.organiser is None:
            return self.shuji, None
        return self.secretary[plan.organiser], self.branches[plan.organiser]

    def _one(self, plan: _Plan) -> None:
        rng, people = self.rng, self.people
        day = timezone.localdate(plan.starts)
        actor, branch = self._organiser(plan)
        group = self.groups[plan.group] if plan.group else None

        # The audience on the day, as the flow history has it (the services check it again).
        key = audiences.key_for(plan.audience, self.committee.pk, branch.pk if branch else None,
                                group.pk if group else None,
                                group.branch_id if group else None)

        def in_audience(m: Member) -> bool:
            status, branch_id = people.state_on(m.pk, day)
            return audiences.key_includes(key, status=status, committee_id=self.committee.pk, branch_id=branch_id,
                                          group_id=m.party_group_id, member_id=m.pk)

        picked = []
        if plan.picked:  # the branch committee: three active members who are in the branch then and now
            candidates = [m for m in people.members if m.branch_id == branch.pk and people.can_attend(m.pk, day)
                          and people.state_on(m.pk, day)[1] == branch.pk]
            candidates.sort(key=lambda m: ("片区联络员" not in people.tags[m.pk], people.days[m.pk][0], m.name))
            picked = candidates[:3]
            if not picked:
                return
        audience = picked or [m for m in people.members if in_audience(m)]

        activity = activity_create(
            actor=actor, committee=self.committee, activity_type=self.types[plan.type_name], title=plan.title,
            starts_at=plan.starts, ends_at=plan.starts + datetime.timedelta(minutes=plan.minutes), place=plan.place,
            organiser_branch=branch, audience_kind=plan.audience,
            audience_branch=branch if plan.audience == AudienceKind.BRANCH else None, audience_group=group,
            picked_members=picked, capacity=plan.capacity, notes=plan.notes,
        )
        if plan.cancel_reason:
            activity_cancel(actor=actor, activity=activity, reason=plan.cancel_reason)
            return

        able = [m for m in audience if people.can_attend(m.pk, day)]
        willing = [m for m in able if rng.random() < people.chance(m, plan.type_name, day)]
        if plan.capacity is not None:
            willing = self._signups(activity, plan, able, willing)
        if activity.ends_at > self.now:
            return  # not over yet: sign-ups only
        present = [m for m in willing if rng.random() < 0.92]  # a few who meant to come do not
        with hooks.attendance_batch():  # points hear once per activity and recorder, not once per sheet
            self._attendance(activity, plan, actor, audience, able, present)

    def _signups(self, activity: Activity, plan: _Plan, able: list, willing: list) -> list:
        """Sign the willing up (a few more sign up and cancel again); return who holds a place at the start.

        Past activities: sign-ups during the two weeks before, each made by the committee secretary
        for the member (or by the member login itself). Upcoming ones: made now.
        """
        rng, people = self.rng, self.people
        willing_ids = {m.pk for m in willing}
        extra = [m for m in able if m.pk not in willing_ids and rng.random() < 0.03]
        extra_ids = {m.pk for m in extra}
        upcoming = activity.starts_at > self.now
        opens = activity.starts_at - datetime.timedelta(days=14)
        pairs = []
        for member in willing + extra:
            moment = None
            if not upcoming:
                moment = opens + (activity.starts_at - opens) * rng.uniform(0.0, 0.95)
                if people.state_on(member.pk, timezone.localdate(moment))[0] is None:
                    moment = activity.starts_at - datetime.timedelta(hours=2)  # registered in the meantime
            pairs.append((moment, member))
        if not upcoming:
            pairs.sort(key=lambda pair: (pair[0], pair[1].name))
        signups = []
        for moment, member in pairs:
            actor = self.login if (self.login_member and member.pk == self.login_member.pk) else self.shuji
            signups.append(signup_create(actor=actor, activity=activity, member=member, now=moment))
        for signup in signups:
            if signup.member_id in extra_ids:
                moment = None
                if not upcoming:
                    moment = signup.signed_up_at + (activity.starts_at - signup.signed_up_at) * rng.uniform(0.1, 0.9)
                signup_cancel(actor=self.shuji, signup=signup, now=moment)
        holders = set(SignUp.objects.filter(activity=activity, status=SignUpStatus.SIGNED_UP)
                      .values_list("member_id", flat=True))
        return [m for m in willing if m.pk in holders]

    def _attendance(self, activity: Activity, plan: _Plan, actor, audience: list, able: list, present: list) -> None:
        rng, people = self.rng, self.people
        day = activity.date
        present_ids = {m.pk for m in present}
        able_ids = {m.pk for m in able}
        leave, absent = [], []
        for m in audience:
            if m.pk in present_ids:
                continue
            status, _b = people.state_on(m.pk, day)
            if m.pk in able_ids and rng.random() < 0.04:
                reason = (AbsenceReason.ILLNESS if m.age_on(day) >= settings.ELDERLY_AGE and rng.random() < 0.6
                          else rng.choice([AbsenceReason.WORK, AbsenceReason.OUT_OF_BEIJING, AbsenceReason.OTHER]))
                leave.append(AttendanceEntry(m, AttendanceStatus.LEAVE, reason, rng.choice(_LEAVE_NOTES[reason])))
            elif plan.type_name in _FORMAL_MEETINGS and status == Status.OUTFLOW:
                absent.append(AttendanceEntry(m, AttendanceStatus.ABSENT, AbsenceReason.OUT_OF_BEIJING, "暂离京"))
            elif plan.type_name in _FORMAL_MEETINGS and m.pk in able_ids and rng.random() < 0.3:
                reason = rng.choice([AbsenceReason.WORK, AbsenceReason.ILLNESS])
                absent.append(AttendanceEntry(m, AttendanceStatus.ABSENT, reason, rng.choice(_LEAVE_NOTES[reason])))

        def record(entries, moment):
            # The organiser records its own branch's members; the committee secretary everyone else
            # (members who have since moved to another branch).
            mine = [e for e in entries if actor is self.shuji or e.member.branch_id == activity.organiser_branch_id]
            others = [e for e in entries if not (actor is self.shuji or e.member.branch_id == activity.organiser_branch_id)]
            for who, batch in ((actor, mine), (self.shuji, others)):
                if batch:
                    attendance_record_many(actor=who, activity=activity, entries=batch, now=moment)

        record(leave, activity.starts_at - datetime.timedelta(hours=rng.randint(3, 60)))
        qr = [m for m in present if self.login_member and m.pk == self.login_member.pk
              and activity.starts_at.year >= 2024]
        qr_ids = {m.pk for m in qr}
        for m in qr:  # the member login checks in with the QR code on the phone
            attendance_check_in(actor=self.login, activity=activity, member=m, method=CheckInMethod.QR,
                                now=activity.starts_at - datetime.timedelta(minutes=rng.randint(0, 18)))
        sheet = [AttendanceEntry(m, AttendanceStatus.PRESENT) for m in present if m.pk not in qr_ids] + absent
        record(sheet, activity.ends_at + datetime.timedelta(hours=rng.randint(1, 30)))
