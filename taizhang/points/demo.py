"""The demo committee's points: default rules, entries from the demo attendance, study records and
external score snapshots (two imports of the same period, to show that the newest is used).

Everything goes through the real services (and the real import, from an in-memory CSV). Idempotent:
rules are seeded by name, entries are recomputed (nothing changes the second time), and study records
and imports are only added when the committee has none.
"""

import datetime
import io
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.models import Member
from taizhang.organisation.models import Committee
from taizhang.points import imports, services
from taizhang.points.models import ExternalScoreImport, StudyKind, StudyRecord

POINTS_SEED = 20260612


@dataclass
class PointsDemoSummary:
    rules: int
    added: int
    reversed: int
    records: int
    imports: int


def _user(username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise DemoError(_("The demo login “%(name)s” is missing; run manage.py load_demo first.") % {"name": username})
    return user


def _csv_opener(text: str):
    data = ("\ufeff" + text).encode("utf-8")
    return lambda: io.BytesIO(data)


def load_demo_points() -> PointsDemoSummary:
    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    shuji = _user("shuji")
    rules = services.point_rules_seed(actor=shuji, committee=committee, check=False)
    counts = services.points_recompute(committee=committee, actor=None)
    records = _study_records(committee, shuji)
    imported = _external_scores(committee, shuji)
    return PointsDemoSummary(rules=len(rules), added=counts["added"], reversed=counts["reversed"], records=records,
                             imports=imported)


def _study_records(committee, shuji) -> int:
    if StudyRecord.objects.filter(member__committee=committee).exists():
        return 0
    rng = random.Random(POINTS_SEED)
    approvers = {"east": _user("dongbu"), "central": _user("zhongbu"), "west": _user("xibu")}
    dangyuan = _user("dangyuan")
    own = Member.objects.filter(user=dangyuan).first()
    members = list(Member.objects.filter(committee=committee, current_event__status_after="active")
                   .select_related("branch").order_by("id"))
    by_branch = {code: [m for m in members if m.branch.code == code and m != own] for code in approvers}
    made = 0
    titles = ["学习《中国共产党章程》总纲", "观看《榜样》专题节目并撰写心得", "学习习近平总书记重要讲话精神",
              "参加社区垃圾分类宣传", "学习《中国共产党纪律处分条例》", "阅读《人民日报》评论员文章"]
    if own is not None:  # the demo member's own pending record
        services.study_record_submit(actor=dangyuan, member=own, day=datetime.date(2026, 11, 3),
                                     kind=StudyKind.SELF_STUDY, title="学习党的二十届四中全会精神",
                                     content="通读全会公报，摘录要点并写下学习体会。")
        made += 1
    for i, member in enumerate(rng.sample(by_branch["east"], 3)):  # pending, for dongbu to approve
        kind = StudyKind.VOLUNTEER if i == 2 else StudyKind.SELF_STUDY
        services.study_record_submit(actor=shuji, member=member, day=datetime.date(2026, 10, 20 + i), kind=kind,
                                     title=titles[3] if kind == StudyKind.VOLUNTEER else titles[i],
                                     hours=3 if kind == StudyKind.VOLUNTEER else None, content="由党委代为登记")
        made += 1
    for code, approver in approvers.items():  # decided ones
        for i, member in enumerate(rng.sample(by_branch[code], 3)):
            kind = StudyKind.VOLUNTEER if i == 1 else StudyKind.SELF_STUDY
            record = services.study_record_submit(
                actor=shuji, member=member, day=datetime.date(2026, 9, 5 + i * 7), kind=kind,
                title=titles[3] if kind == StudyKind.VOLUNTEER else titles[rng.randrange(len(titles))],
                hours=4 if kind == StudyKind.VOLUNTEER else None, content="由党委代为登记")
            if i == 2 and code == "west":
                services.study_record_reject(actor=approver, record=record, note="请补充学习内容和心得体会后重新提交")
            else:
                services.study_record_approve(actor=approver, record=record)
            made += 1
    return made


def _external_scores(committee, shuji) -> int:
    if ExternalScoreImport.objects.filter(committee=committee).exists():
        return 0
    rng = random.Random(POINTS_SEED + 1)
    members = list(Member.objects.filter(committee=committee, current_event__status_after="active")
                   .select_related("branch").order_by("id"))
    header = "姓名,身份证号,平台,周期,得分\n"
    first, second = [header], [header]
    for member in members:
        id_number = member.id_number
        for month in ("2026-09", "2026-10"):
            first.append(f"{member.name},{id_number},学习强国,{month},{rng.randint(300, 1500)}\n")
        first.append(f"{member.name},{id_number},灯塔-党建在线,2026,{rng.randint(40, 100)}.{rng.randint(0, 9)}\n")
        if member.branch.code == "east":  # the platform re-issued October for 东部: newer snapshot
            second.append(f"{member.name},{id_number},学习强国,2026-10,{rng.randint(300, 1500)}\n")
    done = 0
    for name, rows in (("学习强国-灯塔-2026年9-10月.csv", first), ("学习强国-东部-2026年10月-更正.csv", second)):
        report = imports.commit(actor=shuji, committee=committee, opener=_csv_opener("".join(rows)), file_name=name)
        if report.score_import is None:
            raise DemoError(report.file_error or _("The demo scores could not be imported."))
        done += 1
    return done
