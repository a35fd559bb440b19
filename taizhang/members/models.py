"""The member ledger (台账): members, their flow history, households, tags and behaviour notes.

Derived values (age, 60+ flag, party age, current status) are never stored: status comes from the
flow events (see ``selectors.annotate_status``), ages from dates. ``Member.current_event`` only points
at the newest event so today's status is a join rather than a correlated subquery per row.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from taizhang.core import crypto, permissions
from taizhang.core.masking import mask_id_number, mask_phone


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("Postgraduate")
    BACHELOR = "bachelor", _("Bachelor")
    COLLEGE = "college", _("Junior college")
    SECONDARY = "secondary", _("Technical secondary school")
    HIGH_SCHOOL = "high_school", _("High school")
    MIDDLE_SCHOOL = "middle_school", _("Middle school and below")


class MembershipType(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class Category(models.TextChoices):
    """The committee's three kinds of mobile members (PRODUCT.md)."""

    WORKING = "working", _("Working or settled in Beijing")
    RESIDENT = "resident", _("No job, long-term resident")
    STATIONED = "stationed", _("Stationed office or long business trip")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    UNEMPLOYED = "unemployed", _("Not working")
    RETIRED = "retired", _("Retired")
    STUDENT = "student", _("Student")


class Status(models.TextChoices):
    """Current status, derived from the latest flow event."""

    AWAITING = "awaiting", _("Awaiting report")
    ACTIVE = "active", _("Active in Beijing")
    OUTFLOW = "outflow", _("Away from Beijing")
    LOST = "lost", _("Lost contact")
    SUSPENDED = "suspended", _("Membership suspended")
    TRANSFERRED = "transferred", _("Transferred out")
    DECEASED = "deceased", _("Deceased")


# Statuses that count as "on the roster".
ROSTER_STATUSES = [Status.AWAITING, Status.ACTIVE, Status.OUTFLOW, Status.LOST, Status.SUSPENDED]


class Household(models.Model):
    """Members living together (for one-per-household services such as the newspaper)."""

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT
    )
    name = models.CharField(_("household name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["id"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    """A behaviour characteristic tag (行为特征), e.g. 书画爱好者, 志愿者骨干."""

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT
    )
    name = models.CharField(_("tag"), max_length=30)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["committee", "name"], name="tag_name_unique")]

    def __str__(self):
        return self.name


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user, purpose=None):
        """The members ``user`` may see (or change) for ``purpose`` (default: view) — the scope decided in
        ``taizhang/core/permissions.py``."""
        return permissions.restrict(self, user, purpose or permissions.VIEW)


class Member(models.Model):
    """One party member in the ledger: the national core fields plus this committee's own."""

    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT
    )
    branch = models.ForeignKey(
        "organisation.Branch",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="members",
        help_text=_("Current branch; its history is in the flow events."),
    )
    party_group = models.ForeignKey(
        "organisation.PartyGroup",
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )

    # Identity
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)

    # Citizen ID number and phone: encrypted, with a keyed hash for lookup and the ends for display.
    id_number_encrypted = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_prefix = models.CharField(max_length=4, editable=False)
    id_number_last4 = models.CharField(max_length=4, db_index=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)

    # Party membership
    membership_type = models.CharField(
        _("membership type"), max_length=20, choices=MembershipType.choices
    )
    join_date = models.DateField(_("join date"))
    full_membership_date = models.DateField(_("full membership date"), null=True, blank=True)
    party_age_correction = models.SmallIntegerField(
        _("party age correction"),
        default=0,
        help_text=_("Years added to (or taken from) the party age computed from the full membership date."),
    )
    is_mobile = models.BooleanField(_("mobile party member"), default=True)

    # Where they live
    residence = models.CharField(_("residence address"), max_length=200, blank=True)
    district = models.ForeignKey(
        "organisation.District",
        verbose_name=_("Beijing district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    household_registration = models.CharField(_("household registration"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    # Work situation
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    position = models.CharField(_("position"), max_length=50, blank=True)
    employment_status = models.CharField(
        _("employment status"), max_length=20, choices=EmploymentStatus.choices, blank=True
    )

    # Behaviour and interests
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="members")
    interests = models.CharField(_("interests"), max_length=200, blank=True)

    last_contact_date = models.DateField(_("last contact"), null=True, blank=True)
    current_event = models.ForeignKey(
        "FlowEvent",
        verbose_name=_("latest flow event"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Pointer to the newest event; the current status is read from it, never stored here."),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)


    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name_pinyin", "id"]
        indexes = [
            models.Index(fields=["committee", "branch"]),
            models.Index(fields=["birth_date"]),
            # The ledger list's sort orders (filters.SORT_ORDER) within a committee: the first page is read in
            # index order, not sorted out of every member (a small committee in a big database too).
            models.Index(fields=["committee", "name_pinyin", "id"], name="member_committee_pinyin"),
            models.Index(fields=["committee", "last_contact_date", "id"], name="member_committee_contact"),
            models.Index(fields=["committee", "created_at", "id"], name="member_committee_created"),
        ]
        # On PostgreSQL also "member_roster_cover", a covering index for the roster counts and the 应到 pages
        # (migration 0009; not declared here because SQLite has no INCLUDE).

    def __str__(self):
        return self.name

    # --- personal numbers -------------------------------------------------------------------
    @property
    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number_last4, prefix=self.id_number_prefix)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone_prefix, self.phone_last4)

    # --- derived values ---------------------------------------------------------------------
    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_elderly(self) -> bool:
        return self.age >= settings.ELDERLY_AGE

    @property
    def party_age(self) -> int | None:
        """Whole years since full membership, plus the correction value (党龄校正值)."""
        if not self.full_membership_date:
            return None
        today = timezone.localdate()
        start = self.full_membership_date
        years = today.year - start.year - ((today.month, today.day) < (start.month, start.day))
        return max(years + self.party_age_correction, 0)


class BehaviourNote(models.Model):
    """A dated note on a member's behaviour characteristics, with who wrote it.

    Internal (``shared`` False, the default) notes are read by the staff who may change the member;
    a shared note is also shown to the member on their own page (``selectors.visible_notes``).
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="notes"
    )
    noted_on = models.DateField(_("date"))
    text = models.TextField(_("note"))
    shared = models.BooleanField(
        _("shared with the member"),
        default=False,
        help_text=_("Internal notes are seen by staff only; a shared note is also shown to the member."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("behaviour note")
        verbose_name_plural = _("behaviour notes")
        ordering = ["-noted_on", "-id"]

    def __str__(self):
        return f"{self.member} {self.noted_on}"


class EventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered (inflow to Beijing)")
    REPORTED = "reported", _("Reported to the branch")
    MOVED_BRANCH = "moved_branch", _("Moved branch")
    LEFT_BEIJING = "left_beijing", _("Left Beijing (outflow)")
    RETURNED = "returned", _("Returned to Beijing")
    TRANSFERRED_OUT = "transferred_out", pgettext_lazy("flow event", "Transferred out")
    LOST_CONTACT = "lost_contact", pgettext_lazy("flow event", "Lost contact")
    CONTACT_RESTORED = "contact_restored", _("Contact restored")
    CONTACTED = "contacted", pgettext_lazy("flow event", "Record a contact")
    SUSPENDED = "suspended", pgettext_lazy("flow event", "Membership suspended")
    RESTORED = "restored", _("Membership restored")
    PROBATION_COMPLETED = "probation_completed", _("Probation completed")
    DECEASED = "deceased", pgettext_lazy("flow event", "Deceased")
    CORRECTION = "correction", _("Correction")


class LostContactCause(models.IntegerChoices):
    """Lost-contact cause codes (DOMAIN_RULES.md "Flow")."""

    OUT_FOR_WORK = 1, _("Out for work or business")
    EMPLOYER_CLOSED = 2, _("Employer restructured or bankrupt")
    AFTER_GRADUATION = 3, _("Whereabouts unknown after graduation")
    EMPLOYER_CHANGED = 4, _("Employer changed")
    ABROAD = 5, _("Abroad")
    RESIDENCE_CHANGED = 6, _("Residence changed")
    OTHER = 7, _("Other")


class FlowEventQuerySet(models.QuerySet):
    def effective(self):
        """The effective history: without corrections and without the events they voided."""
        return self.exclude(kind=EventKind.CORRECTION).filter(corrected_by__isnull=True)

    def update(self, **kwargs):
        raise TypeError("flow events are append-only; record a correcting event instead")

    def delete(self):
        raise TypeError("flow events are append-only; record a correcting event instead")

    _raw_delete = delete


class FlowEvent(models.Model):
    """One entry in a member's append-only flow history (流入/流出).

    ``status_after`` and ``branch_after`` are the state that results from this event, fixed when the
    event is recorded; the current status and any as-of roster come from the latest event of the
    *effective history* on or before the date. A mistake is voided by a CORRECTION event that points
    at it (``corrects``); both then leave the effective history (``FlowEventQuerySet.effective``) but
    stay in the timeline.
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    effective_date = models.DateField(_("effective date"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    lost_contact_cause = models.PositiveSmallIntegerField(
        _("lost-contact cause"), choices=LostContactCause.choices, null=True, blank=True
    )
    from_branch = models.ForeignKey(
        "organisation.Branch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.OneToOneField(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    status_after = models.CharField(_("status after"), max_length=20, choices=Status.choices, blank=True)
    branch_after = models.ForeignKey(
        "organisation.Branch", verbose_name=_("branch after"), on_delete=models.PROTECT, related_name="+"
    )

    objects = FlowEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("flow event")
        verbose_name_plural = _("flow events")
        ordering = ["effective_date", "id"]
        indexes = [
            models.Index(fields=["member", "effective_date", "id"]),
            # The home page's latest events (read backwards, stopping after a few): the latest recorded, and
            # the latest that took effect on or before an as-of day.
            models.Index(fields=["recorded_at", "id"], name="flow_event_recorded"),
            models.Index(fields=["effective_date", "id"], name="flow_event_effective"),
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.effective_date}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("flow events are append-only; record a correcting event instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("flow events are append-only; record a correcting event instead")


class ImportStatus(models.TextChoices):
    CHECK_QUEUED = "check_queued", _("Waiting to be checked")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    COMMIT_QUEUED = "commit_queued", _("Waiting to be imported")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted")
    DISCARDED = "discarded", _("Discarded")


def _import_upload_to(run, filename):
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportRun(models.Model):
    """One spreadsheet import of the ledger: the stored file, its dry run and (later) its commit.

    ``status`` moves check_queued → checking → checked → commit_queued → committing → committed (or
    failed). A check or commit whose worker died is marked interrupted (``imports.import_runs_recover``)
    and can be retried; a check not imported is discarded by the user or by a newer upload.
    ``processed``/``total`` drive the progress bar the page polls; ``worker`` (host:pid) and
    ``heartbeat_at`` say who is working on it and when it last reported. ``results`` holds the dry
    run's (then the commit's) summary, unknown columns, every error and the rows shown on the page
    (``taizhang.members.imports.Report.as_json``). The uploaded ``file`` carries full ID numbers: it is
    deleted (``file_deleted_at``) once committed, failed or discarded, and purged after
    ``IMPORT_FILE_RETENTION_DAYS``. Only the user who uploaded it sees it.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=200, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.CHECK_QUEUED)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("new members"), default=0)
    updated = models.PositiveIntegerField(_("updated members"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0)
    results = models.JSONField(_("results"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=150, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger import")
        verbose_name_plural = _("ledger imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def running(self) -> bool:
        return self.status in (
            ImportStatus.CHECK_QUEUED, ImportStatus.CHECKING, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING
        )

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeRequest(models.Model):
    """A member's request to correct their own phone, address or work situation.

    ``changes`` holds the new values of the plain fields that differ from the record when asked; a new
    phone is kept encrypted in ``phone_encrypted`` (like the record's own). The branch secretary (staff
    who may change the member) approves — the change then goes through ``services.member_update`` —
    or rejects with a reason (``services.change_request_*``).
    """

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="change_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    phone_encrypted = models.TextField(blank=True, editable=False)
    note = models.CharField(_("explanation"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="pending"), name="one_pending_change_request"
            )
        ]

    def __str__(self):
        return f"{self.member} {self.requested_at:%Y-%m-%d}"

    @property
    def new_phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted) if self.phone_encrypted else ""

    @property
    def new_phone_masked(self) -> str:
        phone = self.new_phone
        return mask_phone(phone[:3], phone[-4:]) if phone else ""


# The valid_to of a member's open (current) spell. A far date rather than NULL: "the spell covers day D" is
# then two plain range comparisons (valid_from <= D < valid_to) that a B-tree index serves on SQLite and
# PostgreSQL alike, with no "OR valid_to IS NULL" branch, and the current spell is valid_to = OPEN_END.
OPEN_END = datetime.date(9999, 12, 31)


class RosterSpell(models.Model):
    """A projection of the flow history (ARCHITECTURE rule 13): one spell of a member's state.

    From ``valid_from`` (inclusive) to ``valid_to`` (exclusive; ``OPEN_END`` while it lasts) the member
    had ``status`` in ``branch``: the state of the latest effective flow event on or before each of those
    days. A member's spells never overlap and follow each other without gaps from the first effective
    event on; neighbouring events that leave status and branch unchanged (a recorded contact, probation
    completed) share one spell, and two events on one day give the later one's state. Every status has
    spells (transferred out and deceased too): "on the roster" is ``status`` in ``ROSTER_STATUSES``.

    Derived data, never edited by hand: the flow services rewrite a member's spells in the same
    transaction as the event (``taizhang.members.projection``), and ``manage.py rebuild_projections``
    recomputes them from the events. Party groups have no history (no event records a change of group),
    so the spells carry none: a party-group audience joins the member's current group.
    """

    # No single-column indexes on member and committee: the unique constraint and the index below lead with them.
    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="roster_spells", db_index=False
    )
    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    branch = models.ForeignKey(
        "organisation.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), default=OPEN_END)

    class Meta:
        verbose_name = _("roster spell")
        verbose_name_plural = _("roster spells")
        ordering = ["member", "valid_from"]
        constraints = [
            # Also the index of "the member's spell on day D" (annotate_status joins on it).
            models.UniqueConstraint(fields=["member", "valid_from"], name="roster_spell_member_from_unique"),
            models.CheckConstraint(condition=models.Q(valid_from__lt=models.F("valid_to")), name="roster_spell_not_empty"),
        ]
        indexes = [
            # The roster of a committee on a day, by branch (应到, as-of counts).
            models.Index(fields=["committee", "valid_from", "valid_to"], name="roster_spell_committee_days"),
            # Today's roster counted from the open spells alone (the ledger list's total, ``roster_spell_count``):
            # an index-only scan of one small entry per member, for a committee-wide role or a branch role.
            models.Index(fields=["committee", "status", "branch"], condition=models.Q(valid_to=OPEN_END),
                         name="roster_spell_open_committee"),
            models.Index(fields=["branch", "status"], condition=models.Q(valid_to=OPEN_END),
                         name="roster_spell_open_branch"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.status} {self.valid_from}–{self.valid_to}"
