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
* ``SpreadsheetError``: the file cannot be read at all (wrong type, damaged, unknown encoding).
"""

import codecs
import csv
import datetime
import io
import os
import re
import unicodedata

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


def _xlsx_rows(opener):
    import python_calamine

    try:
        with opener() as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own errors, zip errors, XML errors …
        raise SpreadsheetError(
            _("The file cannot be read as an Excel workbook (.xlsx); it may be damaged, protected by a "
              "password or in the old .xls format. Open it in Excel and save it again as .xlsx.")
        ) from exc
    return _iter_sheet(sheet)


def _iter_sheet(sheet):
    # calamine yields rows from the sheet's first row (also leading empty ones), so the position is the
    # row number Excel shows.
    yield from enumerate(sheet.iter_rows(), start=1)


def detect_encoding(opener) -> str:
    """The text encoding of a CSV file: a BOM, else strict UTF-8, else GB18030 (GBK's superset) …"""
    with opener() as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(opener, "utf-8"):
        return "utf-8"
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
    raise SpreadsheetError(
        _("The CSV file's text encoding cannot be recognised. Save it as “CSV UTF-8” or as an Excel workbook (.xlsx).")
    )


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


def _csv_rows(opener):
    encoding = detect_encoding(opener)
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        first_line = text.readline()
        text.detach()
    delimiter = max(",\t;", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    return _iter_csv(opener, encoding, delimiter)


def _iter_csv(opener, encoding, delimiter):
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
        except csv.Error as exc:
            raise SpreadsheetError(_("The CSV file is damaged: %(error)s") % {"error": exc}) from exc
        finally:
            text.detach()


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
