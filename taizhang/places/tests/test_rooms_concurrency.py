"""Two confirmed bookings of one room never overlap, also when the requests arrive at the same moment
(threads, each with its own database connection) — on SQLite and on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from taizhang.places import rooms_services as svc
from taizhang.places.models import Booking, BookingStatus, Room
from taizhang.places.tests.rooms_fixtures import at, make_room, shared_file_db  # noqa: F401


def _race(n, work):
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        try:
            barrier.wait()
            work(i)
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict["starts_at"][0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.usefixtures("shared_file_db")
@pytest.mark.django_db(transaction=True)
def test_parallel_staff_bookings_of_one_slot_confirm_one(cast):
    room = make_room(cast)

    def book(i):
        svc.booking_request(actor=cast.admin, room=Room.objects.get(pk=room.pk), starts_at=at(10, i * 10),
                            ends_at=at(12), purpose=f"支委会 {i}", confirm=True)

    results = _race(4, book)
    assert results.count("ok") == 1, results
    assert Booking.objects.filter(room=room, status=BookingStatus.CONFIRMED).count() == 1
    assert all("已被预订" in r for r in results if r != "ok")


@pytest.mark.usefixtures("shared_file_db")
@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_of_overlapping_requests_confirm_one(cast):
    room = make_room(cast)
    requests = [svc.booking_request(actor=cast.plain_member, room=room, starts_at=at(14 + i % 2, 0),
                                    ends_at=at(16, 30), purpose="读书会") for i in range(3)]
    secretaries = [cast.admin, cast.east_secretary, cast.west_secretary]

    def confirm(i):
        svc.booking_confirm(actor=secretaries[i], booking=Booking.objects.get(pk=requests[i].pk))

    results = _race(3, confirm)
    assert results.count("ok") == 1, results
    assert Booking.objects.filter(room=room, status=BookingStatus.CONFIRMED).count() == 1
    assert Booking.objects.filter(room=room, status=BookingStatus.REQUESTED).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_overlap_even_past_the_service(cast):
    room = make_room(cast)
    Booking.objects.create(room=room, starts_at=at(9), ends_at=at(11), purpose="a", booked_by=cast.admin,
                           status=BookingStatus.CONFIRMED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(room=room, starts_at=at(10), ends_at=at(12), purpose="b", booked_by=cast.admin,
                               status=BookingStatus.CONFIRMED)
    # adjacent is fine ([start, end) ranges), and so is an overlapping request or cancelled booking
    Booking.objects.create(room=room, starts_at=at(11), ends_at=at(12), purpose="c", booked_by=cast.admin,
                           status=BookingStatus.CONFIRMED)
    Booking.objects.create(room=room, starts_at=at(10), ends_at=at(12), purpose="d", booked_by=cast.admin,
                           status=BookingStatus.REQUESTED)


@pytest.mark.usefixtures("shared_file_db")
@pytest.mark.django_db(transaction=True)
def test_parallel_http_requests_for_one_slot_book_it_once(cast):
    """Three secretaries press 预订 (confirm at once) for overlapping times at the same moment."""
    from django.test import Client
    from django.urls import reverse

    room = make_room(cast)
    day = at(10).date().isoformat()
    staff = [cast.admin, cast.east_secretary, cast.west_secretary]
    statuses = []
    barrier = threading.Barrier(3)

    def post(i):
        client = Client()
        client.force_login(staff[i])
        try:
            barrier.wait()
            response = client.post(reverse("places:booking_create", args=[room.pk]), {
                "day": day, "start": f"1{i}:00", "end": "13:30", "purpose": f"会议{i}", "confirm": "on"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 302]  # one redirect (booked), two forms back with the message
    assert Booking.objects.filter(room=room, status=BookingStatus.CONFIRMED).count() == 1


@pytest.mark.usefixtures("shared_file_db")
@pytest.mark.django_db(transaction=True)
def test_parallel_loans_never_lend_more_copies_than_there_are(cast):
    from taizhang.places.models import Book, Loan

    book = svc.book_create(actor=cast.admin, committee=cast.committee, title="红岩", copies=2)
    members = cast.members[:4]
    barrier = threading.Barrier(4)
    results = []

    def lend(i):
        try:
            barrier.wait()
            svc.loan_create(actor=cast.admin, book=Book.objects.get(pk=book.pk), member=members[i])
            results.append("ok")
        except ValidationError as exc:
            results.append(exc.message_dict["book"][0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=lend, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 2, results
    assert Loan.objects.filter(book=book, back_on__isnull=True).count() == 2
    assert all("已无可借的册数" in r for r in results if r != "ok")
