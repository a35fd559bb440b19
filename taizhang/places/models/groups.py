"""Models of the groups area of 党员之家: interest groups (书画, 读书, 摄影 …) with their membership history and
the activities they hold, and contests (书法比赛, 笔会, 演讲比赛) held as activities, with entries, judges'
scores or the organisers' ranking, and awards.

The activities app never imports these: the link from an activity to its group and its contest lives here
(``GroupActivity``, ``Contest.activity``) and shows on the activity page through
``activities.hooks.activity_panel``."""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.models import CheckedFile

__all__ = [
    "InterestGroup",
    "GroupMembership",
    "GroupActivity",
    "ContestMode",
    "Contest",
    "AwardLevel",
    "ContestEntry",
    "EntryFile",
    "ContestJudge",
    "EntryScore",
]


class InterestGroup(models.Model):
    """An interest group of a committee (书画, 读书, 摄影 …): data, not code. Its leader is a member."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    name = models.CharField(_("group name"), max_length=50)
    description = models.TextField(pgettext_lazy("interest group", "description"), max_length=2000, blank=True)
    leader = models.ForeignKey("members.Member", verbose_name=_("group leader"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interest group")
        verbose_name_plural = _("interest groups")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="places_group_name_unique")]

    def __str__(self):
        return self.name


class GroupMembership(models.Model):
    """One spell of a member in a group: joined on a day, left on a day (empty while still a member). Rows
    are never deleted; a member who rejoins gets a new row, so the history stays."""

    group = models.ForeignKey(InterestGroup, verbose_name=_("interest group"), on_delete=models.PROTECT,
                              related_name="memberships")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="+")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    note = models.CharField(_("remark"), max_length=200, blank=True)
    joined_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                  related_name="+")
    left_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leaving recorded by"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        ordering = ["group_id", "-joined_on", "-id"]
        indexes = [models.Index(fields=["member", "group"])]
        constraints = [
            models.UniqueConstraint(fields=["group", "member"], condition=Q(left_on__isnull=True),
                                    name="places_membership_one_open"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                                   name="places_membership_left_after_joined"),
        ]

    def __str__(self):
        return f"{self.member_id}@{self.group_id} {self.joined_on}–{self.left_on or ''}"


class GroupActivity(models.Model):
    """An activity held by an interest group (the activity itself lives in the activities app)."""

    group = models.ForeignKey(InterestGroup, verbose_name=_("interest group"), on_delete=models.PROTECT,
                              related_name="activity_links")
    activity = models.OneToOneField("activities.Activity", verbose_name=_("activity"), on_delete=models.PROTECT,
                                    related_name="+")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT,
                                  related_name="+")
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group activity")
        verbose_name_plural = _("group activities")

    def __str__(self):
        return f"{self.group_id}: {self.activity_id}"


class ContestMode(models.TextChoices):
    SCORES = "scores", _("Judges' scores (mean)")
    RANKING = "ranking", _("Ranking decided by the organisers")


class Contest(models.Model):
    """A contest (书法比赛, 笔会, 演讲比赛) held as an activity of the committee."""

    activity = models.OneToOneField("activities.Activity", verbose_name=_("activity"), on_delete=models.PROTECT,
                                    related_name="+")
    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    mode = models.CharField(_("how results are decided"), max_length=10, choices=ContestMode.choices,
                            default=ContestMode.SCORES)
    categories = models.CharField(_("categories"), max_length=200, blank=True,
                                  help_text=_("Separated by commas, e.g. 楷书, 行书, 国画."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["-id"]

    def __str__(self):
        return str(self.activity_id)

    @property
    def category_list(self) -> list[str]:
        return [c.strip() for c in self.categories.replace("，", ",").split(",") if c.strip()]


class AwardLevel(models.Model):
    """An award of a contest (一等奖, 二等奖, 三等奖, 优秀奖 …) and how many entries get it, best first."""

    contest = models.ForeignKey(Contest, verbose_name=_("contest"), on_delete=models.PROTECT, related_name="levels")
    name = models.CharField(_("award"), max_length=30)
    count = models.PositiveSmallIntegerField(_("number of awards"))
    rank = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["contest_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "name"], name="places_award_name_unique"),
            models.UniqueConstraint(fields=["contest", "rank"], name="places_award_rank_unique"),
        ]

    def __str__(self):
        return self.name


class ContestEntry(models.Model):
    """A member's entry in a contest: a work (title, category) with its files; the organisers' rank (ranking
    mode) and the award given."""

    contest = models.ForeignKey(Contest, verbose_name=_("contest"), on_delete=models.PROTECT, related_name="entries")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title of the work"), max_length=100)
    category = models.CharField(pgettext_lazy("contest", "category"), max_length=30, blank=True)
    rank = models.PositiveSmallIntegerField(pgettext_lazy("contest", "place"), null=True, blank=True)
    award = models.ForeignKey(AwardLevel, verbose_name=_("award"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="entries")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contest entry")
        verbose_name_plural = _("contest entries")
        ordering = ["contest_id", "id"]
        indexes = [models.Index(fields=["member", "contest"])]
        constraints = [models.UniqueConstraint(fields=["contest", "member", "title"], name="places_entry_unique")]

    def __str__(self):
        return self.title


def entry_file_path(instance, filename: str) -> str:
    """``contest_entries/<contest>/<random>.<ext>``: the original name is kept in the row."""
    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"contest_entries/{instance.entry.contest_id}/{uuid.uuid4().hex[:16]}{ext}"


class EntryFile(CheckedFile):
    """A file or photo of an entry (checked like every attachment)."""

    entry = models.ForeignKey(ContestEntry, verbose_name=_("contest entry"), on_delete=models.PROTECT,
                              related_name="files")
    file = models.FileField(_("file"), upload_to=entry_file_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry file")
        verbose_name_plural = _("entry files")
        ordering = ["entry_id", "id"]


class ContestJudge(models.Model):
    """A judge of a contest (a user) who scores every entry."""

    contest = models.ForeignKey(Contest, verbose_name=_("contest"), on_delete=models.PROTECT, related_name="judges")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("judge"), on_delete=models.PROTECT,
                             related_name="+")

    class Meta:
        verbose_name = _("judge")
        verbose_name_plural = _("judges")
        ordering = ["contest_id", "id"]
        constraints = [models.UniqueConstraint(fields=["contest", "user"], name="places_judge_unique")]

    def __str__(self):
        return str(self.user_id)


class EntryScore(models.Model):
    """One judge's score (0–100) of one entry; the entry's result is the exact mean of its scores."""

    entry = models.ForeignKey(ContestEntry, verbose_name=_("contest entry"), on_delete=models.PROTECT,
                              related_name="scores")
    judge = models.ForeignKey(ContestJudge, verbose_name=_("judge"), on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(_("score"))
    scored_at = models.DateTimeField(_("scored at"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["entry", "judge"], name="places_score_unique"),
            models.CheckConstraint(condition=Q(score__lte=100), name="places_score_at_most_100"),
        ]

    def __str__(self):
        return f"{self.entry_id}/{self.judge_id}: {self.score}"
