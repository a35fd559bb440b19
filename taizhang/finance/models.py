"""Money (经费): donation campaigns and their gifts and hand-overs. Amounts are integer fen (core/money.py).

Nothing here is edited or deleted once written: a wrong gift is cancelled by a reversing gift (the
same giver, the negative amount, pointing at the one it reverses), so every total is a plain SQL sum.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from taizhang.core.money import yuan


class GiftMethod(models.TextChoices):
    WECHAT = "wechat", _("WeChat transfer")
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")
    ALIPAY = "alipay", _("Alipay")


class Campaign(models.Model):
    """A donation campaign (捐款): a purpose, a start, a deadline and an optional target."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    title = models.CharField(_("title"), max_length=100)
    purpose = models.TextField(_("purpose"), max_length=2000)
    starts_on = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    target_fen = models.BigIntegerField(_("target"), null=True, blank=True)
    outsiders_allowed = models.BooleanField(_("people outside the ledger may give"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("donation campaign")
        verbose_name_plural = _("donation campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=F("starts_on")), name="campaign_deadline_after_start"),
            models.CheckConstraint(condition=Q(target_fen__isnull=True) | Q(target_fen__gt=0), name="campaign_target_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def target(self) -> str:
        return yuan(self.target_fen)


class Gift(models.Model):
    """One gift: from a member of the ledger or from someone named outside it. A gift received after the
    deadline is accepted and marked late (迟到捐款). A reversal (``reverses``) cancels a wrong gift."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="gifts")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="gifts")
    giver_name = models.CharField(_("giver"), max_length=50)
    amount_fen = models.BigIntegerField(_("amount"))
    received_on = models.DateField(_("date received"))
    method = models.CharField(_("method"), max_length=10, choices=GiftMethod.choices)
    receipt_no = models.CharField(_("receipt number"), max_length=50, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    late = models.BooleanField(_("late gift"), default=False)
    thanks_opt_out = models.BooleanField(_("leave off the thank-you list"), default=False)
    reverses = models.OneToOneField("self", verbose_name=_("reverses"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["campaign", "received_on"])]
        constraints = [
            # a gift is positive; only a reversal is negative
            models.CheckConstraint(condition=Q(reverses__isnull=True, amount_fen__gt=0)
                                   | Q(reverses__isnull=False, amount_fen__lt=0), name="gift_amount_sign"),
        ]

    def __str__(self):
        return f"{self.giver_name} {yuan(self.amount_fen)}"

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)


class Handover(models.Model):
    """Money passed on to the cause (donations are not the committee's funds): date, amount, receipt."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT,
                                 related_name="handovers")
    handed_on = models.DateField(_("date handed over"))
    amount_fen = models.BigIntegerField(_("amount"))
    recipient = models.CharField(_("recipient"), max_length=100)
    receipt_no = models.CharField(_("receipt number"), max_length=50, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["handed_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="handover_amount_positive")]

    def __str__(self):
        return f"{self.recipient} {yuan(self.amount_fen)}"

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)
