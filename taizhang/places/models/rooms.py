"""Models of the rooms area of 党员之家: the rooms and their bookings, the reading corner's books and loans,
and the archive corner's per-member documents."""

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.models import CheckedFile

__all__ = ["Room", "WhoMayBook", "Booking", "BookingStatus", "Book", "Loan", "ArchiveDocument", "DocumentKind"]

WEEKDAYS = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


class WhoMayBook(models.TextChoices):
    MEMBERS = "members", _("members and staff")
    STAFF = "staff", _("staff only")


class Room(models.Model):
    """A room (or corner) of 党员之家 that can be booked. ``hours`` holds the opening hours per weekday:
    ``{"0": ["09:00", "21:00"], …}`` with 0 = Monday; a weekday missing from it is closed."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    name = models.CharField(pgettext_lazy("room", "name"), max_length=50)
    place = models.CharField(_("place"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), default=10)
    equipment = models.CharField(_("equipment"), max_length=300, blank=True)
    hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    who_may_book = models.CharField(_("who may book"), max_length=10, choices=WhoMayBook.choices,
                                    default=WhoMayBook.MEMBERS)
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["committee_id", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="places_room_unique_name")]

    def __str__(self):
        return self.name

    def hours_on(self, weekday: int):
        """(opens, closes) as "HH:MM" strings for a weekday (0 = Monday), or None when closed."""
        value = (self.hours or {}).get(str(weekday))
        return tuple(value) if value else None

    @property
    def hours_display(self) -> list:
        return [(WEEKDAYS[d], self.hours_on(d)) for d in range(7)]


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    CONFIRMED = "confirmed", _("confirmed")
    CANCELLED = "cancelled", _("cancelled")
    DECLINED = "declined", _("declined")


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')`` (PostgreSQL): the booked period, for the exclusion constraint."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists on PostgreSQL only: on other databases (SQLite) it writes no SQL
    — neither when added nor when SQLite rebuilds the table in a later migration — and validates nothing
    (the booking service's room lock keeps confirmed bookings apart there)."""

    @staticmethod
    def _postgres(schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._postgres(schema_editor) else None

    def validate(self, model, instance, exclude=None, using="default"):
        from django.db import connections

        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class Booking(models.Model):
    """A booking of a room: requested by a member (or staff), confirmed or declined by staff
    (``places.manage``), cancelled with a reason. Two confirmed bookings of a room never overlap: the
    service checks under a lock of the room row, and on PostgreSQL an exclusion constraint refuses it too
    (added by migration only there, see ``migrations``)."""

    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    purpose = models.CharField(_("purpose"), max_length=200)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"), on_delete=models.PROTECT,
                                  related_name="+")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activity"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices,
                              default=BookingStatus.REQUESTED)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["room", "starts_at"]), models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="places_booking_ends_after"),
            PostgresExclusionConstraint(
                name="places_booking_no_overlap",
                expressions=[("room", RangeOperators.EQUAL),
                             (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS)],
                condition=Q(status="confirmed"),
            ),
        ]

    def __str__(self):
        return f"{self.room} {self.starts_at:%Y-%m-%d %H:%M}"


class Book(models.Model):
    """A book of the reading corner; ``copies`` is how many the corner holds."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=100, blank=True)
    copies = models.PositiveIntegerField(_("copies"), default=1)
    isbn = models.CharField("ISBN", max_length=20, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")
        ordering = ["title", "id"]

    def __str__(self):
        return self.title


class Loan(models.Model):
    """A book lent to a member: out, due and (once returned) back."""

    book = models.ForeignKey(Book, verbose_name=_("book"), on_delete=models.PROTECT, related_name="loans")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="+")
    out_on = models.DateField(_("lent on"))
    due_on = models.DateField(_("due on"))
    back_on = models.DateField(_("returned on"), null=True, blank=True)
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lent by"), on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-out_on", "-id"]
        indexes = [models.Index(fields=["back_on", "due_on"])]
        constraints = [models.CheckConstraint(condition=Q(due_on__gte=models.F("out_on")),
                                              name="places_loan_due_after_out")]

    def __str__(self):
        return f"{self.book} → {self.member}"


class DocumentKind(models.TextChoices):
    INTRODUCTION = "introduction", _("introduction letter")
    CERTIFICATE = "certificate", _("certificate")
    OTHER = "other", _("other document")


def archive_path(instance, filename):
    ext = filename[filename.rfind("."):].lower() if "." in filename else ""
    return f"places_archive/{uuid.uuid4().hex[:16]}{ext}"


class ArchiveDocument(CheckedFile):
    """A document of a member kept in the archive corner (checked like every attachment); seen and
    downloaded only by those who may edit the member, every download audited."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=archive_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("archive document")
        verbose_name_plural = _("archive documents")
        ordering = ["member_id", "-uploaded_at", "-id"]
