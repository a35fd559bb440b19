"""Core models: the append-only audit log and the security alerts."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CheckedFile(models.Model):
    """The columns of a stored upload that passed ``core.attachments.clean_files`` (filled by
    ``StoredFiles.attach``); the concrete model adds its ``file`` field and what it belongs to."""

    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")

    _raw_delete = delete


class AuditEntry(models.Model):
    """One recorded action: who did what to which object, with old and new values.

    Append-only: the application can only insert. The queryset and the model refuse update and
    delete, and database triggers (migration 0002) refuse them even for raw SQL.

    Hash-chained (taizhang/core/auditchain.py): ``seq`` is the entry's position in the one global
    chain, ``prev_hash`` the hash of the entry before it and ``entry_hash`` the keyed hash of
    ``prev_hash`` and this entry's content, so a deleted or altered row breaks the chain even when
    the triggers are bypassed. Write entries only through ``taizhang.core.audit`` (``audit_log``,
    ``audit_log_many``): they set the time, the position and the hashes under the chain's lock.
    """

    timestamp = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    old_values = models.JSONField(_("old values"), default=dict, blank=True)
    new_values = models.JSONField(_("new values"), default=dict, blank=True)
    success = models.BooleanField(_("success"), default=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    seq = models.BigIntegerField(_("chain position"), unique=True, editable=False)
    prev_hash = models.CharField(_("hash of the previous entry"), max_length=64, editable=False)
    entry_hash = models.CharField(_("hash of this entry"), max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["action", "actor_username", "timestamp"])]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


class AlertKind(models.TextChoices):
    REVEAL_BURST = "reveal_burst", _("Many full numbers revealed")


class SecurityAlert(models.Model):
    """Something the security and audit administrators must look at, e.g. one user revealing more full
    ID or phone numbers in a window than the policy allows (``TAIZHANG_REVEAL_LIMIT``). Raised by
    ``core.alerts.security_alert_raise``; each viewer's reading is kept in ``SecurityAlertRead``."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    committee = models.ForeignKey(
        "organisation.Committee", verbose_name=_("committee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    message = models.CharField(_("message"), max_length=500)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("security alert")
        verbose_name_plural = _("security alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "actor", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.actor_username}"


class SecurityAlertRead(models.Model):
    """That one administrator has seen one alert (for the unread count in their menu)."""

    alert = models.ForeignKey(SecurityAlert, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="security_alert_read_once")]

    def __str__(self):
        return f"{self.alert_id} · {self.user_id}"


class AuditChain(models.Model):
    """The head of the audit log's hash chain: one row (id 1), locked by every writer of the log.

    ``seq``/``head_hash``: position and hash of the newest entry. ``base_seq``/``base_hash``: where
    the chain starts after a retention purge (0 and "" until the first purge); every purge also
    records its cut in its own, chained, ``audit.purge`` entry, which ``verify_audit_log`` checks.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True, default="")
    base_seq = models.BigIntegerField(default=0)
    base_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self):
        return f"audit chain at {self.seq}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Exporting")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")


EXPORT_FOLDER = "exports"  # the storage folder of ExportJob files (their orphans are purged from it)


def _export_upload_to(job, filename):
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{EXPORT_FOLDER}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ExportJob(models.Model):
    """One large export written by the background worker (``core.export_jobs``), for the user who asked.

    ``export`` is the registered name of the export (``core.export_jobs.register``) and ``params`` what it
    was asked for (e.g. the list's filter values): the worker builds the rows again from them as
    ``created_by``, through the same selectors and filters as the page — never a list of rows from the
    request. ``processed``/``total`` drive the progress bar; ``heartbeat_at`` is the worker's last report.
    The written ``file`` lives in Django's storage (any host may serve it), only its requester may download
    it, and it is deleted after ``EXPORT_FILE_RETENTION_DAYS`` (``file_deleted_at``). ``message`` is the
    Chinese reason of a failure.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    export = models.CharField(_("export"), max_length=100)
    fmt = models.CharField(_("format"), max_length=10, default="xlsx")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    processed = models.PositiveIntegerField(_("rows written"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    file = models.FileField(_("file"), upload_to=_export_upload_to, max_length=200, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    worker = models.CharField(_("worker"), max_length=150, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background export")
        verbose_name_plural = _("background exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="core_exportjob_user_idx")]

    def __str__(self):
        return f"{self.export} #{self.pk}"

    @property
    def running(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)


class PeriodicRun(models.Model):
    """When a periodic task (setting ``PERIODIC_TASKS``) is next due. The background worker enqueues a task
    only by moving ``next_run_at`` forward in one conditional UPDATE (``core.periodic.enqueue_due``): of two
    workers looking at the same moment, one moves it and enqueues, the other updates no row."""

    name = models.CharField(_("task"), max_length=200, unique=True)
    next_run_at = models.DateTimeField(_("next run at"))
    last_run_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic task")
        verbose_name_plural = _("periodic tasks")

    def __str__(self):
        return self.name


class DataGeneration(models.Model):
    """The generation of one kind of a committee's data (``core.generations``): a cached answer is keyed on the
    generations of the kinds and committees it reads, and every write that can change that kind of data gives the
    committee a new generation in the same transaction, so the next read computes afresh. A random token rather
    than a counter, so that no key is ever reused, even after a rolled-back transaction, a restored backup or a
    rebuilt database."""

    committee = models.ForeignKey("organisation.Committee", verbose_name=_("committee"), on_delete=models.CASCADE,
                                  related_name="+")
    kind = models.CharField(_("kind"), max_length=20)
    token = models.BigIntegerField(_("generation"))

    class Meta:
        verbose_name = _("data generation")
        verbose_name_plural = _("data generations")
        constraints = [models.UniqueConstraint(fields=["committee", "kind"], name="data_generation_unique")]

    def __str__(self):
        return f"{self.committee_id} {self.kind}: {self.token}"
