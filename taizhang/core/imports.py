"""The shared machinery of the two-phase spreadsheet imports (the ledger, external platform scores).

Phase one reads the upload (``Source``, ``read_upload``) — one reader with one set of limits for every import:
the upload size (``MAX_UPLOAD_BYTES``), and while reading (``core.spreadsheets``) the rows, columns,
unpacked size (``TAIZHANG_IMPORT_MAX_ROWS``, ``…_MAX_COLUMNS``, ``…_MAX_UNCOMPRESSED_MB``) and the CSV
text encodings — and yields ``(row number as Excel shows it, cells)``; each import validates every row,
naming row, column and reason, and shows the result (the dry run). Phase two checks again
and writes the valid rows in one transaction (the import's own service). Knows no domain app.
"""

import hashlib
import os

from django.utils.translation import gettext as _

from taizhang.core.spreadsheets import SUPPORTED_EXTENSIONS, file_extension, is_blank_row, open_rows

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # an upload larger than this is refused before it is stored


def upload_error(upload, *, max_bytes: int | None = None) -> str:
    """Why an uploaded file cannot be imported before it is even stored ("" when it can): not .xlsx or
    .csv, over the upload limit (``MAX_UPLOAD_BYTES`` unless ``max_bytes``), or empty."""
    max_bytes = MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if file_extension(upload.name) not in SUPPORTED_EXTENSIONS:
        return _("Only .xlsx and .csv files can be imported; save the spreadsheet in one of these formats.")
    if upload.size > max_bytes:
        return _("The file is %(size).1f MB; files of at most %(max)d MB can be imported. Split it into several "
                 "files.") % {"size": upload.size / 1024 / 1024, "max": max_bytes // 1024 // 1024}
    if upload.size == 0:
        return _("The file is empty.")
    return ""


def file_sha256(opener) -> str:
    """The SHA-256 of the file ``opener()`` opens (read in 1 MB pieces), as the audit entries record it."""
    digest = hashlib.sha256()
    with opener() as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Source:
    """A spreadsheet to import: ``opener()`` returns a new binary file object each call (an upload kept in
    storage is read more than once: its hash, a first pass, the rows)."""

    def __init__(self, opener, file_name: str):
        self.opener = opener
        self.file_name = file_name

    @classmethod
    def from_path(cls, path: str, file_name: str | None = None):
        return cls(lambda: open(path, "rb"), file_name or os.path.basename(path))

    def rows(self):
        """Every row as ``(number, cells)``, blank ones included (for finding a header below a title)."""
        return open_rows(self.opener, self.file_name)

    def data_rows(self):
        """The non-blank rows (``read_upload``)."""
        return read_upload(self.opener, self.file_name)

    def sha256(self) -> str:
        return file_sha256(self.opener)


def read_upload(opener, file_name: str):
    """The file's non-blank rows as ``(number, cells)``, read through the one reader and its limits.
    Raises ``SpreadsheetError`` (a Chinese message for the whole file) when the file cannot be read or
    goes over a limit — also part-way through, so callers consume it inside their ``try``."""
    for number, cells in open_rows(opener, file_name):
        if not is_blank_row(cells):
            yield number, cells
