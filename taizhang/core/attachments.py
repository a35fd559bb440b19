"""Uploaded files (photos, scans, study material): checked once, stored through Django's storage API,
downloaded through permission-checked views.

* ``clean_files`` checks type (``CONTENT_ALLOWED_EXTENSIONS``), size, count and that the first bytes match the
  extension (a renamed program is refused); every problem names the file.
* ``StoredFiles`` removes what a failing service already wrote to storage; ``StoredFiles.attach`` fills and
  saves a ``core.models.CheckedFile`` row.
* ``file_response`` sends a stored file privately (no caching, no sniffing).
* ``storage_files`` walks a folder of the storage (the storage API has no walk): the backup's media, the
  purges of files no row refers to any more.

Used by activity notes and study items, expense scans and care visit photos.
"""

import codecs
import hashlib
import os
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core.audit import audit_log

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files (.doc, .xls)
ZIP = b"PK\x03\x04"  # Office Open XML (.docx, .xlsx, .pptx) are zip files
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "txt": "text/plain; charset=utf-8",
}
_OOXML_FOLDER = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


@dataclass
class CleanFile:
    upload: object  # a Django File / UploadedFile
    name: str
    ext: str
    size: int
    content_type: str
    sha256: str


def _display_name(upload) -> str:
    name = os.path.basename(str(getattr(upload, "name", "") or "").replace("\\", "/")).strip()
    return name[-255:] if name else _("file")


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _content_matches(ext: str, upload) -> bool:
    """Do the file's first bytes (its magic number) fit its extension?"""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in ("doc", "xls"):
        return head.startswith(OLE)
    if ext in _OOXML_FOLDER:
        if not head.startswith(ZIP):
            return False
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return any(n.startswith(_OOXML_FOLDER[ext]) for n in names)
    if ext == "txt":
        return _is_text(head)
    return False


def clean_files(files, *, already: int = 0) -> list[CleanFile]:
    """Check uploaded files against the limits; every problem names the file. Raises ValidationError
    on ``files``."""
    files = [f for f in (files or []) if f]
    limit = settings.CONTENT_MAX_FILES_PER_NOTE
    max_mb = settings.CONTENT_MAX_FILE_MB
    allowed = settings.CONTENT_ALLOWED_EXTENSIONS
    errors = []
    if already + len(files) > limit:
        errors.append(_("At most %(n)d files can be attached to one note.") % {"n": limit})
    cleaned = []
    for upload in files:
        name = _display_name(upload)
        ext = os.path.splitext(name)[1].lower().lstrip(".")
        size = upload.size or 0
        if ext not in allowed or ext not in CONTENT_TYPES:
            errors.append(_("“%(name)s”: this type of file cannot be attached (allowed: %(types)s).")
                          % {"name": name, "types": "、".join(allowed)})
            continue
        if size == 0:
            errors.append(_("“%(name)s” is empty.") % {"name": name})
            continue
        if size > max_mb * 1024 * 1024:
            errors.append(_("“%(name)s” is larger than %(mb)d MB.") % {"name": name, "mb": max_mb})
            continue
        if not _content_matches(ext, upload):
            errors.append(_("“%(name)s” is not a real .%(ext)s file (its content does not match its name).")
                          % {"name": name, "ext": ext})
            continue
        digest = hashlib.sha256()
        upload.seek(0)
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        cleaned.append(CleanFile(upload, name, ext, size, CONTENT_TYPES[ext], digest.hexdigest()))
    if errors:
        raise ValidationError({"files": errors})
    return cleaned


class StoredFiles:
    """Files written to storage during a service: removed again if the service fails."""

    def __init__(self):
        self.names = []

    def __enter__(self):
        return self

    def attach(self, instance, f: "CleanFile", *, uploaded_by):
        """Fill a ``core.models.CheckedFile`` row from a checked file, store the file and save the row."""
        instance.original_name, instance.size = f.name, f.size
        instance.content_type, instance.sha256, instance.uploaded_by = f.content_type, f.sha256, uploaded_by
        instance.file.save(f.name, f.upload, save=False)
        self.names.append(instance.file.name)
        instance.save()
        return instance

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            from django.core.files.storage import default_storage

            for name in self.names:
                try:
                    default_storage.delete(name)
                except OSError:
                    pass
        return False


def file_response(file, name: str, content_type: str, *, inline: bool = False) -> FileResponse:
    """Send a stored file privately; 404 when the storage has lost it."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    response = FileResponse(handle, as_attachment=not inline, filename=name, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def storage_files(storage, folder: str = ""):
    """Every file name under ``folder`` of ``storage`` (all of it by default), recursively, in name order;
    nothing when the folder does not exist."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_files(storage, f"{folder}/{sub}" if folder else sub)


def kept_file_delete(record, *, action: str, actor=None, username: str = "", new: dict) -> None:
    """Delete the file kept by ``record`` (a background job's row: an import run, an export job — with ``file``
    and ``file_deleted_at``) from its storage and record that, in one transaction with an audit entry
    ``action``; the row stays. Nothing when it has no file (any more)."""
    model = type(record)
    name = model.objects.filter(pk=record.pk).values_list("file", flat=True).first()
    if not name:
        return
    record.file.storage.delete(name)
    with transaction.atomic():
        model.objects.filter(pk=record.pk).update(file="", file_deleted_at=timezone.now())
        audit_log(actor=actor, username=username, action=action, obj=record, new=new)


def stray_files_purge(folders, *, kept: set, older_than, dry_run: bool) -> list:
    """The files under ``folders`` of the default storage that no row keeps (``kept``: their names) and that
    are older than ``older_than`` — left by a worker that died before recording its file, or by an upload whose
    row was never saved; deleted unless ``dry_run``. Returns their names."""
    from django.core.files.storage import default_storage

    stray = []
    for folder in folders:
        for name in storage_files(default_storage, folder):
            if name in kept or default_storage.get_modified_time(name) >= older_than:
                continue
            stray.append(name)
            if not dry_run:
                default_storage.delete(name)
    return stray

