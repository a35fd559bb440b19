"""Demo data: an invented committee modelled on the customer's story, for ``manage.py load_demo``.

Every person, company and address here is invented; the names of the real people in the source
story are never used. The data is deterministic (``random.Random(DEMO_SEED)``) and goes through the
real services (``committee_create``, ``user_create``/``role_assign``, ``member_register``,
``flow_record_event``, ``member_update``, ``note_add``; ``role_assign`` links the member login; accounts by the system admin, roles by the security admin) so validation and the audit log stay true.

Flow histories run from the committee's founding (2017-09-01) to the end of October 2026 (or the day
before today, if earlier); nothing is dated before the founding or in the future.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import Role
from taizhang.accounts.services import role_assign, user_create
from taizhang.core.audit import audit_buffered
from taizhang.core.chinese import parse_citizen_id
from taizhang.members import flow
from taizhang.members.models import (
    ROSTER_STATUSES,
    BehaviourNote,
    Category,
    Education,
    EmploymentStatus,
    EventKind,
    FlowEvent,
    Member,
    MembershipType,
    Status,
)
from taizhang.members.selectors import annotate_status
from taizhang.members.services import (
    flow_record_event,
    household_create,
    member_register,
    member_update,
    note_add,
    tag_get_or_create,
)
from taizhang.organisation.models import DEFAULT_BRANCHES, Committee, District
from taizhang.organisation.selectors import suggest_branch
from taizhang.organisation.services import committee_create, committee_set_superior, party_group_create

COMMITTEE_NAME = "青岛市南区在京流动党员党委"
FOUNDED_ON = datetime.date(2017, 9, 1)
DEMO_SEED = 20170901
DEMO_PASSWORD = "Taizhang@2026"
MEMBER_COUNT = 186
# Flow histories end here (or the day before today, whichever is earlier).
HISTORY_END = datetime.date(2026, 10, 31)
# Ages are drawn relative to this fixed day so that the data does not depend on when it is loaded.
AGE_REFERENCE = datetime.date(2026, 11, 1)

# (user name, role as shown to people). scripts/run.sh prints these after start-up.
DEMO_LOGINS = [
    ("shuji", "党委书记"),
    ("dongbu", "东部片区支部书记"),
    ("zhongbu", "中部片区支部书记"),
    ("xibu", "西部片区支部书记"),
    ("xuexi", "学习委员"),
    ("dangyuan", "党员（东部片区）"),
    ("xitong", "系统管理员"),
    ("anquan", "安全管理员"),
    ("shenji", "审计管理员"),
    ("shangji", "上级党组织（只看汇总）"),
    ("caiwu", "财务（经费、捐款）"),
]

# Invented display names of the staff logins (dangyuan takes the name of its member record).
STAFF = {
    "shuji": ("于海宁", Role.COMMITTEE_ADMIN, None),
    "dongbu": ("姜立军", Role.BRANCH_SECRETARY, "east"),
    "zhongbu": ("曲晓梅", Role.BRANCH_SECRETARY, "central"),
    "xibu": ("隋志鹏", Role.BRANCH_SECRETARY, "west"),
    "xuexi": ("宫雪琳", Role.STUDY_MEMBER, None),
    "xitong": ("王浩宇", Role.SYSTEM_ADMIN, None),
    "anquan": ("林静怡", Role.SECURITY_ADMIN, None),
    "shenji": ("栾德明", Role.AUDIT_ADMIN, None),
    "shangji": ("薛明远", Role.SUPERIOR_VIEWER, None),
    "caiwu": ("冷秀娟", Role.TREASURER, None),
}
# The home organisation above the committee (上级党组织): its people see the committee's totals only.
SUPERIOR_NAME = "中共青岛市市南区委组织部"

# Names that must never appear: the real people of the source story and the staff logins above.
_FORBIDDEN_NAMES = {"陈献东", "梁帅", "韦正根", "蓝天翼", "张艳"} | {v[0] for v in STAFF.values()}

TAGS = [
    "书画爱好者", "志愿者骨干", "学习积极分子", "需重点关怀", "行动不便", "党史宣讲员", "文艺骨干",
    "摄影爱好者", "微党课讲师", "技术骨干", "退役军人", "热心公益", "片区联络员", "结对帮扶", "青年骨干",
]

# branch code -> party groups; a member joins one when the district (and age) fits.
PARTY_GROUPS = {
    "east": ["朝阳党小组", "通州顺义党小组"],
    "central": ["海淀党小组", "老党员党小组"],
    "west": ["丰台党小组"],
}

# --- name material ---------------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗宋郑谢韩唐冯于董曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎潘杜戴夏钟汪田任姜范方石姚谭廖邹金陆郝孔白崔康毛邱秦江史顾侯邵孟万段钱汤尹黎常武乔贺龚文"
)
_QINGDAO_SURNAMES = "姜于曲隋宫栾逄衣修矫王张刘李孙"  # common on the Jiaodong peninsula
_GIVEN = {
    ("old", "M"): ["建国", "国庆", "卫东", "志强", "德胜", "振华", "建华", "玉山", "洪涛", "树林", "长青",
                   "福田", "宝山", "永胜", "学文", "庆丰", "德明", "兆祥", "世荣", "文斌", "克俭", "广才"],
    ("old", "F"): ["秀兰", "桂英", "玉兰", "淑珍", "秀英", "凤英", "桂芳", "美华", "丽华", "淑华", "翠萍",
                   "玉珍", "素梅", "春梅", "爱华", "秀云", "凤兰", "文英", "慧敏", "淑贞", "月娥"],
    ("mid", "M"): ["海涛", "建军", "志刚", "伟", "勇", "军", "磊", "涛", "斌", "鹏", "永刚", "晓东", "立新",
                   "红军", "卫国", "海波", "继东", "国栋", "振宇", "宏伟", "学军", "志勇", "青松"],
    ("mid", "F"): ["丽", "静", "燕", "红梅", "晓红", "丽娜", "海燕", "艳", "霞", "莉", "秀芳", "晓燕", "丽萍",
                   "文静", "雪梅", "春燕", "晓玲", "海英", "红霞", "美玲", "慧"],
    ("young", "M"): ["浩然", "子轩", "宇航", "博文", "思远", "晨阳", "俊杰", "一鸣", "天宇", "嘉豪", "文博",
                     "明哲", "昊天", "泽宇", "晓峰", "家豪", "睿", "凯", "鑫", "航", "帅然", "振东"],
    ("young", "F"): ["雨涵", "欣怡", "思琪", "梦瑶", "佳怡", "婧雯", "诗涵", "晓雪", "若曦", "雅琪", "子涵",
                     "梓萱", "一诺", "可馨", "静怡", "晓彤", "佳琪", "璐", "丹", "倩", "婷婷"],
}

# --- places ----------------------------------------------------------------------------------

# Where members live, by weight (more people live in the big inner districts).
_DISTRICT_WEIGHTS = {
    "朝阳区": 20, "海淀区": 16, "丰台区": 12, "西城区": 8, "东城区": 6, "通州区": 9, "昌平区": 9,
    "大兴区": 8, "顺义区": 5, "石景山区": 4, "房山区": 3, "门头沟区": 2, "怀柔区": 1, "平谷区": 1,
    "密云区": 1, "延庆区": 1,
}
_COMMUNITY_HEADS = ["和平", "阳光", "康乐", "翠林", "金桂", "润泽", "锦绣", "长安", "春晖", "惠民", "青枫",
                    "百合", "安华", "嘉园", "福润", "明珠", "兴隆", "丽景", "东湖", "西山"]
_COMMUNITY_TAILS = ["家园", "小区", "花园", "苑", "里", "新村", "雅居"]
_SHINAN_ROADS = ["香港中路", "闽江路", "江西路", "宁夏路", "延安三路", "南京路", "福州南路", "燕儿岛路",
                 "湛山三路", "金湖路", "太平角一路", "漳州二路"]

# Region codes of the Qingdao districts (birth place / first registration), by weight.
_REGIONS = [("370202", 50), ("370203", 12), ("370211", 8), ("370212", 6), ("370213", 6), ("370214", 6),
            ("370281", 4), ("370283", 4), ("370285", 4)]
# Codes in use before 1983 (python-stdnum checks a region code against the birth year): mostly the
# old "市区" code, some of the counties.
_OLD_REGIONS = [("370220", 60), ("370221", 10), ("370222", 10), ("370223", 10), ("370224", 10)]
# Registrations after the founding wave, by year (fewer in 2020, the first pandemic year).
_INFLOW_YEARS = {2018: 14, 2019: 13, 2020: 8, 2021: 11, 2022: 9, 2023: 12, 2024: 11, 2025: 10, 2026: 8}
_MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                    "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "182",
                    "183", "185", "186", "187", "188", "189", "191", "198", "199"]

# --- work ------------------------------------------------------------------------------------

# industry -> (invented employers, positions)
_WORK = {
    "软件和信息技术服务业": (
        ["北京青禾数字科技有限公司", "北京蓝海云创信息技术有限公司", "北京智汇通达软件有限公司", "北京星澜数据服务有限公司"],
        ["软件工程师", "产品经理", "测试工程师", "系统架构师", "项目经理", "运维工程师", "数据分析师"],
    ),
    "金融业": (
        ["海融银行北京分行", "北京汇通证券营业部", "安盈保险北京分公司", "北京信和基金管理有限公司"],
        ["客户经理", "风控专员", "投资顾问", "会计", "理财经理"],
    ),
    "建筑装饰业": (
        ["北京鲁青装饰工程有限公司", "北京筑邦建筑设计有限公司", "北京海韵建设工程有限公司"],
        ["项目经理", "施工员", "室内设计师", "造价工程师", "安全员"],
    ),
    "教育": (
        ["北京博学教育科技有限公司", "北京青苗幼儿园", "北京华文职业技能培训学校", "北京启航国际学校"],
        ["教师", "教研员", "班主任", "课程顾问"],
    ),
    "医疗卫生": (
        ["北京康华医院", "北京仁和口腔诊所", "北京安康医药有限公司"],
        ["医生", "护士", "药剂师", "医药代表"],
    ),
    "文化传媒": (["北京海风文化传媒有限公司", "北京墨韵出版策划有限公司"], ["编辑", "记者", "策划"]),
    "交通运输和物流": (["北京青港物流有限公司", "北京捷运通供应链有限公司"], ["调度员", "业务经理", "司机"]),
    "餐饮服务": (["北京崂山渔家餐饮有限公司", "北京海之味餐饮管理有限公司"], ["店长", "厨师长", "服务员"]),
    "法律服务": (["北京正衡律师事务所"], ["律师", "律师助理"]),
}
_WORK_WEIGHTS = {"软件和信息技术服务业": 24, "金融业": 14, "建筑装饰业": 14, "教育": 12, "医疗卫生": 10,
                 "文化传媒": 7, "交通运输和物流": 7, "餐饮服务": 6, "法律服务": 3}
# Stationed in Beijing: offices and long business trips (category "stationed").
_STATIONED = [
    ("市南区人民政府驻京办事处", "公共管理", ["办事员", "联络员", "副主任", "主任"]),
    ("青岛海川集团驻京办事处", "制造业", ["办事处主任", "业务经理", "商务专员"]),
    ("青岛港湾物流有限公司北京办事处", "交通运输和物流", ["业务代表", "办事处经理"]),
    ("青岛东岸建设集团北京项目部", "建筑装饰业", ["项目经理", "工程师", "技术员"]),
    ("青岛蓝湾食品有限公司北京销售中心", "批发和零售业", ["区域经理", "销售代表"]),
]

_INTERESTS_OLD = ["书法", "绘画", "太极拳", "京剧", "合唱", "象棋", "园艺", "广场舞", "阅读", "剪纸", "钓鱼"]
_INTERESTS_YOUNG = ["摄影", "跑步", "羽毛球", "登山", "阅读", "编程", "写作", "朗诵", "乒乓球", "骑行", "书法"]

_CONTACT_REASONS = ["电话联系，了解近况", "到党员之家报到", "参加集体学习", "微信视频联系", "年度向党组织报告情况",
                    "支部书记走访", "参加主题党日活动"]


# --- helpers ---------------------------------------------------------------------------------


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def history_end(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return min(HISTORY_END, today - _days(1))


class DemoError(Exception):
    """The demo cannot be loaded here (production) or is inconsistent with the database."""


@dataclass
class DemoSummary:
    committee: Committee
    counts: dict


@dataclass
class _Person:
    index: int
    gender: str
    birth: datetime.date
    elderly: bool
    name: str = ""
    couple: int | None = None  # household key shared by an elderly couple
    ethnicity: str = "汉族"
    education: str = ""
    category: str = Category.WORKING
    employment_status: str = ""
    employer: str = ""
    industry: str = ""
    position: str = ""
    district: str = ""
    branch_code: str = ""
    override_reason: str = ""
    residence: str = ""
    hukou: str = ""
    interests: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    membership: str = MembershipType.FULL
    join: datetime.date | None = None
    full: datetime.date | None = None
    registered_on: datetime.date | None = None
    registration_reason: str = ""
    reported: bool = True
    report_later: bool = False
    probation_done: bool = False
    current_probationary: bool = False
    recent_awaiting: bool = False
    founding_wave: bool = False
    quiet: bool = False
    scenario: str = ""
    move_to: str = ""
    move_district: str = ""
    move_residence: str = ""
    id_number: str = ""
    phone: str = ""
    household_key: int | None = None
    events: list = field(default_factory=list)  # (date, kind, kwargs)
    notes: list = field(default_factory=list)  # (date, text)
    login: bool = False

    def age_on(self, day: datetime.date) -> int:
        b = self.birth
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


# --- the cast of invented members -----------------------------------------------------------


class _Generator:
    """Builds the invented people and their flow plans, deterministically from one seed."""

    def __init__(self, end: datetime.date):
        self.rng = random.Random(DEMO_SEED)
        self.end = end
        self.names: set = set()
        self.id_numbers: set = set()
        self.phones: set = set()
        self.branch_of = {d: code for code, _n, districts in DEFAULT_BRANCHES for d in districts}

    # small random helpers
    def pick(self, weighted: dict | list):
        items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
        return self.rng.choices([k for k, _w in items], weights=[w for _k, w in items])[0]

    def day_between(self, lo: datetime.date, hi: datetime.date) -> datetime.date:
        if hi < lo:
            raise DemoError(f"demo plan: empty date range {lo}..{hi}")
        return lo + _days(self.rng.randint(0, (hi - lo).days))

    def inflow_day(self, lo: datetime.date, hi: datetime.date) -> datetime.date:
        """A registration day in [lo, hi], the year drawn from the yearly inflow weights."""
        years = {y: w for y, w in _INFLOW_YEARS.items() if lo.year <= y <= hi.year}
        if not years:
            return self.day_between(lo, hi)
        year = self.pick(years)
        return self.day_between(max(lo, datetime.date(year, 1, 1)), min(hi, datetime.date(year, 12, 31)))

    # people
    def person(self, index: int, age: int, gender: str, elderly: bool) -> _Person:
        birth = _years_after(AGE_REFERENCE, -age) - _days(self.rng.randint(1, 360))
        return _Person(index=index, gender=gender, birth=birth, elderly=elderly)

    def name_for(self, p: _Person, surname: str | None = None) -> str:
        generation = "old" if p.birth.year < 1967 else "mid" if p.birth.year < 1987 else "young"
        for _attempt in range(200):
            family = surname or (
                self.rng.choice(_QINGDAO_SURNAMES) if self.rng.random() < 0.35 else self.rng.choice(_SURNAMES)
            )
            name = family + self.rng.choice(_GIVEN[(generation, p.gender)])
            if name not in self.names and name not in _FORBIDDEN_NAMES:
                self.names.add(name)
                return name
            surname = None
        raise DemoError("demo plan: ran out of names")

    def id_number_for(self, p: _Person) -> str:
        """A valid invented number. The region falls back to codes the validator accepts for the birth
        year (python-stdnum rejects e.g. 370202 for anyone born before 1983)."""
        regions = [self.pick(_REGIONS), "370202", self.pick(_OLD_REGIONS), *(r for r, _w in _OLD_REGIONS)]
        for region in regions:
            for _attempt in range(20):
                order = self.rng.randint(0, 499) * 2 + (1 if p.gender == "M" else 0)
                first17 = f"{region}{p.birth:%Y%m%d}{order:03d}"
                number = first17 + _check_digit(first17)
                if number not in self.id_numbers:
                    break
            try:
                parse_citizen_id(number)
            except ValidationError:
                continue
            self.id_numbers.add(number)
            return number
        raise DemoError(f"demo plan: no valid citizen ID number for {p.birth}")

    def phone_for(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def residence_for(self, district: str) -> str:
        community = self.rng.choice(_COMMUNITY_HEADS) + self.rng.choice(_COMMUNITY_TAILS)
        building, unit = self.rng.randint(1, 28), self.rng.randint(1, 6)
        room = f"{self.rng.randint(1, 18)}{self.rng.randint(1, 4):02d}"
        return f"北京市{district}{community}{building}号楼{unit}单元{room}室"

    def shinan_address(self) -> str:
        return f"山东省青岛市市南区{self.rng.choice(_SHINAN_ROADS)}{self.rng.randint(1, 160)}号"

    def build(self) -> list:
        rng = self.rng
        people: list[_Person] = []

        # 62 members aged 60+ (a third): 10 couples sharing a household and 42 living alone with family.
        for couple in range(10):
            husband_age = rng.randint(62, 80)
            h = self.person(len(people), husband_age, "M", True)
            w = self.person(len(people) + 1, max(60, husband_age - rng.randint(0, 4)), "F", True)
            h.couple = w.couple = couple
            people += [h, w]
        for _i in range(42):
            age = self.pick({60: 5, 62: 5, 64: 5, 66: 5, 68: 4, 70: 4, 72: 3, 74: 3, 76: 3, 78: 2, 81: 2, 84: 1})
            age += rng.randint(0, 1)
            people.append(self.person(len(people), age, "F" if rng.random() < 0.6 else "M", True))
        # 124 younger members: 15 probationary (joined within the last year), the rest spread 25–59.
        for _i in range(15):
            people.append(self.person(len(people), rng.randint(23, 34), rng.choice("MF"), False))
            people[-1].current_probationary = True
        for band, count in (((25, 34), 30), ((35, 44), 40), ((45, 59), 39)):
            for _i in range(count):
                people.append(self.person(len(people), rng.randint(*band), "M" if rng.random() < 0.55 else "F", False))
        assert len(people) == MEMBER_COUNT

        # Names: couples have different surnames; everyone's name is unique.
        for p in people:
            p.name = self.name_for(p)

        self._assign_personal(people)
        self._assign_work_and_place(people)
        self._assign_dates(people)
        self._assign_scenarios(people)
        self._assign_interests_and_tags(people)
        for p in people:
            self._plan_events(p)
        self._assign_notes(people)
        return people

    def _assign_personal(self, people):
        rng = self.rng
        minorities = rng.sample(range(len(people)), 11)
        for i, idx in enumerate(minorities):
            people[idx].ethnicity = "回族" if i < 4 else "满族" if i < 8 else "朝鲜族"
        for p in people:
            p.id_number = self.id_number_for(p)
            p.phone = self.phone_for()
            age = p.age_on(AGE_REFERENCE)
            if p.elderly:
                weights = {Education.MIDDLE_SCHOOL: 30, Education.HIGH_SCHOOL: 25, Education.SECONDARY: 20,
                           Education.COLLEGE: 15, Education.BACHELOR: 10}
            elif age >= 45:
                weights = {Education.HIGH_SCHOOL: 10, Education.SECONDARY: 15, Education.COLLEGE: 25,
                           Education.BACHELOR: 40, Education.POSTGRADUATE: 10}
            else:
                weights = {Education.COLLEGE: 15, Education.BACHELOR: 55, Education.POSTGRADUATE: 30}
            p.education = self.pick(weights)
            p.hukou = self.shinan_address()

    def _assign_work_and_place(self, people):
        rng = self.rng
        # Every district has someone: 16 people living alone get one district each.
        coverage = dict(zip(rng.sample([p.index for p in people if p.couple is None], 16), _DISTRICT_WEIGHTS,
                            strict=True))
        couples: dict = {}
        for p in people:
            age = p.age_on(AGE_REFERENCE)
            if p.elderly:
                # Mostly grandparents looking after grandchildren; some settled with their children.
                if p.couple is not None or rng.random() < 0.85:
                    p.category = Category.RESIDENT
                else:
                    p.category = Category.WORKING
                p.employment_status = EmploymentStatus.RETIRED
            elif p.current_probationary:
                p.category = Category.STATIONED if rng.random() < 0.15 else Category.WORKING
            else:
                r = rng.random()
                if age >= 45 and r < 0.22:
                    p.category = Category.RESIDENT
                else:
                    p.category = Category.STATIONED if rng.random() < 0.2 else Category.WORKING
            if p.category == Category.WORKING and not p.elderly:
                p.industry = self.pick(_WORK_WEIGHTS)
                employers, positions = _WORK[p.industry]
                p.employer, p.position = rng.choice(employers), rng.choice(positions)
                p.employment_status = EmploymentStatus.EMPLOYED
                if rng.random() < 0.08:
                    p.employer, p.industry, p.position = "个体经营", "批发和零售业", "店主"
                    p.employment_status = EmploymentStatus.SELF_EMPLOYED
            elif p.category == Category.STATIONED:
                p.employer, p.industry, positions = rng.choice(_STATIONED)
                p.position = rng.choice(positions)
                p.employment_status = EmploymentStatus.EMPLOYED
            elif p.category == Category.RESIDENT and not p.elderly:
                p.employment_status = EmploymentStatus.UNEMPLOYED

            if p.couple is not None and p.couple in couples:
                partner = couples[p.couple]
                p.district, p.residence, p.hukou = partner.district, partner.residence, partner.hukou
            else:
                p.district = coverage.get(p.index) or self.pick(_DISTRICT_WEIGHTS)
                p.residence = self.residence_for(p.district)
                if p.couple is not None:
                    couples[p.couple] = p
            p.branch_code = self.branch_of[p.district]
            if p.category == Category.WORKING and not p.elderly and age >= 35 and rng.random() < 0.12:
                p.hukou = f"北京市{p.district}{rng.choice(_COMMUNITY_HEADS)}街道"
            if p.elderly and p.couple is not None:
                p.household_key = p.couple
            elif p.elderly:
                p.household_key = 100 + p.index

        # A few members chose another branch than the one their district suggests.
        reasons = {
            "east": "工作单位在朝阳区，本人申请编入东部片区支部",
            "central": "工作单位在海淀区，本人申请编入中部片区支部",
            "west": "子女住在丰台区，常在西部片区活动，本人申请编入西部片区支部",
        }
        candidates = [p for p in people if not p.elderly and not p.current_probationary]
        for p in rng.sample(candidates, 4):
            other = rng.choice([c for c in ("east", "central", "west") if c != p.branch_code])
            p.branch_code, p.override_reason = other, reasons[other]

    def _assign_dates(self, people):
        rng, end = self.rng, self.end
        early = [p for p in people if not p.current_probationary]
        # 3 very recent registrations still awaiting their report; 10 registered while probationary.
        young_workers = [p for p in early if not p.elderly and p.category != Category.RESIDENT and p.couple is None
                         and not p.override_reason]
        for p in rng.sample(young_workers, 3):
            p.recent_awaiting = True
        probation_pool = [p for p in young_workers if not p.recent_awaiting and p.age_on(AGE_REFERENCE) <= 40]
        for p in rng.sample(probation_pool, 10):
            p.probation_done = True
        # The founding wave: 75 members registered in September–December 2017 (18 on the founding day).
        wave_pool = [p for p in early if not p.recent_awaiting and not p.probation_done
                     and _years_after(p.birth, 21) <= datetime.date(2017, 12, 31)]
        wave = rng.sample(wave_pool, 75)
        for i, p in enumerate(wave):
            p.founding_wave = True
            p.registered_on = FOUNDED_ON if i < 18 else self.day_between(FOUNDED_ON, datetime.date(2017, 12, 31))
            p.registration_reason = "党委成立时首批登记"

        couples: dict = {}
        for p in people:
            if p.couple is not None and p.couple in couples and not p.founding_wave:
                p.registered_on = couples[p.couple].registered_on
            if p.registered_on is None:
                if p.current_probationary:
                    p.join = self.day_between(end - _days(320), end - _days(40))
                    p.registered_on = p.join + _days(rng.randint(5, min(90, (end - p.join).days - 1)))
                elif p.recent_awaiting:
                    p.registered_on = self.day_between(end - _days(30), end - _days(3))
                elif p.probation_done:
                    lo = max(datetime.date(2018, 3, 1), _years_after(p.birth, 20))
                    p.registered_on = self.day_between(lo, end - _days(420))
                else:
                    p.registered_on = self.inflow_day(max(datetime.date(2018, 1, 1), _years_after(p.birth, 21)),
                                                      end - _days(20))
                if not p.registration_reason:
                    p.registration_reason = rng.choice(
                        ["经原支部介绍来京登记", "持《流动党员活动证》报到登记", "本人主动联系党委登记", ""]
                    )
            if p.couple is not None:
                couples.setdefault(p.couple, p)
            if p.override_reason:
                p.registration_reason = p.override_reason
            self._membership(p)
        for p in people:
            if p.recent_awaiting:
                p.reported = False
        # Some earlier registrations reported to their branch a few weeks after registering.
        later = [p for p in people if p.registered_on <= end - _days(200) and not p.probation_done
                 and p.couple is None]
        for p in rng.sample(later, 8):
            p.reported, p.report_later = False, True

    def _membership(self, p: _Person) -> None:
        rng = self.rng
        if p.current_probationary:
            p.membership = MembershipType.PROBATIONARY
            return
        if p.probation_done:
            p.membership = MembershipType.PROBATIONARY
            p.join = max(p.registered_on - _days(rng.randint(20, 250)), _years_after(p.birth, 18) + _days(10))
            return
        earliest = _years_after(p.birth, 18) + _days(30)
        latest = min(p.registered_on - _days(400), _years_after(p.birth, 50))
        span = max((latest - earliest).days, 0)
        p.join = earliest + _days(int(rng.triangular(0, span, span * 0.15)))
        p.full = _years_after(p.join, 1)
        extension = rng.randint(60, 300)
        if rng.random() < 0.06 and p.full + _days(extension) <= p.registered_on:
            p.full += _days(extension)  # probation extended (at most one more year)

    def _assign_scenarios(self, people):
        rng, end = self.rng, self.end

        def pool(span_days, *, elderly=None, min_age=None):
            out = []
            for p in people:
                if (p.scenario or p.current_probationary or p.recent_awaiting or p.probation_done
                        or p.couple is not None):
                    continue
                if (end - p.registered_on).days < span_days:
                    continue
                if elderly is not None and p.elderly != elderly:
                    continue
                if min_age is not None and p.age_on(AGE_REFERENCE) < min_age:
                    continue
                out.append(p)
            return out

        def assign(name, count, candidates):
            chosen = rng.sample(candidates, count)
            for p in chosen:
                p.scenario = name
            return chosen

        # The plain member login ("dangyuan"): an ordinary active member of the east branch.
        login_pool = [p for p in pool(1500, elderly=False) if p.branch_code == "east"
                      and p.category == Category.WORKING and 28 <= p.age_on(AGE_REFERENCE) <= 45
                      and not p.report_later and not p.override_reason]
        login = rng.choice(login_pool)
        login.scenario, login.login = "ordinary", True

        assign("deceased", 2, pool(1200, elderly=True, min_age=80))
        assign("lost_suspended", 2, pool(900, elderly=False))
        assign("lost_restored", 3, pool(900, elderly=False))
        assign("lost", 2, pool(500, elderly=False))
        assign("transferred_reregistered", 1, pool(1100, elderly=False))
        assign("transferred", 8, pool(260))
        assign("moved", 6, pool(260))
        assign("outflow_return", 18, pool(560))
        assign("outflow_open", 5, pool(200))
        for p in rng.sample([p for p in people if not p.scenario and not p.current_probationary
                             and not p.recent_awaiting and p.registered_on < end - _days(200)], 5):
            p.quiet = True  # last contact 5–6 months ago: shows up in the lost-contact warnings

        for p in people:
            if p.scenario == "moved":
                p.move_to = rng.choice([c for c in ("east", "central", "west") if c != p.branch_code])
                p.move_district = rng.choice(
                    [d for d in _DISTRICT_WEIGHTS if self.branch_of[d] == p.move_to and _DISTRICT_WEIGHTS[d] >= 3]
                )
                p.move_residence = self.residence_for(p.move_district)

    def _assign_interests_and_tags(self, people):
        rng = self.rng
        for p in people:
            pool = _INTERESTS_OLD if p.elderly else _INTERESTS_YOUNG
            p.interests = rng.sample(pool, rng.choice([0, 1, 1, 2, 2, 3]))

        def tag(name, members):
            for p in members:
                if name not in p.tags:
                    p.tags.append(name)

        def some(count, candidates):
            candidates = list(candidates)
            return rng.sample(candidates, min(count, len(candidates)))

        alive = [p for p in people if p.scenario != "deceased"]
        # About twenty calligraphy and painting enthusiasts, mostly older members.
        artists = some(16, [p for p in people if p.elderly]) + some(6, [p for p in people if not p.elderly])
        for p in artists:
            if not {"书法", "绘画"} & set(p.interests):
                p.interests.insert(0, rng.choice(["书法", "绘画"]))
        tag("书画爱好者", artists)
        photographers = [p for p in people if "摄影" in p.interests][:8]
        tag("摄影爱好者", photographers)
        old = [p for p in people if p.age_on(AGE_REFERENCE) >= 75]
        tag("需重点关怀", old[:8])
        tag("行动不便", [p for p in old if p.age_on(AGE_REFERENCE) >= 78][:4])
        tag("党史宣讲员", some(4, [p for p in alive if p.elderly and p.education in (Education.COLLEGE, Education.BACHELOR)]))
        tag("技术骨干", some(6, [p for p in people if p.industry == "软件和信息技术服务业"]))
        tag("志愿者骨干", some(12, alive))
        tag("学习积极分子", some(15, alive))
        tag("文艺骨干", some(6, [p for p in alive if {"合唱", "京剧", "朗诵", "广场舞"} & set(p.interests)]))
        tag("微党课讲师", some(5, [p for p in alive if p.education in (Education.BACHELOR, Education.POSTGRADUATE)]))
        tag("退役军人", some(5, [p for p in people if p.gender == "M" and p.age_on(AGE_REFERENCE) >= 40]))
        tag("热心公益", some(8, alive))
        for code in ("east", "central", "west"):
            tag("片区联络员", some(2, [p for p in alive if p.branch_code == code and not p.scenario
                                   and not p.current_probationary]))
        tag("结对帮扶", some(4, [p for p in alive if not p.elderly and 30 <= p.age_on(AGE_REFERENCE) <= 50]))
        tag("青年骨干", some(8, [p for p in alive if p.age_on(AGE_REFERENCE) <= 35]))

    # --- flow plans ---------------------------------------------------------------------------

    def _plan_events(self, p: _Person) -> None:
        """Key events for the member's story, then contacts in the gaps where the status allows."""
        rng, end = self.rng, self.end
        key: list = []
        t = p.registered_on

        def add(day, kind, **kwargs):
            nonlocal t
            if day <= t or day > end:
                raise DemoError(f"demo plan: {p.name} {kind} on {day} (after {t}, before {end})")
            key.append((day, kind, kwargs))
            t = day

        if p.report_later:
            add(t + _days(rng.randint(7, 40)), EventKind.REPORTED, reason="到党员之家报到")
        if p.probation_done:
            add(_years_after(p.join, 1), EventKind.PROBATION_COMPLETED,
                reason="预备期满，经原支部大会讨论按期转为正式党员")

        s = p.scenario
        if s == "outflow_return":
            cycles = 2 if (end - t).days > 1500 and rng.random() < 0.3 else 1
            for c in range(cycles):
                hi = end - _days(150) if c == cycles - 1 else t + _days((end - t).days // 2 - 350)
                left = self.day_between(t + _days(120), min(hi, t + _days(1200)))
                add(left, EventKind.LEFT_BEIJING, reason=rng.choice(
                    ["回青岛过春节，暂住数月", "回青岛照顾家中老人", "回青岛就医"] if p.elderly
                    else ["长期出差外地", "外地项目驻场", "回青岛照顾家中老人", "外出学习培训"]))
                add(self.day_between(left + _days(45), min(left + _days(300), end - _days(5))),
                    EventKind.RETURNED, reason="返京后向支部报到")
        elif s == "outflow_open":
            add(self.day_between(max(t + _days(60), end - _days(300)), end - _days(20)), EventKind.LEFT_BEIJING,
                reason=rng.choice(["回青岛照顾家中老人", "长期出差外地", "外地项目驻场"]))
        elif s == "moved":
            branch_name = next(n for c, n, _d in DEFAULT_BRANCHES if c == p.move_to)
            add(self.day_between(t + _days(150), end - _days(30)), EventKind.MOVED_BRANCH,
                to_branch=p.move_to, reason=f"搬家至{p.move_district}，转入{branch_name}")
        elif s.startswith("lost"):
            cause = rng.choice([1, 1, 2, 4, 4, 5, 6, 6, 7])
            why = {
                1: "外出经商，电话长期无人接听", 2: "所在单位改制，本人去向不明", 4: "更换工作单位后未告知新的联系方式",
                5: "出国，未办理相关手续", 6: "搬离原住址，电话号码已停用", 7: "多次联系未果",
            }[cause]
            if s == "lost":
                lost_on = self.day_between(max(t + _days(240), end - _days(420)), end - _days(60))
            else:
                lost_on = self.day_between(t + _days(240), end - _days(420))
            add(lost_on, EventKind.LOST_CONTACT, reason=why, lost_contact_cause=cause)
            if s == "lost_restored":
                add(self.day_between(lost_on + _days(30), min(lost_on + _days(400), end - _days(10))),
                    EventKind.CONTACT_RESTORED, reason="经原单位同事协助联系上本人，已恢复联系")
            elif s == "lost_suspended":
                add(self.day_between(lost_on + _days(190), lost_on + _days(330)), EventKind.SUSPENDED,
                    reason="失去联系超过六个月，经多方查找仍无法取得联系，经党委研究决定停止党籍")
        elif s in ("transferred", "transferred_reregistered"):
            if p.elderly:
                why = "退休后返回青岛定居，组织关系转回原社区党委"
            elif p.category == Category.STATIONED:
                why = "驻京工作结束，组织关系转回青岛原单位党组织"
            else:
                why = rng.choice(["在京落户，组织关系转入所在街道党工委", "工作调动至上海，组织关系随转",
                                  "所在单位在京成立党组织，组织关系转入单位党支部", "返回青岛工作，组织关系转回市南区原支部"])
            hi = end - _days(10) if s == "transferred" else end - _days(560)
            moved_on = self.day_between(t + _days(200), hi)
            add(moved_on, EventKind.TRANSFERRED_OUT, reason=why)
            if s == "transferred_reregistered":
                add(self.day_between(moved_on + _days(120), moved_on + _days(500)), EventKind.REGISTERED,
                    reason="重新来京工作，再次登记")
        elif s == "deceased":
            add(self.day_between(max(t + _days(365), datetime.date(2020, 1, 1)), end - _days(30)),
                EventKind.DECEASED, reason="因病医治无效逝世")

        p.events = self._with_contacts(p, key)

    def _with_contacts(self, p: _Person, key: list) -> list:
        """Interleave contact records with the key events where the status allows them."""
        rng, end = self.rng, self.end
        events: list = []
        status = Status.AWAITING if not p.reported else Status.ACTIVE
        start = p.registered_on
        for day, kind, kwargs in key + [(None, None, None)]:
            stop = day or end + _days(1)
            quiet_before = 200 if kind == EventKind.LOST_CONTACT else 0
            can_contact = status in (Status.ACTIVE, Status.OUTFLOW) or (status == Status.AWAITING and not p.recent_awaiting)
            if can_contact:
                limit = stop - _days(quiet_before + 20)
                d = start + _days(rng.randint(150, 330))
                last = start
                while d < limit:
                    events.append((d, EventKind.CONTACTED, {"reason": rng.choice(_CONTACT_REASONS)}))
                    last = d
                    d += _days(rng.randint(200, 400))
                if day is None and status in (Status.ACTIVE, Status.OUTFLOW):
                    # Keep members in touch lately, except a few whose last contact is 5–6 months old.
                    if p.quiet:
                        recent = end - _days(rng.randint(140, 170))
                        while events and events[-1][1] == EventKind.CONTACTED and events[-1][0] > recent:
                            events.pop()
                        last = events[-1][0] if events else start
                        if recent > last + _days(3):
                            events.append((recent, EventKind.CONTACTED, {"reason": rng.choice(_CONTACT_REASONS)}))
                    else:
                        last_contact = max([p.registered_on] + [d for d, k, _kw in events if k in flow.CONTACT_KINDS])
                        if (end - last_contact).days > 120:
                            recent = end - _days(rng.randint(3, 120))
                            if recent <= last + _days(3):  # a call soon after the latest event
                                recent = min(end, last + _days(rng.randint(5, 15)))
                            if recent > last:
                                events.append((recent, EventKind.CONTACTED, {"reason": rng.choice(_CONTACT_REASONS)}))
            if day is None:
                break
            events.append((day, kind, kwargs))
            status = flow.status_after(status, kind)
            start = day
        # The plan must be a valid history for the state machine (the services check it again).
        status = Status.AWAITING if not p.reported else Status.ACTIVE
        previous = p.registered_on
        for day, kind, _kwargs in events:
            why = flow.refusal(status, kind)
            if why or day < previous or day > end:
                raise DemoError(f"demo plan: {p.name}: {kind} on {day} after {status} ({why})")
            status, previous = flow.status_after(status, kind), day
        return events

    def _assign_notes(self, people):
        rng = self.rng
        texts = {
            "书画爱好者": ["在党员之家书法笔会上现场创作，作品赠送给社区。", "书画作品入选党委年度书画展，在党员之家展出。"],
            "志愿者骨干": ["参加“在京流动党员进社区”志愿服务，带头清理杂草乱物。", "重大活动期间主动报名志愿值守，连续值守三天。"],
            "学习积极分子": ["“每月一学”从不缺席，经常在微信群分享学习强国内容。"],
            "需重点关怀": ["子女工作繁忙，独自照看孙辈，支部每月电话问候一次。"],
            "行动不便": ["腿脚不便，集体学习改为送学上门，由支部书记定期走访。"],
            "党史宣讲员": ["为支部讲授微党课《从青岛走出的革命先辈》，大家反响很好。"],
            "微党课讲师": ["录制网上“微党课”一期，在线上党支部播放。"],
            "热心公益": ["家乡疫情防控捐款时，已在青岛捐过仍坚持在党委再捐一次。"],
            "技术骨干": ["义务为党委维护线上学习群，整理每月学习资料。"],
            "文艺骨干": ["“光影铸魂”电影党课后主持交流讨论，带动大家发言。"],
        }
        chosen = 0
        for p in rng.sample(people, len(people)):
            for tag_name in p.tags:
                if tag_name in texts and chosen < 14:
                    terminal = next((d for d, k, _kw in p.events
                                     if k in (EventKind.TRANSFERRED_OUT, EventKind.DECEASED, EventKind.LOST_CONTACT)),
                                    self.end)
                    lo, hi = p.registered_on + _days(30), terminal - _days(1)
                    if hi >= lo:
                        p.notes.append((self.day_between(lo, hi), rng.choice(texts[tag_name])))
                        chosen += 1
                    break


def _check_digit(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


# --- loading ---------------------------------------------------------------------------------


def demo_is_loaded() -> bool:
    return Committee.objects.filter(name=COMMITTEE_NAME).exists()


def load_demo(*, today: datetime.date | None = None) -> DemoSummary | None:
    """Load the demo committee. Returns None (and changes nothing) if it is already there."""
    if settings.PRODUCTION:
        raise DemoError(_("The demo data is never loaded in production (TAIZHANG_ENV=production)."))
    if demo_is_loaded():
        return None
    end = history_end(today)
    people = _Generator(end).build()
    with transaction.atomic():
        if Committee.objects.select_for_update().filter(name=COMMITTEE_NAME).exists():
            return None
        with audit_buffered():  # thousands of audit entries in a few chained bulk inserts
            return _load(people)


def _load(people: list) -> DemoSummary:
    committee = committee_create(actor=None, name=COMMITTEE_NAME, founded_on=FOUNDED_ON)
    committee = committee_set_superior(actor=None, committee=committee, name=SUPERIOR_NAME)
    branches = {b.code: b for b in committee.branches.all()}
    districts = {d.name: d for d in District.objects.filter(committee=committee).select_related("branch")}

    # Logins (三员分立): the operator (actor None) creates the system admin and the security admin and gives
    # them their posts; then the system admin creates every other account and the security admin gives
    # the roles. The demo logins keep their published password (no change forced at the first sign-in).
    users = {}
    for username in ["xitong", "anquan", *(u for u in STAFF if u not in ("xitong", "anquan"))]:
        display_name, role, branch_code = STAFF[username]
        users[username] = user_create(actor=users.get("xitong"), username=username, password=DEMO_PASSWORD,
                                      display_name=display_name, must_change_password=False)
        role_assign(actor=None if username in ("xitong", "anquan") else users["anquan"], user=users[username],
                    role=role, committee=committee, branch=branches[branch_code] if branch_code else None)
    shuji = users["shuji"]
    secretaries = {"east": users["dongbu"], "central": users["zhongbu"], "west": users["xibu"]}
    by_branch_id = {branches[code].pk: user for code, user in secretaries.items()}

    groups = {}
    for code, names in PARTY_GROUPS.items():
        for name in names:
            groups[name] = party_group_create(actor=shuji, branch=branches[code], name=name)
    tags = {name: tag_get_or_create(actor=shuji, committee=committee, name=name) for name in TAGS}

    households = {}
    for p in people:
        if p.household_key is not None and p.household_key not in households:
            residents = [q.name for q in people if q.household_key == p.household_key]
            households[p.household_key] = household_create(
                actor=shuji, committee=committee, name="、".join(residents) + "家", address=p.residence
            )

    def group_for(p, branch_code, district):
        if branch_code == "east" and district == "朝阳区":
            return groups["朝阳党小组"]
        if branch_code == "east" and district in ("通州区", "顺义区"):
            return groups["通州顺义党小组"]
        if branch_code == "central" and p.elderly:
            return groups["老党员党小组"]
        if branch_code == "central" and district == "海淀区":
            return groups["海淀党小组"]
        if branch_code == "west" and district == "丰台区":
            return groups["丰台党小组"]
        return None

    def data_for(p, branch, district_name, residence):
        return {
            "name": p.name,
            "id_number": p.id_number,
            "phone": p.phone,
            "gender": p.gender,
            "birth_date": p.birth,
            "ethnicity": p.ethnicity,
            "education": p.education,
            "membership_type": p.membership,
            "join_date": p.join,
            "full_membership_date": p.full,
            "is_mobile": True,
            "residence": residence,
            "district": districts[district_name],
            "household_registration": p.hukou,
            "category": p.category,
            "branch": branch,
            "party_group": group_for(p, branch.code, district_name),
            "household": households.get(p.household_key),
            "employer": p.employer,
            "industry": p.industry,
            "position": p.position,
            "employment_status": p.employment_status,
            "interests": "、".join(p.interests),
            "tags": [tags[t] for t in p.tags],
        }

    login_member = None
    for p in sorted(people, key=lambda q: (q.registered_on, q.index)):
        branch = branches[p.branch_code]
        if not p.override_reason:
            assert suggest_branch(districts[p.district]).pk == branch.pk
        member = member_register(actor=shuji, data=data_for(p, branch, p.district, p.residence),
                                 registered_on=p.registered_on, reported=p.reported, reason=p.registration_reason)
        branch_id = member.branch_id
        for day, kind, kwargs in p.events:
            kwargs = dict(kwargs)
            if "to_branch" in kwargs:
                kwargs["to_branch"] = branches[kwargs["to_branch"]]
            event = flow_record_event(actor=by_branch_id[branch_id], member=member, kind=kind,
                                      effective_date=day, **kwargs)
            branch_id = event.branch_after_id
        if p.scenario == "moved":
            member.refresh_from_db()
            member_update(actor=by_branch_id[branch_id], member=member, expected_version=member.version,
                          data=data_for(p, member.branch, p.move_district, p.move_residence))
        for day, text in p.notes:
            note_add(actor=by_branch_id[branch_id], member=member, noted_on=day, text=text)
        if p.login:
            login_member = member

    # The plain member login, linked to its ledger record.
    dangyuan = user_create(actor=users["xitong"], username="dangyuan", password=DEMO_PASSWORD,
                           display_name=login_member.name, must_change_password=False)
    role_assign(actor=users["anquan"], user=dangyuan, role=Role.MEMBER, committee=committee, member=login_member)
    users["dangyuan"] = dangyuan

    members = Member.objects.filter(committee=committee)
    today = timezone.localdate()
    elderly_born_by = _years_after(today, -settings.ELDERLY_AGE)
    counts = {
        "branches": committee.branches.count(),
        "districts": committee.districts.count(),
        "party_groups": len(groups),
        "tags": len(tags),
        "households": len(households),
        "members": members.count(),
        "on_roster": annotate_status(members).filter(status__in=ROSTER_STATUSES).count(),
        "elderly": members.filter(birth_date__lte=elderly_born_by).count(),
        "probationary": members.filter(membership_type=MembershipType.PROBATIONARY).count(),
        "flow_events": FlowEvent.objects.filter(member__committee=committee).count(),
        "notes": BehaviourNote.objects.filter(member__committee=committee).count(),
        "logins": len(users),
    }
    return DemoSummary(committee=committee, counts=counts)

