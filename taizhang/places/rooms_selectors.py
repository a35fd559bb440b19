"""Reads of the rooms area: rooms, the week and month views, bookings to decide, books and loans, the
archive of a member, the summary counts."""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from taizhang.core.permissions import EDIT, allows, has_capability, home_committee, own_member, restrict
from taizhang.places.models import ArchiveDocument, Book, Booking, BookingStatus, Loan, Room

OPEN = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


def committee_for(user):
    """The committee whose 党员之家 the user uses (staff: where they hold places.manage; members: their own
    record's), or None."""
    committee = home_committee(user)
    if committee is None:
        return None
    if has_capability(user, "places.manage", committee.pk) or own_member(user, committee.pk) is not None:
        return committee
    return None


def may_manage(user, committee) -> bool:
    """Does the user run the bookings and the reading corner of ``committee`` (places.manage)?"""
    return has_capability(user, "places.manage", committee)


def rooms(committee, *, active_only=True):
    qs = Room.objects.filter(committee=committee)
    return qs.filter(active=True) if active_only else qs


def room_get(committee, pk):
    """The room ``pk`` of ``committee`` (the view's ``committee_for``), or None."""
    return Room.objects.filter(committee=committee, pk=pk).first()


def _bounds(first: datetime.date, last: datetime.date):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


@dataclass
class Day:
    day: datetime.date
    hours: tuple | None
    bookings: list = field(default_factory=list)


def calendar_days(user, room, first: datetime.date, last: datetime.date) -> list[Day]:
    """The days from ``first`` to ``last`` with the room's open bookings (requested and confirmed) of each
    day. Each booking gets ``shown``: True when the viewer sees its details (staff, or their own booking);
    a member sees other bookings only as "occupied" (confirmed ones; others' requests are not shown)."""
    start, end = _bounds(first, last)
    staff = may_manage(user, room.committee_id)
    qs = (Booking.objects.filter(room=room, status__in=OPEN, starts_at__lt=end, ends_at__gt=start)
          .select_related("member", "booked_by", "activity").order_by("starts_at", "id"))
    days = {}
    d = first
    while d <= last:
        days[d] = Day(d, room.hours_on(d.weekday()))
        d += datetime.timedelta(days=1)
    for b in qs:
        b.shown = staff or b.booked_by_id == user.pk
        if not b.shown and b.status != BookingStatus.CONFIRMED:
            continue
        local = timezone.localtime(b.starts_at).date()
        if local in days:
            days[local].bookings.append(b)
    return list(days.values())


def week_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    monday = day - datetime.timedelta(days=day.weekday())
    return monday, monday + datetime.timedelta(days=6)


def month_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(day.year, day.month)[1])


def pending(committee):
    """Requested bookings still to decide (staff), soonest first."""
    return (Booking.objects.filter(room__committee=committee, status=BookingStatus.REQUESTED,
                                   ends_at__gt=timezone.now())
            .select_related("room", "member", "booked_by", "activity").order_by("starts_at", "id"))


def my_bookings(user, committee):
    return (Booking.objects.filter(room__committee=committee, booked_by=user, ends_at__gt=timezone.now())
            .select_related("room", "member", "booked_by", "activity").order_by("starts_at", "id"))


def booking_get(user, pk):
    """A booking the user may open: staff of its committee, or its booker."""
    b = Booking.objects.select_related("room", "member", "booked_by", "activity", "decided_by").filter(pk=pk).first()
    if b is None:
        return None
    if may_manage(user, b.room.committee_id) or b.booked_by_id == user.pk:
        return b
    return None


UPCOMING_DAYS = 90  # the activities a booking form offers: those starting within this many days


def upcoming_activities(committee):
    from taizhang.activities.models import Activity

    now = timezone.now()
    return (Activity.objects.filter(committee=committee, cancelled=False, starts_at__gte=now,
                                    starts_at__lt=now + datetime.timedelta(days=UPCOMING_DAYS))
            .order_by("starts_at", "id"))


# --- the reading corner --------------------------------------------------------------------------------------


def books(committee, text=""):
    qs = Book.objects.filter(committee=committee).annotate(
        out=Count("loans", filter=Q(loans__back_on__isnull=True)))
    if text:
        qs = qs.filter(Q(title__icontains=text) | Q(author__icontains=text) | Q(isbn__icontains=text))
    return qs.order_by("title", "id")


def open_loans(committee):
    return (Loan.objects.filter(book__committee=committee, back_on__isnull=True)
            .select_related("book", "member", "member__branch").order_by("due_on", "id"))


def overdue(committee, today=None):
    today = today or timezone.localdate()
    return open_loans(committee).filter(due_on__lt=today)


def member_loans(member):
    return Loan.objects.filter(member=member).select_related("book").order_by("back_on", "-out_on", "-id")


# --- the archive corner --------------------------------------------------------------------------------------


def archive_documents(user, committee, text=""):
    """The archive documents of the members the user may edit (newest first), optionally by member name."""
    qs = restrict(ArchiveDocument.objects.filter(member__committee=committee), user, EDIT,
                  committee="member__committee", branch="member__branch", member="member")
    if text:
        qs = qs.filter(member__name__icontains=text)
    return qs.select_related("member", "member__branch").order_by("-uploaded_at", "-id")


def documents(user, member):
    """A member's archive documents, or None when the user may not edit the member."""
    if not allows(user, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
        return None
    return ArchiveDocument.objects.filter(member=member).order_by("-uploaded_at", "-id")


def document_get(user, pk):
    doc = ArchiveDocument.objects.select_related("member").filter(pk=pk).first()
    if doc is None or documents(user, doc.member) is None:
        return None
    return doc


# --- panels and summary --------------------------------------------------------------------------------------


def member_panel(*, member, user):
    """The archive corner and the reading corner on the member page: for those who may edit the member."""
    docs = documents(user, member)
    if docs is None:
        return None
    return {"member": member, "documents": list(docs[:20]),
            "loans": list(member_loans(member).filter(back_on__isnull=True)[:20])}


def summary_counts(committee) -> dict:
    today = timezone.localdate()
    start, end = _bounds(*month_of(today))
    loans = Loan.objects.filter(book__committee=committee, back_on__isnull=True)
    return {
        "rooms": Room.objects.filter(committee=committee, active=True).count(),
        "bookings_this_month": Booking.objects.filter(room__committee=committee, status=BookingStatus.CONFIRMED,
                                                      starts_at__gte=start, starts_at__lt=end).count(),
        "loans_out": loans.count(),
        "overdue": loans.filter(due_on__lt=today).count(),
    }
