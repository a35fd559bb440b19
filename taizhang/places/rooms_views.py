"""Pages of the rooms area: rooms with week and month views, bookings, the reading corner, the archive.
Thin: scope (rooms_selectors / core.permissions) → form → service → redirect or render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from taizhang.core.attachments import file_response
from taizhang.core.audit import audit_log, client_ip
from taizhang.core.errors import error_text, form_errors_from, service_message, service_on_form
from taizhang.core.paging import page_of, pager_query
from taizhang.core.permissions import EDIT, VIEW, has_capability, own_member, restrict
from taizhang.members.models import Member
from taizhang.members.selectors import search_members
from taizhang.places import rooms_selectors as sel
from taizhang.places import rooms_services as svc
from taizhang.places.models import Book, Loan
from taizhang.places.rooms_forms import (
    BookForm,
    BookingForm,
    DocumentForm,
    LoanForm,
    ReasonForm,
    RoomForm,
    parse_day,
    parse_month,
)

PAGE_SIZE = 30


def _committee(request):
    committee = sel.committee_for(request.user)
    if committee is None:
        raise PermissionDenied(_("Your role does not give access to the party members' home."))
    return committee


def _staff(request, committee):
    if not sel.may_manage(request.user, committee):
        raise PermissionDenied(_("Only staff of the party members' home may do this."))



# --- rooms ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def room_list(request):
    committee = _committee(request)
    staff = sel.may_manage(request.user, committee)
    manage = has_capability(request.user, "places.rooms", committee.pk)
    rooms = list(sel.rooms(committee, active_only=not manage))
    pending = sel.pending(committee).count() if staff else 0
    return render(request, "places/rooms/room_list.html", {
        "rooms": rooms, "staff": staff, "manage": manage, "pending": pending, "today": timezone.localdate()})


def _room_form(request, committee, room=None):
    if not has_capability(request.user, "places.rooms", committee.pk):
        raise PermissionDenied(_("Only the committee admin manages the rooms."))
    form = RoomForm(request.POST or None, room=room)
    if request.method == "POST" and form.is_valid() and service_on_form(
            request, form,
            lambda: svc.room_create(actor=request.user, committee=committee, **form.values()) if room is None
            else svc.room_update(actor=request.user, room=room, **form.values()),
            lambda saved: _("The room “%(name)s” is saved.") % {"name": saved.name}):
        return redirect("places:room_list")
    return render(request, "places/rooms/room_form.html", {"form": form, "room": room})


@login_required
def room_create(request):
    return _room_form(request, _committee(request))


@login_required
def room_edit(request, pk):
    committee = _committee(request)
    room = sel.room_get(committee, pk)
    if room is None:
        raise Http404
    return _room_form(request, committee, room)


def _room(request, pk):
    room = sel.room_get(_committee(request), pk)
    if room is None or not room.active and not sel.may_manage(request.user, room.committee_id):
        raise Http404(_("No such room."))
    return room


@login_required
@require_GET
def room_week(request, pk):
    room = _room(request, pk)
    today = timezone.localdate()
    first, last = sel.week_of(parse_day(request.GET.get("day"), today))
    return render(request, "places/rooms/room_week.html", {
        "room": room, "days": sel.calendar_days(request.user, room, first, last), "first": first, "last": last,
        "prev": first - datetime.timedelta(days=7), "next": first + datetime.timedelta(days=7), "today": today,
        "staff": sel.may_manage(request.user, room.committee_id)})


@login_required
@require_GET
def room_month(request, pk):
    room = _room(request, pk)
    today = timezone.localdate()
    first, last = sel.month_of(parse_month(request.GET.get("month"), today))
    prev = (first - datetime.timedelta(days=1)).replace(day=1)
    return render(request, "places/rooms/room_month.html", {
        "room": room, "days": sel.calendar_days(request.user, room, first, last), "first": first,
        "prev": prev, "next": last + datetime.timedelta(days=1), "today": today,
        "staff": sel.may_manage(request.user, room.committee_id)})


# --- bookings ------------------------------------------------------------------------------------------------


@login_required
def booking_create(request, pk):
    room = _room(request, pk)
    staff = sel.may_manage(request.user, room.committee_id)
    day = parse_day(request.GET.get("day"), timezone.localdate())
    form = BookingForm(request.POST or None, activities=sel.upcoming_activities(room.committee_id),
                       staff=staff, initial={"day": day})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = svc.booking_request(actor=request.user, room=room, starts_at=data["starts_at"],
                                          ends_at=data["ends_at"], purpose=data["purpose"],
                                          activity=data.get("activity"), confirm=data.get("confirm", False))
        except ValidationError as exc:
            form_errors_from(exc, form, aliases={"starts_at": "start", "ends_at": "end", "room": None})
        else:
            messages.success(request, _("The room is booked.") if booking.status == "confirmed"
                             else _("Your request is sent; staff will confirm it."))
            return redirect(f"{reverse('places:room_week', args=[room.pk])}?day={timezone.localtime(booking.starts_at).date()}")
    return render(request, "places/rooms/booking_form.html", {"form": form, "room": room})


@login_required
@require_GET
def booking_list(request):
    committee = _committee(request)
    staff = sel.may_manage(request.user, committee)
    pending = page_of(request, sel.pending(committee), PAGE_SIZE) if staff else None
    mine = list(sel.my_bookings(request.user, committee)[:PAGE_SIZE])
    return render(request, "places/rooms/booking_list.html", {
        "page": pending, "mine": mine, "staff": staff, "query": pager_query(request)})


@login_required
@require_GET
def booking_detail(request, pk):
    _committee(request)
    booking = sel.booking_get(request.user, pk)
    if booking is None:
        raise Http404(_("No such booking."))
    return render(request, "places/rooms/booking_detail.html", {
        "booking": booking, "staff": sel.may_manage(request.user, booking.room.committee_id), "form": ReasonForm()})


@login_required
@require_POST
def booking_decide(request, pk, decision):
    _committee(request)
    booking = sel.booking_get(request.user, pk)
    if booking is None:
        raise Http404(_("No such booking."))
    reason = request.POST.get("reason", "")
    if decision == "confirm":
        service_message(request, lambda: svc.booking_confirm(actor=request.user, booking=booking),
                        _("The booking is confirmed."))
    elif decision == "decline":
        service_message(request, lambda: svc.booking_decline(actor=request.user, booking=booking, reason=reason),
                        _("The booking is declined."))
    elif decision == "cancel":
        service_message(request, lambda: svc.booking_cancel(actor=request.user, booking=booking, reason=reason),
                        _("The booking is cancelled."))
    else:
        raise Http404
    return redirect("places:booking_detail", pk=booking.pk)


# --- the reading corner --------------------------------------------------------------------------------------


@login_required
def book_list(request):
    committee = _committee(request)
    staff = sel.may_manage(request.user, committee)
    form = BookForm(request.POST or None) if staff else None
    if request.method == "POST":
        _staff(request, committee)
        if form.is_valid() and service_on_form(
                request, form, lambda: svc.book_create(actor=request.user, committee=committee, **form.cleaned_data),
                lambda book: _("“%(title)s” is added.") % {"title": book.title}):
            return redirect("places:book_list")
    text = request.GET.get("q", "").strip()
    page = page_of(request, sel.books(committee, text), PAGE_SIZE)
    return render(request, "places/rooms/book_list.html", {
        "page": page, "form": form, "staff": staff, "q": text, "query": pager_query(request),
        "loan_form": LoanForm(), "loan_days": svc.loan_days()})


@login_required
@require_POST
def book_lend(request, pk):
    committee = _committee(request)
    _staff(request, committee)
    book = Book.objects.filter(committee=committee, pk=pk).first()
    if book is None:
        raise Http404
    form = LoanForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"member": [_("Name the member who borrows the book.")]})
        found = list(search_members(restrict(Member.objects.filter(committee=committee), request.user, VIEW),
                                    form.cleaned_data["member"], numbers=False).order_by("id")[:2])
        if len(found) != 1:
            raise ValidationError({"member": [_("Member: no one matches “%(q)s”.") % {"q": form.cleaned_data["member"]}
                                              if not found else
                                              _("Member: more than one matches “%(q)s”; type the full name.")
                                              % {"q": form.cleaned_data["member"]}]})
        loan = svc.loan_create(actor=request.user, book=book, member=found[0], due_on=form.cleaned_data["due_on"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("“%(title)s” is lent to %(name)s, due %(due)s.")
                         % {"title": book.title, "name": loan.member.name, "due": loan.due_on})
    return redirect("places:book_list")


@login_required
@require_GET
def loan_list(request):
    committee = _committee(request)
    _staff(request, committee)
    late = request.GET.get("overdue") == "1"
    qs = sel.overdue(committee) if late else sel.open_loans(committee)
    page = page_of(request, qs, PAGE_SIZE)
    return render(request, "places/rooms/loan_list.html", {
        "page": page, "overdue": late, "query": pager_query(request), "today": timezone.localdate()})


@login_required
@require_POST
def loan_return(request, pk):
    committee = _committee(request)
    _staff(request, committee)
    loan = Loan.objects.filter(book__committee=committee, pk=pk).select_related("book").first()
    if loan is None:
        raise Http404
    service_message(request, lambda: svc.loan_return(actor=request.user, loan=loan),
                    _("“%(title)s” is back.") % {"title": loan.book.title})
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/places/")
                    else "places:loan_list")


@login_required
@require_GET
def my_loans(request):
    committee = _committee(request)
    member = own_member(request.user, committee.pk)
    loans = page_of(request, sel.member_loans(member) if member else Loan.objects.none(), PAGE_SIZE)
    return render(request, "places/rooms/my_loans.html", {"page": loans, "member": member,
                                                          "today": timezone.localdate(), "query": pager_query(request)})


# --- the archive corner --------------------------------------------------------------------------------------


@login_required
@require_GET
def archive_list(request):
    committee = _committee(request)
    text = request.GET.get("q", "").strip()
    page = page_of(request, sel.archive_documents(request.user, committee, text), PAGE_SIZE)
    return render(request, "places/rooms/archive_list.html", {"page": page, "q": text, "query": pager_query(request)})


@login_required
def member_archive(request, pk):
    member = restrict(Member.objects.select_related("branch"), request.user, EDIT).filter(pk=pk).first()
    if member is None:
        raise Http404(_("No such member."))
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            svc.document_add(actor=request.user, member=member, kind=data["kind"], title=data["title"],
                             files=[data["file"]])
        except ValidationError as exc:
            form_errors_from(exc, form, aliases={"files": "file"})
        else:
            messages.success(request, _("The document is kept in the archive."))
            return redirect("places:member_archive", pk=member.pk)
    return render(request, "places/rooms/member_archive.html", {
        "member": member, "documents": sel.documents(request.user, member)[:100], "form": form})


@login_required
@require_GET
def document_download(request, pk):
    doc = sel.document_get(request.user, pk)
    if doc is None:
        raise Http404
    response = file_response(doc.file, doc.original_name, doc.content_type, inline=request.GET.get("inline") == "1")
    audit_log(actor=request.user, action="places.document_download", obj=doc, ip_address=client_ip(request),
              new={"member": doc.member_id, "file": doc.original_name, "sha256": doc.sha256})
    return response
