"""Care for elderly members (关怀): care notes, newspaper subscriptions, holiday visits and the gift store.

* ``CareProfile``: a member's care flags and notes (personal data: shown to those who may edit the member).
* ``Subscription``: one newspaper per household (a member without a household is their own) and year.
* ``VisitPlan`` / ``PlanTarget`` / ``Visit``: a festival's visit plan, the people it covers, what happened.
* ``Item`` / ``Movement``: the store. Stock is the sum of an item's movements, kept on the item as a counter
  under a row lock and a CHECK (never negative); a wrong movement is undone by a reversing one, never edited.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from taizhang.core import crypto
from taizhang.core.masking import mask_phone
from taizhang.core.models import CheckedFile
from taizhang.core.money import yuan


class Mobility(models.TextChoices):
    INDEPENDENT = "independent", _("Gets about alone")
    WITH_HELP = "with_help", _("Needs help to get about")
    HOUSEBOUND = "housebound", _("Housebound or bedridden")


class CareProfile(models.Model):
    """A member's care flags and notes (老党员关怀): how they live and what a visitor should know."""

    member = models.OneToOneField("members.Member", verbose_name=_("member"), on_delete=models.CASCADE,
                                  related_name="care_profile")
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    needs_home_visit = models.BooleanField(_("needs visits at home"), default=False)
    mobility = models.CharField(_("mobility"), max_length=20, choices=Mobility.choices, blank=True)
    living_situation = models.CharField(_("living situation"), max_length=200, blank=True)
    health = models.CharField(_("health"), max_length=200, blank=True)
    family_contact = models.CharField(_("family contact"), max_length=100, blank=True)
    family_phone_encrypted = models.TextField(blank=True, editable=False)
    notes = models.TextField(_("care notes"), max_length=2000, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("care notes")
        verbose_name_plural = _("care notes")

    def __str__(self):
        return str(self.member_id)

    @property
    def family_phone(self) -> str:
        return crypto.decrypt(self.family_phone_encrypted) if self.family_phone_encrypted else ""

    @property
    def family_phone_masked(self) -> str:
        phone = self.family_phone
        return mask_phone(phone[:3], phone[-4:]) if phone else ""


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Subscribed")
    CANCELLED = "cancelled", _("Cancelled")


DEFAULT_PAPER = "《人民日报》"


class Subscription(models.Model):
    """One paper for one household for one year (报刊订阅). A member without a household is a household of one."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    household = models.ForeignKey("members.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="subscriptions")
    recipient = models.ForeignKey("members.Member", verbose_name=_("newspaper recipient"), on_delete=models.PROTECT,
                                  related_name="subscriptions")
    address = models.CharField(_("delivery address"), max_length=200, blank=True)
    paper = models.CharField(_("newspaper"), max_length=50, default=DEFAULT_PAPER)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    cost_fen = models.BigIntegerField(_("cost"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=SubscriptionStatus.choices,
                              default=SubscriptionStatus.ACTIVE)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"),
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)
    expense = models.ForeignKey("finance.Expense", verbose_name=_("booked as expense"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("newspaper subscription")
        verbose_name_plural = _("newspaper subscriptions")
        ordering = ["year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "household"], condition=Q(household__isnull=False),
                                    name="subscription_one_per_household"),
            models.UniqueConstraint(fields=["year", "recipient"], condition=Q(household__isnull=True),
                                    name="subscription_one_per_single"),
            models.CheckConstraint(condition=Q(copies__gte=1), name="subscription_copies_positive"),
            models.CheckConstraint(condition=Q(cost_fen__gte=0), name="subscription_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["committee", "year"])]

    def __str__(self):
        return f"{self.year} {self.paper} {self.recipient_id}"


class Occasion(models.TextChoices):
    SPRING_FESTIVAL = "spring", _("Spring Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    DOUBLE_NINTH = "double_ninth", _("Double Ninth Festival")
    BIRTHDAY = "birthday", _("Birthday")
    ILLNESS = "illness", _("Illness")
    HOSPITAL = "hospital", _("In hospital")
    BEREAVEMENT = "bereavement", _("Bereavement")
    OTHER = "other", _("Other occasion")


FESTIVALS = (Occasion.SPRING_FESTIVAL, Occasion.MID_AUTUMN, Occasion.DOUBLE_NINTH)


class VisitPlan(models.Model):
    """Who is to be visited for an occasion (a festival of a year, usually), by whom and when."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    branch = models.ForeignKey("organisation.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="+")
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=100)
    starts_on = models.DateField(_("visits from"))
    ends_on = models.DateField(_("visits until"))
    note = models.TextField(_("remark"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="visit_plan_ends_after_start"),
        ]
        indexes = [models.Index(fields=["committee", "year"])]

    def __str__(self):
        return self.title


class PlanTarget(models.Model):
    """One elderly member a plan covers, who is to visit them and when; or that they declined a visit."""

    plan = models.ForeignKey(VisitPlan, verbose_name=_("visit plan"), on_delete=models.CASCADE,
                             related_name="targets")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="care_plan_targets")
    visitors = models.CharField(_("visitors"), max_length=200, blank=True)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    declined = models.BooleanField(_("declined a visit"), default=False)
    decline_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["plan", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "member"], name="plan_target_unique")]

    def __str__(self):
        return f"{self.plan_id} {self.member_id}"


class VisitMode(models.TextChoices):
    HOME = "home", _("At home")
    PHONE = "phone", _("By phone")
    PARTY_HOME = "party_home", _("At the Party members' home")


class VisitQuerySet(models.QuerySet):
    def counted(self):
        """The visits that count — for a plan's coverage, as contact, in the summary and on the member's
        page: all but the withdrawn ones (the list and the detail page still show those)."""
        return self.filter(withdrawn_at__isnull=True)


class Visit(models.Model):
    """A visit that happened (走访慰问记录): who visited whom, how, what was said and needed, what was handed out."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    branch = models.ForeignKey("organisation.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="+")
    plan = models.ForeignKey(VisitPlan, verbose_name=_("visit plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="visits")
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    visited_on = models.DateField(_("date of the visit"))
    mode = models.CharField(_("how"), max_length=20, choices=VisitMode.choices)
    visitors = models.CharField(_("visitors"), max_length=200)
    members = models.ManyToManyField("members.Member", verbose_name=_("members met"), related_name="care_visits")
    talk = models.TextField(_("what was talked about"), max_length=4000, blank=True)
    needs = models.TextField(_("what they need"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # A visit recorded by mistake is withdrawn, never deleted: it no longer counts for a plan's coverage or
    # as contact, and what it handed out went back to the store by reversing movements.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=200, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["committee", "visited_on"]), models.Index(fields=["branch", "visited_on"])]

    def __str__(self):
        return f"{self.visited_on} {self.get_occasion_display()}"


def visit_photo_path(instance, filename: str) -> str:
    """``care_photos/<year>/<random>.<ext>``: the original name is kept in the row."""
    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"care_photos/{instance.visit.visited_on.year}/{uuid.uuid4().hex[:16]}{ext}"


class VisitPhoto(CheckedFile):
    """A photo of a visit (checked like every attachment: type, size, content matching the name)."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("file"), upload_to=visit_photo_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit_id", "id"]


class Item(models.Model):
    """A kind of gift or material in the store (物资): 杯子, U盘, 笔记本 … with its unit and stock."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    name = models.CharField(_("item"), max_length=50)
    unit = models.CharField(_("unit"), max_length=10)
    low_stock = models.PositiveIntegerField(_("low-stock warning at"), default=5)
    # The sum of the item's movements, changed only by the store services under a row lock.
    stock = models.IntegerField(_("in stock"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store item")
        verbose_name_plural = _("store items")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="care_item_name_unique"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="care_item_stock_not_negative"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_low(self) -> bool:
        return self.stock <= self.low_stock


class MovementKind(models.TextChoices):
    IN = "in", _("Stock in")
    OUT = "out", _("Handed out")
    REVERSAL = "reversal", _("Correction")


class Movement(models.Model):
    """One change of an item's stock: in (+, from a supplier), out (−, to a member, a household, a visit or
    an activity) or the reversal of a wrong one (its opposite quantity)."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    day = models.DateField(_("date"))
    supplier = models.CharField(_("supplier"), max_length=100, blank=True)
    unit_price_fen = models.BigIntegerField(_("unit price"), null=True, blank=True)
    expense = models.ForeignKey("finance.Expense", verbose_name=_("expense"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("members.Member", verbose_name=_("received by"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="care_items")
    household = models.ForeignKey("members.Household", verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="gifts")
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activity"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    note = models.CharField(_("remark"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store movement")
        verbose_name_plural = _("store movements")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["item", "day"]), models.Index(fields=["member", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="in", quantity__gt=0, reverses__isnull=True)
                | Q(kind="out", quantity__lt=0, reverses__isnull=True)
                | Q(kind="reversal", reverses__isnull=False) & ~Q(quantity=0),
                name="care_movement_sign"),
            models.CheckConstraint(condition=Q(unit_price_fen__isnull=True) | Q(unit_price_fen__gte=0),
                                   name="care_movement_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.item_id} {self.quantity:+d}"

    @property
    def abs_quantity(self) -> int:
        return abs(self.quantity)

    @property
    def unit_price(self) -> str:
        return yuan(self.unit_price_fen) if self.unit_price_fen is not None else ""
