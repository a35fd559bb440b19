"""Writes of the rooms area: rooms, bookings, books and loans, archive documents. Each service owns its
transaction and writes its audit entry; bad input raises ValidationError naming the field."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.attachments import StoredFiles, clean_files
from taizhang.core.audit import audit_log
from taizhang.core.permissions import EDIT, allows, has_capability, own_member
from taizhang.places.models import (
    ArchiveDocument,
    Book,
    Booking,
    BookingStatus,
    DocumentKind,
    Loan,
    Room,
    WhoMayBook,
)
from taizhang.places.rooms_selectors import may_manage

ROOM_FIELDS = ("name", "place", "capacity", "equipment", "hours", "who_may_book", "active", "sort_order")


# --- rooms ---------------------------------------------------------------------------------------------------


def _check_rooms_manager(actor, committee_id):
    if not has_capability(actor, "places.rooms", committee_id):
        raise PermissionDenied(_("Only the committee admin manages the rooms."))


def _check_hours(hours: dict) -> dict:
    clean = {}
    for day, value in (hours or {}).items():
        if not value:
            continue
        opens, closes = value
        if not (opens and closes) or opens >= closes:
            raise ValidationError({"hours": [_("Opening hours: a day's opening time must come before its closing "
                                               "time.")]})
        clean[str(int(day))] = [opens, closes]
    return clean


@transaction.atomic
def room_create(*, actor, committee, name, place="", capacity=10, equipment="", hours=None,
                who_may_book=WhoMayBook.MEMBERS, active=True, sort_order=0) -> Room:
    _check_rooms_manager(actor, committee.pk)
    if Room.objects.filter(committee=committee, name=name).exists():
        raise ValidationError({"name": [_("A room named “%(name)s” already exists.") % {"name": name}]})
    room = Room.objects.create(committee=committee, name=name, place=place, capacity=capacity, equipment=equipment,
                               hours=_check_hours(hours), who_may_book=who_may_book, active=active,
                               sort_order=sort_order)
    audit_log(actor=actor, action="places.room_create", obj=room,
              new={f: getattr(room, f) for f in ROOM_FIELDS})
    return room


@transaction.atomic
def room_update(*, actor, room, **values) -> Room:
    _check_rooms_manager(actor, room.committee_id)
    room = Room.objects.select_for_update().get(pk=room.pk)
    if "hours" in values:
        values["hours"] = _check_hours(values["hours"])
    name = values.get("name", room.name)
    if Room.objects.filter(committee_id=room.committee_id, name=name).exclude(pk=room.pk).exists():
        raise ValidationError({"name": [_("A room named “%(name)s” already exists.") % {"name": name}]})
    old, new = {}, {}
    for field, value in values.items():
        if field not in ROOM_FIELDS:
            raise TypeError(field)
        if getattr(room, field) != value:
            old[field], new[field] = getattr(room, field), value
            setattr(room, field, value)
    if new:
        room.save()
        audit_log(actor=actor, action="places.room_update", obj=room, old=old, new=new)
    return room


# --- bookings ------------------------------------------------------------------------------------------------


def _lock_room(room) -> Room:
    """Serialise the bookings of one room. PostgreSQL: the room row's lock (a second transaction waits here
    until the first commits). SQLite runs write transactions one at a time: the settings begin every
    transaction IMMEDIATE."""
    return Room.objects.select_for_update().select_related("committee").get(pk=room.pk)


def _overlapping(room, starts_at, ends_at, exclude=None):
    qs = Booking.objects.filter(room=room, status=BookingStatus.CONFIRMED, starts_at__lt=ends_at,
                                ends_at__gt=starts_at)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("starts_at").first()


def _overlap_error(other):
    local = timezone.localtime
    return ValidationError({"starts_at": [
        _("The room is already booked from %(start)s to %(end)s; choose another time.")
        % {"start": local(other.starts_at).strftime("%Y-%m-%d %H:%M"), "end": local(other.ends_at).strftime("%H:%M")}]})


def check_booking_time(room, starts_at, ends_at, *, now=None) -> None:
    """End after start, not in the past, inside the room's opening hours of that day."""
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The end must come after the start.")]})
    if starts_at < now:
        raise ValidationError({"starts_at": [_("The start is in the past.")]})
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    hours = room.hours_on(start.weekday())
    if hours is None:
        raise ValidationError({"starts_at": [_("%(room)s is closed on that day.") % {"room": room.name}]})
    opens, closes = hours
    if start.date() != end.date() or start.strftime("%H:%M") < opens or end.strftime("%H:%M") > closes:
        raise ValidationError({"starts_at": [_("Outside the opening hours of %(room)s on that day (%(opens)s–%(closes)s).")
                                             % {"room": room.name, "opens": opens, "closes": closes}]})


def _values(b: Booking) -> dict:
    return {"room": b.room.name, "starts_at": b.starts_at, "ends_at": b.ends_at, "purpose": b.purpose,
            "status": b.status, "activity": b.activity_id, "member": b.member_id}


def booking_request(*, actor, room, starts_at, ends_at, purpose, activity=None, confirm=False,
                    now=None) -> Booking:
    """A booking by a member (requested) or by staff (``confirm`` True: confirmed at once). Refused when it
    overlaps a confirmed booking, lies outside the opening hours or in the past (``now``: the moment of the
    request, given only by the demo load, which records last weeks' bookings)."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationError({"purpose": [_("Say what the room is booked for.")]})
    with transaction.atomic():
        room = _lock_room(room)
        staff = may_manage(actor, room.committee_id)
        member = own_member(actor, room.committee_id)
        if not staff:
            if member is None:
                raise PermissionDenied(_("Only members and staff of the committee book its rooms."))
            if room.who_may_book != WhoMayBook.MEMBERS:
                raise ValidationError({"room": [_("Only staff book %(room)s.") % {"room": room.name}]})
            confirm = False
        if not room.active:
            raise ValidationError({"room": [_("%(room)s is not in use.") % {"room": room.name}]})
        if activity is not None and (activity.committee_id != room.committee_id or activity.cancelled):
            raise ValidationError({"activity": [_("Choose one of the committee's upcoming activities.")]})
        check_booking_time(room, starts_at, ends_at, now=now)
        other = _overlapping(room, starts_at, ends_at)
        if other is not None:
            raise _overlap_error(other)
        booking = Booking.objects.create(
            room=room, starts_at=starts_at, ends_at=ends_at, purpose=purpose, booked_by=actor,
            member=None if staff else member, activity=activity,
            status=BookingStatus.CONFIRMED if confirm else BookingStatus.REQUESTED,
            decided_by=actor if confirm else None, decided_at=timezone.now() if confirm else None)
        audit_log(actor=actor, action="places.booking_request", obj=booking, new=_values(booking))
    return booking


def _staff_booking(actor, booking) -> Booking:
    """The booking read afresh and locked (inside the caller's transaction), for staff of its committee."""
    booking = Booking.objects.select_for_update().select_related("room").get(pk=booking.pk)
    if not may_manage(actor, booking.room.committee_id):
        raise PermissionDenied(_("Only staff confirm or decline bookings."))
    return booking


def booking_confirm(*, actor, booking) -> Booking:
    with transaction.atomic():
        room = _lock_room(booking.room)
        booking = _staff_booking(actor, booking)
        if booking.status != BookingStatus.REQUESTED:
            raise ValidationError({"status": [_("Only a requested booking can be confirmed.")]})
        other = _overlapping(room, booking.starts_at, booking.ends_at, exclude=booking)
        if other is not None:
            raise _overlap_error(other)
        booking.status, booking.decided_by, booking.decided_at = BookingStatus.CONFIRMED, actor, timezone.now()
        booking.save(update_fields=["status", "decided_by", "decided_at"])
        audit_log(actor=actor, action="places.booking_confirm", obj=booking, old={"status": "requested"},
                  new={"status": "confirmed"})
    return booking


def _reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    return reason


@transaction.atomic
def booking_decline(*, actor, booking, reason) -> Booking:
    reason = _reason(reason)
    booking = _staff_booking(actor, booking)
    if booking.status != BookingStatus.REQUESTED:
        raise ValidationError({"status": [_("Only a requested booking can be declined.")]})
    booking.status, booking.reason = BookingStatus.DECLINED, reason
    booking.decided_by, booking.decided_at = actor, timezone.now()
    booking.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_log(actor=actor, action="places.booking_decline", obj=booking, old={"status": "requested"},
              new={"status": "declined", "reason": reason})
    return booking


@transaction.atomic
def booking_cancel(*, actor, booking, reason) -> Booking:
    """The booker or staff cancel a requested or confirmed booking, with a reason."""
    reason = _reason(reason)
    booking = Booking.objects.select_for_update().select_related("room").get(pk=booking.pk)
    if not (booking.booked_by_id == actor.pk or may_manage(actor, booking.room.committee_id)):
        raise PermissionDenied(_("Only the booker or staff cancel a booking."))
    if booking.status not in (BookingStatus.REQUESTED, BookingStatus.CONFIRMED):
        raise ValidationError({"status": [_("This booking is no longer open.")]})
    old = booking.status
    booking.status, booking.reason = BookingStatus.CANCELLED, reason
    booking.decided_by, booking.decided_at = actor, timezone.now()
    booking.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_log(actor=actor, action="places.booking_cancel", obj=booking, old={"status": old},
              new={"status": "cancelled", "reason": reason})
    return booking


# --- the reading corner --------------------------------------------------------------------------------------


def _check_library(actor, committee_id):
    if not may_manage(actor, committee_id):
        raise PermissionDenied(_("Only staff manage the reading corner."))


@transaction.atomic
def book_create(*, actor, committee, title, author="", copies=1, isbn="", notes="") -> Book:
    _check_library(actor, committee.pk)
    if copies < 1:
        raise ValidationError({"copies": [_("A book has at least one copy.")]})
    book = Book.objects.create(committee=committee, title=title.strip(), author=author.strip(), copies=copies,
                               isbn=isbn.strip(), notes=notes.strip())
    audit_log(actor=actor, action="places.book_create", obj=book,
              new={"title": book.title, "author": book.author, "copies": copies, "isbn": book.isbn})
    return book


def loan_days() -> int:
    return settings.PLACES_LOAN_DAYS


def loan_create(*, actor, book, member, out_on=None, due_on=None) -> Loan:
    """Lend a copy of ``book`` to ``member``; refused when every copy is out. The book row is locked
    (SQLite: every transaction is IMMEDIATE) and the open loans counted inside the transaction."""
    out_on = out_on or timezone.localdate()
    due_on = due_on or out_on + datetime.timedelta(days=loan_days())
    with transaction.atomic():
        book = Book.objects.select_for_update().get(pk=book.pk)
        _check_library(actor, book.committee_id)
        if member.committee_id != book.committee_id or not allows(
                actor, "view", committee_id=member.committee_id, branch_id=member.branch_id):
            raise ValidationError({"member": [_("Choose a member of the committee.")]})
        if due_on < out_on:
            raise ValidationError({"due_on": [_("The due date cannot come before the day it is lent.")]})
        out = Loan.objects.filter(book=book, back_on__isnull=True).count()
        if out >= book.copies:
            raise ValidationError({"book": [_("No copy of “%(title)s” is left: all %(n)d are lent out.")
                                            % {"title": book.title, "n": book.copies}]})
        loan = Loan.objects.create(book=book, member=member, out_on=out_on, due_on=due_on, lent_by=actor)
        audit_log(actor=actor, action="places.loan_create", obj=loan,
                  new={"book": book.title, "member": member.pk, "out_on": out_on, "due_on": due_on})
    return loan


@transaction.atomic
def loan_return(*, actor, loan, back_on=None) -> Loan:
    loan = Loan.objects.select_for_update().select_related("book").get(pk=loan.pk)
    _check_library(actor, loan.book.committee_id)
    if loan.back_on is not None:
        raise ValidationError({"loan": [_("This book was already returned.")]})
    back_on = back_on or timezone.localdate()
    if back_on < loan.out_on:
        raise ValidationError({"back_on": [_("A book cannot come back before it went out.")]})
    loan.back_on = back_on
    loan.save(update_fields=["back_on"])
    audit_log(actor=actor, action="places.loan_return", obj=loan, new={"back_on": back_on})
    return loan


# --- the archive corner --------------------------------------------------------------------------------------


def document_add(*, actor, member, kind, title, files) -> list[ArchiveDocument]:
    """Add checked files to a member's archive (only who may edit the member)."""
    if not allows(actor, EDIT, committee_id=member.committee_id, branch_id=member.branch_id):
        raise PermissionDenied(_("You may not change this member's archive."))
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": [_("Choose the kind of document.")]})
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the document a title.")]})
    if not files:
        raise ValidationError({"files": [_("Choose a file.")]})
    checked = clean_files(files)
    made = []
    with StoredFiles() as stored, transaction.atomic():
        for f in checked:
            doc = stored.attach(ArchiveDocument(member=member, kind=kind, title=title), f, uploaded_by=actor)
            audit_log(actor=actor, action="places.document_add", obj=doc,
                      new={"member": member.pk, "kind": kind, "title": title, "file": f.name, "sha256": f.sha256})
            made.append(doc)
    return made
