"""Study points (学习积分): rules as versioned data, append-only entries, study records, external scores.

* ``PointRule`` — one *version* of a rule. Versions of the same rule share ``family``; revising a rule
  closes the current version (``effective_to``) and creates version N+1 that ``replaces`` it, so an
  entry always points at the version that produced it and a used row is never edited.
* ``PointEntry`` — append-only. A total is always the sum of entries. A mistake (or changed attendance)
  is undone by a correcting entry that ``corrects`` the original with the opposite points.
* ``StudyRecord`` — a member's own study or volunteer hours, approved by someone who may edit the member
  and is neither the requester nor the member.
* ``ExternalScoreImport`` / ``ExternalScore`` — period snapshots of the external platforms' scores
  (学习强国, 灯塔-党建在线). A later import of the same platform/member/period is stored beside the
  earlier one; reads use the newest.

Periods of external scores are written ``YYYY`` (a year) or ``YYYY-MM`` (a month) and stored with
their first and last day, so snapshots of any period can be found by date.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core import generations


class RuleAction(models.TextChoices):
    ATTENDED = "attended", _("Attended an activity")
    ABSENT = "absent", _("Absent without leave")
    STUDY_READ = "study_read", _("Read a study item")
    STUDY_RECORD = "study_record", _("Study record approved")
    VOLUNTEER_HOURS = "volunteer_hours", _("Volunteer hours (points per hour)")
    ANNUAL_BASELINE = "annual_baseline", _("Annual baseline")
    MANUAL = "manual", _("Manual adjustment")


class PointRule(models.Model):
    """One version of a points rule of a committee (DOMAIN_RULES "Study points").

    ``activity_type`` narrows the attendance actions to one type; empty means any type that counts as
    organisational life (a type-specific rule wins over the general one). Caps bound the *sum* a member
    gets from the rule (all its versions) per day and per calendar year; for negative rules they bound
    the absolute value. ``categories`` empty = every member category; the age band is checked with the
    member's age on the entry's day (``max_age`` 69 exempts members aged 70 and over).
    """

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT, related_name="point_rules"
    )
    family = models.UUIDField(_("rule"), default=uuid.uuid4, editable=False, db_index=True,
                              help_text=_("Shared by all versions of the same rule."))
    name = models.CharField(pgettext_lazy("points rule", "name"), max_length=100)
    action = models.CharField(_("action"), max_length=20, choices=RuleAction.choices)
    activity_type = models.ForeignKey(
        "activities.ActivityType",
        verbose_name=_("activity type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only for attendance rules. Empty means any type that counts as organisational life."),
    )
    points = models.IntegerField(_("points"), help_text=_("May be negative. For volunteer hours: points per hour."))
    daily_cap = models.PositiveIntegerField(_("daily cap"), null=True, blank=True,
                                            help_text=_("Most points a member can get from this rule in one day; "
                                                        "empty means no cap."))
    yearly_cap = models.PositiveIntegerField(_("yearly cap"), null=True, blank=True,
                                             help_text=_("Most points a member can get from this rule in a "
                                                         "calendar year; empty means no cap."))
    categories = models.JSONField(_("member categories"), default=list, blank=True,
                                  help_text=_("Empty means all categories."))
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("up to age"), null=True, blank=True,
                                               help_text=_("For example 69 exempts members aged 70 and over."))
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True,
                                    help_text=_("Empty means still in force."))
    version = models.PositiveIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self", verbose_name=_("replaces version"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["committee_id", "action", "name", "-version"]
        indexes = [models.Index(fields=["committee", "action", "effective_from"])]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="point_rule_family_version_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="point_rule_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="point_rule_age_band_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} (v{self.version})"

    @property
    def category_labels(self) -> list[str]:
        from taizhang.members.models import Category

        return [str(Category(c).label) for c in self.categories if c in Category.values]

    @property
    def is_manual(self) -> bool:
        """The committee's "manual adjustment" rule: its entries carry their own points and reason."""
        return self.action == RuleAction.MANUAL

    def in_force_on(self, day) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def applies_to(self, member, day) -> bool:
        """Does this rule apply to ``member`` on ``day`` (category and age on that day)?"""
        if self.categories and member.category not in self.categories:
            return False
        age = member.age_on(day)
        if self.min_age is not None and age < self.min_age:
            return False
        return not (self.max_age is not None and age > self.max_age)


class EntrySource(models.TextChoices):
    ATTENDANCE = "attendance", _("Attendance")
    STUDY_READ = "study_read", _("Study item read")
    STUDY_RECORD = "study_record", _("Study record")
    MANUAL = "manual", _("Manual correction")


class PointEntryQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Insert the entries; their committees get a new points generation (``core.generations``) in the same
        transaction, so the cached answers that sum points are computed afresh."""
        objs = list(objs)
        created = super().bulk_create(objs, *args, **kwargs)
        generations.changed(generations.POINTS, {entry.committee_id for entry in objs})
        return created

    def update(self, **kwargs):
        raise TypeError("point entries are append-only; add a correcting entry instead")

    def delete(self):
        raise TypeError("point entries are append-only; add a correcting entry instead")

    _raw_delete = delete


class PointEntry(models.Model):
    """One line in a member's points ledger (append-only).

    ``source_key`` names what produced the entry (``attendance:<activity>:<member>``,
    ``study_read:<item>:<member>``, ``study_record:<record>``) so recomputation can compare what the
    entries of a source net to with what they should. A correcting entry ``corrects`` the entry it
    reverses and carries the opposite points. The reason shown to the member is built when it is read
    (``reason``) from the source, the rule's action and ``subject``, so it follows the reader's language.
    """

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="point_entries")
    rule = models.ForeignKey(PointRule, verbose_name=_("rule version"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="entries")
    points = models.IntegerField(_("points"))
    day = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=20, choices=EntrySource.choices)
    source_key = models.CharField(_("source key"), max_length=100, db_index=True)
    activity = models.ForeignKey("activities.Activity", verbose_name=_("activity"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    study_record = models.ForeignKey("StudyRecord", verbose_name=_("study record"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="entries")
    subject = models.CharField(_("about"), max_length=300, blank=True,
                               help_text=_("The activity, study item or record the entry is about (its title)."))
    subject_type = models.CharField(_("activity type"), max_length=50, blank=True)
    corrects = models.OneToOneField("self", verbose_name=_("corrects"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="corrected_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("point entry")
        verbose_name_plural = _("point entries")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["member", "day"]), models.Index(fields=["committee", "day"])]

    def __str__(self):
        return f"{self.member} {self.day:%Y-%m-%d} {self.points:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("point entries are append-only; add a correcting entry instead")
        super().save(*args, **kwargs)
        generations.changed(generations.POINTS, [self.committee_id])

    def delete(self, *args, **kwargs):
        raise TypeError("point entries are append-only; add a correcting entry instead")

    @property
    def reason(self) -> str:
        """Why the member got these points, in the reader's language (needs ``rule`` and ``corrects``)."""
        if self.corrects_id is not None:
            return _("Correction: %(reason)s") % {"reason": self.corrects.reason}
        title = self.subject
        if self.subject_type and not title.startswith(self.subject_type):
            title = _("%(type)s: %(title)s") % {"type": self.subject_type, "title": title}
        values = {"day": self.day.isoformat(), "title": title}
        action = self.rule.action if self.rule_id else ""
        if self.source == EntrySource.ATTENDANCE:
            if action == RuleAction.ABSENT:
                return _("Absent without leave %(day)s %(title)s") % values
            return _("Attended %(day)s %(title)s") % values
        if self.source == EntrySource.STUDY_READ:
            return _("Read the study item “%(title)s”") % values
        if self.source == EntrySource.STUDY_RECORD:
            if action == RuleAction.VOLUNTEER_HOURS:
                return _("Volunteer hours approved: %(title)s") % values
            return _("Study record approved: %(title)s") % values
        return self.subject


def default_threshold() -> int:
    """A new committee's threshold: setting POINTS_THRESHOLD (TAIZHANG_POINTS_THRESHOLD, 65)."""
    return settings.POINTS_THRESHOLD


def default_baseline() -> int:
    """A new committee's annual baseline: setting POINTS_ANNUAL_BASELINE (TAIZHANG_POINTS_ANNUAL_BASELINE, 60).

    DOMAIN_RULES: schemes in the field start the year at 60, 70 or 100.
    """
    return settings.POINTS_ANNUAL_BASELINE


class PointsSettings(models.Model):
    """A committee's points settings: threshold, annual baseline and whether rankings are shown.

    The threshold is the yearly total (baseline included) a member needs to reach (达标). It is the one
    place that decides it: ``is_below``. Kept above the baseline (``participation_needed`` > 0), a member
    who took part in nothing, and so keeps only the baseline, is below it.
    """

    committee = models.OneToOneField("organisation.Committee", verbose_name=_("committee"),
                                     on_delete=models.CASCADE, related_name="points_settings")
    threshold = models.IntegerField(
        _("threshold"), default=default_threshold,
        help_text=_("The yearly total (baseline included) a member needs to reach; members below it are "
                    "highlighted. Keep it above the annual baseline: a member who took part in nothing all "
                    "year keeps just the baseline."),
    )
    annual_baseline = models.PositiveIntegerField(
        _("annual baseline"), default=default_baseline,
        help_text=_("Points every member starts the year with (schemes use 60, 70 or 100); 0 means none."),
    )
    ranking_enabled = models.BooleanField(
        _("show rankings"), default=False,
        help_text=_("Off by default: members objected to public league tables; turn on only if the "
                    "organisation decided so."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points settings")
        verbose_name_plural = _("points settings")

    def __str__(self):
        return str(self.committee)

    @property
    def participation_needed(self) -> int:
        """Points to earn by taking part (above the baseline) to reach the threshold; ≤ 0 means none."""
        return self.threshold - self.annual_baseline

    def is_below(self, total: int) -> bool:
        """Whether a yearly total (baseline included) is below the threshold (not 达标)."""
        return total < self.threshold


class StudyKind(models.TextChoices):
    SELF_STUDY = "self_study", _("Self study")
    VOLUNTEER = "volunteer", _("Volunteer hours")


class RecordStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class StudyRecord(models.Model):
    """A member's own study (心得, self study) or volunteer hours, waiting for approval or decided."""

    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="study_records")
    day = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=StudyKind.choices, default=StudyKind.SELF_STUDY)
    title = models.CharField(pgettext_lazy("study record", "title"), max_length=200)
    content = models.TextField(_("what was studied or done"), blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("study record")
        verbose_name_plural = _("study records")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["status", "day"])]
        constraints = [
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(decision_note=""),
                                   name="study_record_rejection_has_reason"),
            models.CheckConstraint(condition=~Q(kind="volunteer") | Q(hours__gt=0),
                                   name="study_record_volunteer_has_hours"),
        ]

    def __str__(self):
        return f"{self.member} {self.day:%Y-%m-%d} {self.title}"


class Platform(models.TextChoices):
    XUEXI = "xuexi", _("Xuexi Qiangguo")
    DENGTA = "dengta", _("Dengta party building online")


class ExternalScoreImport(models.Model):
    """One committed import of external platform scores (a file)."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT,
                                  related_name="+")
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("imported by"),
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("rows imported"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)

    class Meta:
        verbose_name = _("external score import")
        verbose_name_plural = _("external score imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self):
        return f"{self.file_name} {self.imported_at:%Y-%m-%d %H:%M}"


class ExternalScore(models.Model):
    """One member's score on one platform for one period, as imported (never recomputed or overwritten)."""

    score_import = models.ForeignKey(ExternalScoreImport, verbose_name=_("import"), on_delete=models.PROTECT,
                                     related_name="scores")
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT,
                               related_name="external_scores")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY for a year or YYYY-MM for a month."))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("external score")
        verbose_name_plural = _("external scores")
        ordering = ["-period_start", "platform", "-id"]
        indexes = [models.Index(fields=["member", "platform", "period", "id"])]

    def __str__(self):
        return f"{self.member} {self.get_platform_display()} {self.period} {self.score}"
