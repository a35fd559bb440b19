"""Reading spreadsheets people really keep: .xlsx and .csv rows, and the values typed into them.

Generic (no ledger knowledge), so later imports (activities, points, dues) reuse it:

* ``open_rows(opener, filename)`` yields ``(excel_row_number, [cell, ...])`` one row at a time.
  ``.xlsx`` is read with python-calamine (fast; the sheet is held once, in Rust, and rows are turned
  into Python lists one by one), ``.csv`` is streamed. CSV encodings: UTF-8 with or without BOM, UTF-16
  with BOM, and GBK/GB18030 — detected (strict UTF-8 first, then charset-normalizer, then GB18030).
  Cells come back as ``str`` (CSV) or as calamine gives them (``str``, ``float``, ``int``, ``bool``,
  ``date``, ``datetime``, ``time``). Row numbers are the numbers Excel shows (first row = 1).
* ``parse_date``, ``parse_bool``, ``parse_choice``, ``cell_text``: value parsing for the forms people
  type (2015-07-01, 2015/7/1, 2015.7.1, 2015年7月1日, 20150701, Excel serial numbers, full-width digits,
  是/否, Y/N, …). They raise ``CellError`` with a Chinese message.
* ``SpreadsheetError``: the file cannot be read at all (wrong type, damaged, unknown encoding, mixed
  encodings, over a limit).
* ``control_character_error``: the reason a cell holding NUL or another control character is refused.

Limits (settings, one place for every import): ``IMPORT_MAX_ROWS`` rows (the header included),
``IMPORT_MAX_COLUMNS`` columns and, for .xlsx, ``IMPORT_MAX_UNCOMPRESSED_MB`` of unpacked content.
An .xlsx is a zip: before calamine sees it, the entries' declared sizes are added up, then every entry is
unpacked in 1 MB pieces and counted (so a header that lies about the size does not help) while the
first sheet's XML is scanned for its dimension, its row numbers and its columns — constant memory,
stopping at the first limit passed. A CSV is counted while it is streamed.
"""

import codecs
import copy
import csv
import datetime
import io
import os
import posixpath
import re
import unicodedata
import zipfile
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

from taizhang.core.exporting import unneutralise

EXCEL_EPOCH = datetime.date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug folded in)
CSV_SAMPLE_BYTES = 256 * 1024
SUPPORTED_EXTENSIONS = (".xlsx", ".csv")


class SpreadsheetError(Exception):
    """The whole file cannot be read; ``message`` is for the user (Chinese via gettext)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CellError(ValueError):
    """One value cannot be understood; ``message`` says why (Chinese via gettext)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def file_extension(filename: str) -> str:
    return os.path.splitext(filename or "")[1].lower()


def check_extension(filename: str) -> str:
    ext = file_extension(filename)
    if ext not in SUPPORTED_EXTENSIONS:
        raise SpreadsheetError(
            _("“%(name)s” is not an .xlsx or .csv file. Save the spreadsheet as Excel workbook (.xlsx) or CSV.")
            % {"name": os.path.basename(filename or "")}
        )
    return ext


# --- reading rows ------------------------------------------------------------------------------------


def open_rows(opener, filename: str):
    """Yield ``(row_number, cells)`` for every row of the first sheet (xlsx) or the CSV file.

    ``opener()`` returns a new binary file object each time it is called (the CSV encoding check
    reads the file once before the rows are read).
    """
    ext = check_extension(filename)
    if ext == ".xlsx":
        return _xlsx_rows(opener)
    return _csv_rows(opener)


def _unreadable_workbook() -> SpreadsheetError:
    return SpreadsheetError(
        _("The file cannot be read as an Excel workbook (.xlsx); it may be damaged, protected by a "
          "password or in the old .xls format. Open it in Excel and save it again as .xlsx.")
    )


def too_many_rows() -> SpreadsheetError:
    return SpreadsheetError(
        _("The file has more than %(max)d rows (the header row included); at most %(max)d rows can be imported "
          "at once. Split it into several files.") % {"max": settings.IMPORT_MAX_ROWS}
    )


def too_many_columns() -> SpreadsheetError:
    return SpreadsheetError(
        _("The sheet has more than %(max)d columns; at most %(max)d columns can be read. Delete the unused "
          "columns on the right, or split the sheet.") % {"max": settings.IMPORT_MAX_COLUMNS}
    )


def too_large_unpacked() -> SpreadsheetError:
    return SpreadsheetError(
        _("Unpacked, the workbook is larger than %(max)d MB; at most %(max)d MB can be imported. Delete unused "
          "sheets, pictures and formatting, or split it into several files.")
        % {"max": settings.IMPORT_MAX_UNCOMPRESSED_MB}
    )


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=\"([A-Z]*)([0-9]*)(?::([A-Z]*)([0-9]*))?\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb"\sr=\"([0-9]+)\"")
_USUAL_ROW_NUMBER = re.compile(rb"<row r=\"([0-9]+)\"")
_CELL_COLUMN = re.compile(rb"r=\"([A-Z]+)[0-9]")  # a literal first: the regex engine skips ahead fast
_LONG_CELL_COLUMN = re.compile(rb"r=\"([A-Z]{2,})[0-9]")
_SMALL_PART_BYTES = 4 * 1024 * 1024  # workbook.xml and its relationships: a few KB in real files
_SCAN_CHUNK = 1 << 20
_MAX_TAIL = 64 * 1024  # the unfinished tag carried to the next piece (real row tags are a few dozen bytes)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _SheetScan:
    """Counts a worksheet's extent from its XML as it streams past (never holding more than a piece)."""

    def __init__(self, max_rows: int, max_columns: int):
        self.max_rows, self.max_columns = max_rows, max_columns
        self.row = 0  # the current row's number
        self.cells_in_row = 0
        self.tail = b""
        self.dimension_seen = False
        # Columns A–Z are never over a limit of 26 or more: look only at the longer references (fast).
        self.column_refs = _CELL_COLUMN if max_columns < 26 else _LONG_CELL_COLUMN

    def feed(self, data: bytes, final: bool = False):
        data = self.tail + data
        cut = data.rfind(b"<")
        if final or cut < 0 or len(data) - cut > _MAX_TAIL:
            cut = len(data)  # nothing tag-like is cut in two: a long text, not a tag, follows the last “<”
        elif cut == 0:
            self.tail = data
            return
        part, self.tail = data[:cut], data[cut:]
        if not self.dimension_seen:
            match = _DIMENSION.search(part)
            if match:
                self.dimension_seen = True
                last_row = match[4] or match[2]
                last_col = match[3] or match[1]
                if last_row and int(last_row) > self.max_rows:
                    raise too_many_rows()
                if last_col and _column_number(last_col) > self.max_columns:
                    raise too_many_columns()
        columns = set(self.column_refs.findall(part))
        if columns and max(_column_number(c) for c in columns) > self.max_columns:
            raise too_many_columns()
        if not self._feed_usual(part):
            self._feed_any(part)

    def _feed_usual(self, part) -> bool:
        """The fast path, for XML as Excel, WPS, LibreOffice and the Python writers produce it: tags without a
        namespace prefix, every row starting ``<row r="…"`` and every cell ``<c r="…"``. False otherwise."""
        if b":row" in part or b":c " in part or b":c>" in part:
            return False
        numbers = _USUAL_ROW_NUMBER.findall(part)
        if len(numbers) != part.count(b"<row ") + part.count(b"<row>"):
            return False
        if part.count(b"<c ") + part.count(b"<c>") != part.count(b'<c r="'):
            return False
        if numbers:
            self.row = int(numbers[-1])
            if max(map(int, numbers)) > self.max_rows:
                raise too_many_rows()
            self.cells_in_row = 0
        return True

    def _feed_any(self, part):
        """Any XML: rows without ``r`` take the next number, cells without ``r`` the next column."""
        start = 0
        for match in _ROW_TAG.finditer(part):
            self._count_cells(part, start, match.start())
            number = _ROW_NUMBER.search(match[1])
            self.row = int(number[1]) if number else self.row + 1
            if self.row > self.max_rows:
                raise too_many_rows()
            self.cells_in_row = 0
            start = match.end()
        self._count_cells(part, start, len(part))

    def _count_cells(self, part, start, end):
        # cells without an ``r`` attribute take the next column: count them too
        self.cells_in_row += part.count(b"<c ", start, end) + part.count(b"<c>", start, end)
        if self.cells_in_row > self.max_columns:
            raise too_many_columns()


def _first_sheet_path(archive) -> str | None:
    """The zip path of the workbook's first sheet (the one calamine reads), from workbook.xml and its rels."""
    try:
        book = archive.getinfo("xl/workbook.xml")
        rels = archive.getinfo("xl/_rels/workbook.xml.rels")
        if book.file_size > _SMALL_PART_BYTES or rels.file_size > _SMALL_PART_BYTES:
            return None
        sheet = next(e for e in ElementTree.fromstring(archive.read(book)).iter() if e.tag.endswith("}sheet"))
        rel_id = next(v for k, v in sheet.attrib.items() if k.endswith("}id"))
        target = next(e.get("Target") for e in ElementTree.fromstring(archive.read(rels)).iter()
                      if e.get("Id") == rel_id)
    except (KeyError, StopIteration, ElementTree.ParseError):
        return None
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def check_workbook(handle) -> None:
    """Refuse an .xlsx over the limits before anything loads it (see the module docstring)."""
    max_bytes = settings.IMPORT_MAX_UNCOMPRESSED_MB * 1024 * 1024
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if sum(entry.file_size for entry in entries) > max_bytes:
                raise too_large_unpacked()
            sheet_path = _first_sheet_path(archive)
            total = 0
            for entry in entries:
                if entry.is_dir():
                    continue
                is_sheet = (entry.filename == sheet_path if sheet_path
                            else entry.filename.startswith("xl/worksheets/"))
                scan = _SheetScan(settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS) if is_sheet else None
                capped = copy.copy(entry)
                capped.file_size = max_bytes - total + 1  # read what is really there, up to just over the limit
                with archive.open(capped) as part:
                    while data := part.read(_SCAN_CHUNK):
                        total += len(data)
                        if total > max_bytes:
                            raise too_large_unpacked()
                        if scan:
                            scan.feed(data)
                if scan:
                    scan.feed(b"", final=True)
    except SpreadsheetError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip, CRC, decompression errors: a damaged file
        raise _unreadable_workbook() from exc


def _xlsx_rows(opener):
    import python_calamine

    try:
        with opener() as handle:
            check_workbook(handle)
    except OSError as exc:
        raise _unreadable_workbook() from exc
    try:
        with opener() as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own errors, zip errors, XML errors …
        raise _unreadable_workbook() from exc
    return _iter_sheet(sheet)


def _iter_sheet(sheet):
    # calamine yields rows from the sheet's first row (also leading empty ones), so the position is the
    # row number Excel shows.
    yield from enumerate(sheet.iter_rows(), start=1)


_CJK = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def detect_encoding(opener, delimiter: str = ",") -> str:
    """The one text encoding of a whole CSV file: a BOM, else strict UTF-8, else GB18030 (GBK's superset) …

    Refuses (``SpreadsheetError`` naming the row) a file that mixes UTF-8 rows with GBK rows, or that has a
    row the chosen encoding cannot decode: such a file would otherwise import as mojibake.
    """
    with opener() as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return _require_decodes(opener, "utf-8-sig", delimiter, "UTF-8")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _require_decodes(opener, "utf-16", delimiter, "UTF-16")
    if _decodes(opener, "utf-8"):
        return "utf-8"
    _refuse_mixed_encodings(opener, delimiter)
    import charset_normalizer

    with opener() as handle:
        sample = handle.read(CSV_SAMPLE_BYTES)
    best = charset_normalizer.from_bytes(sample).best()
    guess = codecs.lookup(best.encoding).name if best else ""
    candidates = ["gb18030"]  # mainland spreadsheets: GBK/GB2312 files, and short samples that look like Big5
    if guess and guess not in ("gb18030", "gbk", "gb2312", "big5", "hz"):
        candidates.insert(0, guess)
    for encoding in candidates:
        if _decodes(opener, encoding):
            return encoding
    return _require_decodes(opener, "gb18030", delimiter, "GBK")


def _require_decodes(opener, encoding: str, delimiter: str, label: str) -> str:
    if _decodes(opener, encoding):
        return encoding
    row = _first_bad_row(opener, encoding, delimiter)
    if row:
        raise SpreadsheetError(
            _("Row %(row)d of the CSV file is not in the file's text encoding (%(encoding)s), so its Chinese would "
              "come out garbled. Save the whole file again as “CSV UTF-8” or as an Excel workbook (.xlsx).")
            % {"row": row, "encoding": label}
        )
    raise SpreadsheetError(
        _("The CSV file's text encoding cannot be recognised. Save it as “CSV UTF-8” or as an Excel workbook (.xlsx).")
    )


def _first_bad_row(opener, encoding: str, delimiter: str) -> int | None:
    """The first CSV row holding bytes ``encoding`` cannot decode (None if it cannot be told)."""
    try:
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")
            try:
                for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
                    if any(_ESCAPED_BYTE.search(cell) for cell in cells):
                        return number
            finally:
                text.detach()
    except (UnicodeError, csv.Error, LookupError):
        return None
    return None


def _refuse_mixed_encodings(opener, delimiter: str) -> None:
    """A file that is not UTF-8 as a whole must not have UTF-8 rows either (GBK header, UTF-8 cells …).

    The file is split into rows and cells as bytes (read as Latin-1, which keeps every byte; the delimiters,
    quotes and line ends are ASCII, never the second byte of a GBK character), and each cell with non-ASCII
    bytes is judged on its own: UTF-8 if it decodes as UTF-8 to Chinese, otherwise not.
    """
    first = {}  # "utf-8" / "other" -> first row number
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        try:
            for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
                for cell in cells:
                    if cell.isascii():
                        continue
                    try:
                        kind = "utf-8" if _CJK.search(cell.encode("latin-1").decode("utf-8")) else "other"
                    except UnicodeDecodeError:
                        kind = "other"
                    first.setdefault(kind, number)
                if len(first) == 2:
                    break
        except csv.Error as exc:
            raise SpreadsheetError(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc
        finally:
            text.detach()
    if len(first) < 2:
        return
    if first["utf-8"] < first["other"]:
        message = _("Row %(row)d of the CSV file is not in UTF-8 like row %(first)d, so the file mixes two text "
                    "encodings and its Chinese would come out garbled. Save the whole file again as “CSV UTF-8” "
                    "or as an Excel workbook (.xlsx).")
        row, earlier = first["other"], first["utf-8"]
    else:
        message = _("Row %(row)d of the CSV file is in UTF-8, but row %(first)d is in another encoding (GBK), so "
                    "the file mixes two text encodings and its Chinese would come out garbled. Save the whole file "
                    "again as “CSV UTF-8” or as an Excel workbook (.xlsx).")
        row, earlier = first["utf-8"], first["other"]
    raise SpreadsheetError(message % {"row": row, "first": earlier})


def _decodes(opener, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with opener() as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _csv_delimiter(opener) -> str:
    """Comma, tab or semicolon: whichever the first line has most of (ASCII in every supported encoding)."""
    with opener() as handle:
        first_line = handle.readline(CSV_SAMPLE_BYTES)
    counts = {d: first_line.count(d.encode("ascii")) for d in ",\t;"}
    delimiter = max(counts, key=counts.get)
    return delimiter if counts[delimiter] else ","


def _csv_rows(opener):
    delimiter = _csv_delimiter(opener)
    encoding = detect_encoding(opener, delimiter)
    return _iter_csv(opener, encoding, delimiter)


def _iter_csv(opener, encoding, delimiter):
    max_rows = settings.IMPORT_MAX_ROWS
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
                if number > max_rows:
                    raise too_many_rows()
                yield number, cells
        except csv.Error as exc:
            raise SpreadsheetError(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(
                _("The CSV file's text encoding cannot be recognised. Save it as “CSV UTF-8” or as an Excel "
                  "workbook (.xlsx).")
            ) from exc
        finally:
            text.detach()


# Control characters (tab, line feed and carriage return are ordinary text in a cell), Unicode
# non-characters and lone surrogates: no person types them, PostgreSQL refuses NUL, and they break XML.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def control_character_error(value) -> str | None:
    """Why a cell cannot be imported because it holds a control character, or None when it does not."""
    if not isinstance(value, str):
        return None
    match = _CONTROL.search(value)
    if match is None:
        return None
    return _("The cell contains an invisible control character (%(code)s) at character %(position)d; retype the "
             "cell or delete that character.") % {"code": f"U+{ord(match[0]):04X}", "position": match.start() + 1}


def printable(text: str) -> str:
    """``text`` with every control character shown as � (for messages, reports and the error workbook)."""
    return _CONTROL.sub("\ufffd", text) if isinstance(text, str) else text


def is_blank_row(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


# --- values --------------------------------------------------------------------------------------------


def halfwidth(value: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def cell_text(value) -> str:
    """A cell as the text a person sees: numbers without a trailing ``.0``, dates as YYYY-MM-DD.

    Text that our own export protected against formula injection (``'=…``) gets its quote back off,
    so an export imports back unchanged.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return unneutralise(str(value).strip())


_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]


def parse_date(value) -> datetime.date | None:
    """A date from an Excel date cell, an Excel serial number or the ways people write dates.

    Empty → None. Raises CellError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise CellError(_("Not a date; write it as 2015-07-01."))
    if isinstance(value, (int, float)):
        number = float(value)
        if 19000101 <= number <= 29991231 and number.is_integer():
            return parse_date(str(int(number)))  # 20150701 typed into a number cell
        if 1 <= number < 2958466:  # Excel serial day numbers up to 9999-12-31
            return EXCEL_EPOCH + datetime.timedelta(days=int(number))
        raise CellError(_("Not a date; write it as 2015-07-01."))
    text = halfwidth(str(value))
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                raise CellError(_("There is no such day in the calendar.")) from None
    raise CellError(_("Not a date; write it as 2015-07-01."))


def normalise_choice(text: str) -> str:
    """For comparing typed choices: half-width, no spaces, upper case."""
    return re.sub(r"\s+", "", halfwidth(text)).upper()


def choice_lookup(values: dict) -> dict:
    """``{key: (accepted spellings, …)}`` → ``{normalised spelling: key}``."""
    lookup = {}
    for key, spellings in values.items():
        for spelling in spellings:
            lookup.setdefault(normalise_choice(spelling), key)
    return lookup


def parse_choice(value, lookup: dict, allowed: list):
    """The key of a typed choice (``lookup`` from ``choice_lookup``). Empty → None.

    ``allowed`` lists the spellings to suggest when the value is not one of them.
    """
    text = cell_text(value)
    if not text:
        return None
    key = lookup.get(normalise_choice(text))
    if key is None:
        raise CellError(_("Not one of the allowed values: %(values)s.") % {"values": "、".join(allowed)})
    return key


_BOOL_LOOKUPS = {}


def parse_bool(value, yes_no: dict):
    """``yes_no`` is ``{True: spellings, False: spellings}``. Empty → None (not stated)."""
    text = cell_text(value)
    if not text:
        return None
    cached = _BOOL_LOOKUPS.get(id(yes_no))
    if cached is None or cached[0] is not yes_no:
        cached = _BOOL_LOOKUPS[id(yes_no)] = (yes_no, choice_lookup(yes_no))
    key = cached[1].get(normalise_choice(text))
    if key is None:
        raise CellError(_("Write 是 or 否 (Y or N also work)."))
    return key
