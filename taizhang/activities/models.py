"""Organisational life and study (组织生活和学习): activity types, activities, sign-ups and attendance.

Who is expected at an activity (应到) is never stored: it is the audience's members who were on the
roster on the activity's date, read from the flow history (``selectors.expected_attendees``).
Attendance rows record what happened to a member (present / absent / on leave); a member expected but
without a row is counted as absent without a recorded reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core.models import CheckedFile
from taizhang.members.audience import Audience, AudienceKind, consistent_q

# The standard activity types a committee starts with (editable data afterwards):
# (name, counts as organisational life, expected per year per organising unit; 0 = no expectation).
# Frequencies from DOMAIN_RULES.md "Organisational life and study".
STANDARD_ACTIVITY_TYPES = [
    ("集体学习", True, 0),
    ("电影党课", True, 0),  # the committee's 「光影铸魂」 film party lessons
    ("主题党日", True, 12),
    ("参观红色教育基地/展览", False, 0),
    ("进社区志愿服务", False, 0),
    ("志愿值守", False, 0),
    ("书法比赛/笔会", False, 0),
    ("演讲比赛", False, 0),
    ("微党课", False, 0),
    ("每月一学", True, 0),
    ("支部委员会", True, 12),
    ("党小组会", True, 12),
    ("党员大会", True, 4),
    ("党课", True, 1),
    ("组织生活会", True, 1),
    ("民主评议", True, 1),
]


class ActivityType(models.Model):
    """A kind of activity (集体学习, 主题党日, 支部委员会 …), editable per committee."""

    committee = models.ForeignKey(
        "organisation.Committee",
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        related_name="activity_types",
    )
    name = models.CharField(pgettext_lazy("activity type", "name"), max_length=50)
    counts_as_org_life = models.BooleanField(
        _("counts as organisational life"),
        default=False,
        help_text=_("Meetings and lessons of organisational life (三会一课, theme party day …)."),
    )
    expected_per_year = models.PositiveSmallIntegerField(
        _("expected per year"),
        default=0,
        help_text=_("How many a year each organising unit should hold; 0 means no expectation."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Types no longer in use stay on past activities.")
    )

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["committee_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="activity_type_name_unique"),
        ]

    def __str__(self):
        return self.name


class Activity(Audience):
    """One activity: a meeting, a study, a visit, a volunteer day … with its audience.

    ``organiser_branch`` empty means the committee organises it. The audience (``members.audience``)
    is the whole committee, one branch, one party group or a list of picked members.
    """

    AUDIENCE_KINDS = tuple(AudienceKind)

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT, related_name="activities"
    )
    organiser_branch = models.ForeignKey(
        "organisation.Branch",
        verbose_name=_("organised by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty means the committee organises it."),
    )
    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity type"), on_delete=models.PROTECT, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    picked_members = models.ManyToManyField(
        "members.Member", verbose_name=_("picked members"), blank=True, related_name="picked_activities"
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty means no limit.")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["committee", "starts_at"]),
            models.Index(fields=["activity_type", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="activity_capacity_positive"
            ),
            models.CheckConstraint(condition=consistent_q(picked=True), name="activity_audience_consistent"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"

    @property
    def date(self):
        """The activity's day in the local time zone (Asia/Shanghai): the day the roster is read on."""
        return timezone.localdate(self.starts_at)


class SignUpStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", pgettext_lazy("sign-up", "Cancelled")


class MadeBy(models.TextChoices):
    SELF = "self", _("The member")
    STAFF = "staff", _("Staff on the member's behalf")


class SignUp(models.Model):
    """A member's sign-up for an activity. Cancelled sign-ups stay as history; at most one is live."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="signups"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="signups"
    )
    status = models.CharField(_("status"), max_length=20, choices=SignUpStatus.choices)
    made_by = models.CharField(_("signed up by"), max_length=10, choices=MadeBy.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    promoted_at = models.DateTimeField(_("moved off the waiting list at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["signed_up_at", "id"]
        indexes = [models.Index(fields=["activity", "status", "signed_up_at", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=~Q(status="cancelled"),
                name="signup_one_live_per_member",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.activity}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    LEAVE = "leave", _("On leave")


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    WORK = "work", _("Work")
    OUT_OF_BEIJING = "out_of_beijing", _("Out of Beijing")
    OTHER = "other", _("Other")


class CheckInMethod(models.TextChoices):
    STAFF = "staff", _("Recorded by staff")
    QR = "qr", _("QR code check-in")


class Attendance(models.Model):
    """What happened to one member at one activity: present, absent (with a reason) or on leave (请假).

    One row per (activity, member). ``checked_in_at`` is the live check-in time; attendance entered
    after the activity from a paper sheet has none. ``walk_in``: the member was not in the activity's
    audience on its date when the attendance was recorded (非应到人员); a walk-in gains no access to the
    activity's discussion notes or their attachments.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="attendances"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="attendances"
    )
    status = models.CharField(_("attendance"), max_length=10, choices=AttendanceStatus.choices)
    absence_reason = models.CharField(
        _("reason for absence"), max_length=20, choices=AbsenceReason.choices, blank=True
    )
    note = models.CharField(_("remark"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    method = models.CharField(_("recorded through"), max_length=10, choices=CheckInMethod.choices)
    walk_in = models.BooleanField(_("walk-in (not in the audience)"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["activity_id", "id"]
        indexes = [models.Index(fields=["member", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], name="attendance_one_per_member"),
            models.CheckConstraint(
                condition=~Q(status="present") | Q(absence_reason=""), name="attendance_present_has_no_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="present") | Q(checked_in_at__isnull=True),
                name="attendance_check_in_only_when_present",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.activity} · {self.get_status_display()}"


# --- reflections, discussion notes and study content (心得体会, 讨论记录, 学习内容) ------------------------


def _short_uuid() -> str:
    import uuid

    return uuid.uuid4().hex


def _safe_suffix(filename: str) -> str:
    import os

    ext = os.path.splitext(filename or "")[1].lower()
    return ext if ext[1:].isalnum() and len(ext) <= 6 else ""


def note_attachment_path(instance, filename: str) -> str:
    """``activity_notes/<activity id>/<random>.<ext>``: the original (Chinese) name is kept in the row."""
    return f"activity_notes/{instance.note.activity_id}/{_short_uuid()}{_safe_suffix(filename)}"


def study_file_path(instance, filename: str) -> str:
    return f"study_items/{instance.committee_id}/{_short_uuid()}{_safe_suffix(filename)}"


class NoteKind(models.TextChoices):
    REFLECTION = "reflection", _("Reflection")
    DISCUSSION = "discussion", _("Discussion notes")


class ActivityNote(models.Model):
    """A member's reflection (心得体会) on an activity, or staff's discussion notes (讨论记录) of it.

    A reflection belongs to the member who wrote it; discussion notes have no member. Withdrawing a
    note hides it (it is kept, with the audit trail); nothing is deleted.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="activity_notes"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="activity_notes",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoteKind.choices)
    text = models.TextField(_("text"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity note")
        verbose_name_plural = _("activity notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["activity", "kind"]), models.Index(fields=["member", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="reflection") | Q(member__isnull=False), name="activity_note_reflection_has_member"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.activity}"


class NoteAttachment(CheckedFile):
    """A photo or file attached to an activity note, stored through Django's storage API."""

    note = models.ForeignKey(ActivityNote, verbose_name=_("note"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=note_attachment_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    removed = models.BooleanField(_("removed"), default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["note_id", "id"]


    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")



class StudyKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly study topic")
    MICRO_LESSON = "micro_lesson", _("Micro party lesson")
    OTHER = "other", _("Other study material")


class StudyItem(Audience):
    """A study item published by the study committee member (学习委员) to an audience (the whole committee,
    a branch or a party group: ``members.audience``): a 每月一学 topic, a 微党课 or other material, with
    text, a link and/or a file. Members mark it read (``StudyRead``).

    ``date`` (the local publication day) is the day the points engine books a read on.
    """

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT, related_name="study_items"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=StudyKind.choices, default=StudyKind.MONTHLY)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=study_file_path, max_length=300, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    file_content_type = models.CharField(_("content type"), max_length=100, blank=True)
    file_sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    month = models.DateField(_("month"), null=True, blank=True, help_text=_("For a monthly study topic: its month."))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("study item")
        verbose_name_plural = _("study items")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["committee", "published_at"])]
        constraints = [
            models.CheckConstraint(condition=consistent_q(picked=False), name="study_item_audience_consistent"),
        ]

    def __str__(self):
        return self.title

    @property
    def date(self):
        """The local (Asia/Shanghai) day the item was published."""
        return timezone.localdate(self.published_at)


class StudyRead(models.Model):
    """A member has read a study item (once; the first time counts)."""

    item = models.ForeignKey(StudyItem, verbose_name=_("study item"), on_delete=models.PROTECT, related_name="reads")
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="study_reads"
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)
    # Derived (``study_tallies``): the branch whose tally counts this read — the reader's branch while they are
    # on the roster today (their open roster spell), None while they are not.
    counted_branch = models.ForeignKey(
        "organisation.Branch", verbose_name=_("counted in branch"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )

    class Meta:
        verbose_name = _("study item read")
        verbose_name_plural = _("study items read")
        ordering = ["item_id", "read_at", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="study_read_once")]

    def __str__(self):
        return f"{self.member} · {self.item}"


class StudyReadTally(models.Model):
    """A projection (ARCHITECTURE rule 13) of the reads and the roster: how many members on the roster today
    in ``branch`` (by their open roster spell) have read ``item`` — the reads whose ``counted_branch`` is the
    branch. The not-read list's totals read these rows (a few per item) instead of counting the audience's
    reads. Written by ``activities.study_tallies`` in the transaction of every read and of every change of the
    readers' roster spells; ``manage.py rebuild_projections`` recomputes it."""

    item = models.ForeignKey(StudyItem, verbose_name=_("study item"), on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("organisation.Branch", verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="+")
    read = models.IntegerField(_("members who read"), default=0)

    class Meta:
        verbose_name = _("study read tally")
        verbose_name_plural = _("study read tallies")
        constraints = [models.UniqueConstraint(fields=["item", "branch"], name="study_read_tally_once")]

    def __str__(self):
        return f"{self.item_id} · {self.branch_id}: {self.read}"


class MemberMonthTally(models.Model):
    """The activity report's tallies (``tallies.tally_sql``'s ``x``) of one member and branch on the day, pre-
    aggregated for one complete past month (``months`` 1) or one complete past year (``months`` 12, the sum of
    its months): expected (应到), present and on leave while expected, present while not (walk-ins), at the
    committee's held activities of the kinds ``tally_projection.PROJECTED_KINDS`` on days in the month(s).

    A projection (ARCHITECTURE rule 13), never edited by hand: ``tally_projection`` writes it with the same SQL
    as the live tallies, in the transaction of every write that changes it, for the months before its
    committee's ``TallyProjection.through``; ``manage.py rebuild_projections`` recomputes it.
    """

    committee = models.ForeignKey("organisation.Committee", on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+", db_index=False)
    branch = models.ForeignKey("organisation.Branch", on_delete=models.CASCADE, related_name="+", null=True,
                               db_index=False)
    month = models.DateField()  # the first day of the month (of the year, for ``months`` 12)
    months = models.PositiveSmallIntegerField(default=1)
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    leave = models.PositiveIntegerField(default=0)
    extra = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # a period's rows of a committee (the reports), with their values for an index-only scan
            models.Index(fields=["committee", "months", "month"], name="member_month_tally_period",
                         include=["member", "branch", "expected", "present", "leave", "extra"]),
            # a member's rows (rewritten when their attendance or roster spells change)
            models.Index(fields=["member", "committee", "months", "month"], name="member_month_tally_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m} ×{self.months}"


class TallyProjection(models.Model):
    """How far a committee's ``MemberMonthTally`` rows go: every month before ``through`` (a first of the month)
    is projected; later months are computed live."""

    committee = models.OneToOneField("organisation.Committee", on_delete=models.CASCADE, primary_key=True,
                                     related_name="+")
    through = models.DateField()

    def __str__(self) -> str:
        return f"{self.committee_id} {self.through:%Y-%m}"
