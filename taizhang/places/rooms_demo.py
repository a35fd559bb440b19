"""The demo committee's 党员之家 rooms area: the four rooms of the seed, a month of bookings around today
(the activities held in the activity room book it), fifteen books of the reading corner with a few loans
(one overdue) and a few archive documents (small PDFs made here, no binary files in the repository)."""

import datetime
import random

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.accounts.models import User
from taizhang.activities.models import Activity
from taizhang.core.audit import audit_buffered
from taizhang.members.demo import COMMITTEE_NAME, DemoError
from taizhang.members.models import Member
from taizhang.organisation.models import Committee
from taizhang.places import rooms_services as svc
from taizhang.places.models import ArchiveDocument, Book, Booking, Loan, Room, WhoMayBook

SEED = 2017
WEEK = {str(d): ["09:00", "21:00"] for d in range(7)}
OFFICE = {str(d): ["09:00", "17:00"] for d in range(5)}
ROOMS = [
    ("党员活动室", "北京中心二层", 40, "投影仪、音响、党旗、书法桌 6 张", WEEK, WhoMayBook.MEMBERS),
    ("阅览角", "北京中心二层东侧", 12, "书架 4 个、阅读桌", {str(d): ["09:00", "20:00"] for d in range(7)},
     WhoMayBook.MEMBERS),
    ("档案角", "北京中心二层西侧", 3, "档案柜（带锁）、扫描仪", OFFICE, WhoMayBook.STAFF),
    ("谈心角", "北京中心二层南侧", 4, "沙发、茶具", WEEK, WhoMayBook.MEMBERS),
]
BOOKS = [("习近平谈治国理政（第四卷）", "习近平", 3), ("中国共产党简史", "本书编写组", 3), ("红岩", "罗广斌、杨益言", 2),
         ("平凡的世界", "路遥", 2), ("毛泽东选集（第一卷）", "毛泽东", 2), ("中国共产党章程", "", 5),
         ("觉醒年代", "龙平平", 1), ("长征", "王树增", 1), ("苦难辉煌", "金一南", 1), ("青岛往事", "", 1),
         ("兰亭序临本", "王羲之", 1), ("书法创作十讲", "", 2), ("边城", "沈从文", 1), ("红星照耀中国", "埃德加·斯诺", 2),
         ("习近平新时代中国特色社会主义思想学习纲要", "", 4)]
PURPOSES = ["支部委员会", "党小组学习", "书法练习", "读书分享会", "笔会筹备", "演讲比赛排练", "新党员谈心"]


def _pdf(text: str) -> bytes:
    """A one-page PDF with a line of (ASCII) text: enough for the demo's archive."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _counts(committee) -> dict:
    return {"rooms": Room.objects.filter(committee=committee).count(),
            "bookings": Booking.objects.filter(room__committee=committee).count(),
            "books": Book.objects.filter(committee=committee).count(),
            "loans": Loan.objects.filter(book__committee=committee).count(),
            "documents": ArchiveDocument.objects.filter(member__committee=committee).count()}


def load_demo() -> dict:
    """Load once (a second call changes nothing) and return the counts for the summary line."""
    committee = Committee.objects.filter(name=COMMITTEE_NAME).first()
    if committee is None:
        raise DemoError(_("The demo committee “%(name)s” does not exist; run manage.py load_demo first.")
                        % {"name": COMMITTEE_NAME})
    if not Room.objects.filter(committee=committee).exists():
        with transaction.atomic(), audit_buffered():
            _load(committee)
    return _counts(committee)


def activities_at_home(committee, first, last):
    """The committee's activities at 党员之家 from ``first`` to ``last`` (days)."""
    return Activity.objects.filter(committee=committee, cancelled=False, place__contains="党员之家",
                                   starts_at__date__gte=first, starts_at__date__lte=last).order_by("starts_at")


def _at(day, hhmm):
    return datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm), tzinfo=timezone.get_current_timezone())


def _load(committee):
    rng = random.Random(SEED)
    today = timezone.localdate()
    shuji = User.objects.get(username="shuji")
    member_user = User.objects.filter(username="dangyuan").first()
    rooms = [svc.room_create(actor=shuji, committee=committee, name=name, place=place, capacity=cap, equipment=eq,
                             hours=hours, who_may_book=who, sort_order=i)
             for i, (name, place, cap, eq, hours, who) in enumerate(ROOMS)]
    activity_room, reading, _archive, talk = rooms

    def book(actor, room, day, start, end, purpose, confirm, activity=None):
        starts_at = _at(day, start)
        try:
            return svc.booking_request(actor=actor, room=room, starts_at=starts_at, ends_at=_at(day, end),
                                       purpose=purpose, activity=activity, confirm=confirm,
                                       now=min(timezone.now(), starts_at - datetime.timedelta(days=3)))
        except ValidationError:  # taken or closed that day: the demo just leaves it out
            return None

    # the activities held at 党员之家 this month book their room
    first, last = today - datetime.timedelta(days=14), today + datetime.timedelta(days=16)
    for activity in activities_at_home(committee, first, last):
        start, end = timezone.localtime(activity.starts_at), timezone.localtime(activity.ends_at)
        room = reading if "读书" in activity.place else talk if "谈心" in activity.place else activity_room
        book(shuji, room, start.date(), start.strftime("%H:%M"), end.strftime("%H:%M"), activity.title, True,
             activity)
    day = first
    while day <= last:
        if rng.random() < 0.6:
            hour = rng.choice(["09:00", "14:00", "19:00"])
            end = {"09:00": "11:30", "14:00": "16:30", "19:00": "20:30"}[hour]
            book(shuji, rng.choice([activity_room, talk]), day, hour, end, rng.choice(PURPOSES), True)
        if rng.random() < 0.3:
            book(shuji, reading, day, "15:00", "17:00", "读书分享会", True)
        day += datetime.timedelta(days=1)
    if member_user is not None:  # the member login's own requests: one waiting, one confirmed
        waiting = book(member_user, activity_room, today + datetime.timedelta(days=4), "19:00", "20:30",
                       "书法小组练习", False)
        if waiting is None:
            book(member_user, talk, today + datetime.timedelta(days=4), "19:00", "20:30", "书法小组练习", False)
        asked = book(member_user, reading, today + datetime.timedelta(days=2), "10:00", "11:30", "读书会", False)
        if asked is not None:
            svc.booking_confirm(actor=shuji, booking=asked)

    members = list(Member.objects.filter(committee=committee).order_by("id")[:40])
    books = [svc.book_create(actor=shuji, committee=committee, title=t, author=a, copies=c) for t, a, c in BOOKS]
    for i, member in enumerate(rng.sample(members, min(6, len(members)))):
        out_on = today - datetime.timedelta(days=45 if i == 0 else rng.randrange(1, 25))
        svc.loan_create(actor=shuji, book=books[i * 2], member=member, out_on=out_on)
    returned = svc.loan_create(actor=shuji, book=books[1], member=members[0], out_on=today - datetime.timedelta(days=60))
    svc.loan_return(actor=shuji, loan=returned, back_on=today - datetime.timedelta(days=35))

    for i, (kind, title) in enumerate([("introduction", "组织关系介绍信"), ("certificate", "优秀共产党员证书"),
                                       ("certificate", "书法比赛获奖证书"), ("other", "流动党员活动证复印件")]):
        member = members[i * 3 % len(members)]
        svc.document_add(actor=shuji, member=member, kind=kind, title=title,
                         files=[SimpleUploadedFile(f"{kind}-{member.pk}.pdf", _pdf(f"Taizhang demo: {kind}"))])
