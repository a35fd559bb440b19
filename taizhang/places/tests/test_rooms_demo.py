"""``rooms_demo.load_demo``: the four rooms of the seed, a month of bookings, books with loans (one overdue),
archive documents; a second call changes nothing."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from taizhang.members import demo
from taizhang.organisation.models import Committee
from taizhang.places import rooms_demo
from taizhang.places import rooms_selectors as sel
from taizhang.places.models import ArchiveDocument, Booking, BookingStatus, Room

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("load_demo", stdout=StringIO())
            call_command("load_demo_activities", stdout=StringIO())
            first = rooms_demo.load_demo()
            second = rooms_demo.load_demo()
            yield first, second
            transaction.set_rollback(True)


def test_the_demo_has_the_four_rooms_a_month_of_bookings_loans_and_documents(loaded):
    first, second = loaded
    assert first == second and first["rooms"] == 4
    committee = Committee.objects.get(name=demo.COMMITTEE_NAME)
    assert list(Room.objects.filter(committee=committee).values_list("name", flat=True)) == [
        "党员活动室", "阅览角", "档案角", "谈心角"]
    assert Booking.objects.filter(room__committee=committee, status=BookingStatus.CONFIRMED).count() >= 15
    assert Booking.objects.filter(room__committee=committee, status=BookingStatus.REQUESTED).exists()
    today = timezone.localdate()
    if rooms_demo.activities_at_home(committee, today - datetime.timedelta(days=14),
                                     today + datetime.timedelta(days=16)).exists():
        assert Booking.objects.filter(room__committee=committee, activity__isnull=False).exists()
    assert 14 <= first["books"] <= 16
    counts = sel.summary_counts(committee)
    assert counts["loans_out"] >= 5 and counts["overdue"] == 1
    docs = ArchiveDocument.objects.filter(member__committee=committee)
    assert docs.count() == 4
    assert all(d.file.open("rb").read(5) == b"%PDF-" for d in docs)
