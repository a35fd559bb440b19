"""Models of the talks area of 党员之家: heart-to-heart talks (谈心谈话).

The content of a talk (topics, what was said, what was agreed) is sensitive: it is stored encrypted
(``core/crypto.py``, like the members' ID numbers) and only ``talks_selectors.may_read_content`` decides
who reads it; every read is audited (``talk.read``). The rest of the record (date, kind, place, who
talked with whom, follow-up date) is what a branch secretary sees of the talks in their branch.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from taizhang.core import crypto

__all__ = ["DEFAULT_PLACE", "DEFAULT_TARGET", "Talk", "TalkKind", "TalkReader", "TalkSettings"]

DEFAULT_PLACE = "谈心角"  # the talk corner of 党员之家: the suggested place
DEFAULT_TARGET = 1  # talks per member and year, until the committee sets its own (TalkSettings)


class TalkKind(models.TextChoices):
    HEART = "heart", _("Heart-to-heart talk")
    REMINDER = "reminder", _("Reminder talk")
    CONDOLENCE = "condolence", _("Condolence talk")
    CRITICISM = "criticism", _("Criticism and education")
    OTHER = "other", _("Other talk")


class Talk(models.Model):
    """One talk: when, which kind, where, who talked (the recorder is one of them) with which members, and
    — encrypted — its topics, what was said and what was agreed, with an optional follow-up date."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    held_on = models.DateField(_("date of the talk"))
    kind = models.CharField(_("kind of talk"), max_length=20, choices=TalkKind.choices, default=TalkKind.HEART)
    place = models.CharField(_("place"), max_length=100, blank=True)
    talkers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("talked by"), related_name="talks_held")
    members = models.ManyToManyField("members.Member", verbose_name=_("talked with"), related_name="talks")
    topics_encrypted = models.TextField(blank=True, editable=False)
    content_encrypted = models.TextField(blank=True, editable=False)
    agreed_encrypted = models.TextField(blank=True, editable=False)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("followed up on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("heart-to-heart talk")
        verbose_name_plural = _("heart-to-heart talks")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["committee", "held_on"]),
                   models.Index(fields=["follow_up_on"], condition=models.Q(follow_up_done_on__isnull=True),
                                name="talk_follow_up_open")]

    def __str__(self):
        # No content here: __str__ ends up in audit entries and the admin.
        return f"{self.held_on} {self.get_kind_display()}"

    @property
    def topics(self) -> str:
        return crypto.decrypt(self.topics_encrypted)

    @property
    def content(self) -> str:
        return crypto.decrypt(self.content_encrypted)

    @property
    def agreed(self) -> str:
        return crypto.decrypt(self.agreed_encrypted)


class TalkReader(models.Model):
    """A user the committee names to read the content of its talks (besides the talkers and the committee
    secretary). Managed by the committee admin; adding and removing are audited."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.CASCADE,
                                  related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("named reader of talks")
        verbose_name_plural = _("named readers of talks")
        constraints = [models.UniqueConstraint(fields=["committee", "user"], name="talk_reader_unique")]

    def __str__(self):
        return f"{self.committee_id}:{self.user_id}"


class TalkSettings(models.Model):
    """The committee's own target for talks: each member talked with at least ``target_per_year`` times a
    year (``DEFAULT_TARGET`` until set). Read through ``talks_selectors.target_per_year``."""

    committee = models.OneToOneField("organisation.Committee", verbose_name=_("committee"), on_delete=models.CASCADE,
                                     related_name="+")
    target_per_year = models.PositiveSmallIntegerField(
        _("talks per member and year"), default=DEFAULT_TARGET,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Every member on the roster should be talked with at least this many times a year."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("talk settings")
        verbose_name_plural = _("talk settings")

    def __str__(self):
        return str(self.committee_id)
