"""Spreadsheet export machinery shared by every export (ARCHITECTURE.md rule 8).

* ``neutralise`` — the one place that defuses spreadsheet formulas (CSV/formula injection): a text cell
  that begins with ``= + - @``, a tab or a carriage return gets a leading single quote, as OWASP
  recommends. Every writer below applies it to every cell, so callers hand over plain values.
  ``unneutralise`` undoes it for an import reading an export back.
* ``csv_chunks`` / ``csv_response`` / ``write_csv`` — CSV with a UTF-8 BOM (Excel on Windows then reads
  Chinese correctly), streamed: rows are encoded as they come and never held together.
* ``write_xlsx`` / ``xlsx_response`` — .xlsx through xlsxwriter in ``constant_memory`` mode (each row is
  flushed to disk as it is written), to a temporary file that is then sent with ``FileResponse``;
  ``write_sheets`` / ``sheets_tempfile`` for a workbook of several ``Sheet``s (the activity report). The one
  spreadsheet writer of the project.

Rows are iterables of cell values in header order; ``None`` becomes an empty cell, dates ISO strings,
anything else ``str()``. Every cell is written as text, so ID numbers and dates are never reinterpreted —
unless a ``Sheet`` asks for ``cells="typed"`` (a report's numbers) or ``cells="raw"`` (the import's error
file and template: dates, numbers and booleans keep their type). ``Sheet`` also carries what a workbook a
user fills in needs: header styles, required headers in red, column formats and drop-down lists. No other
module imports xlsxwriter or writes CSV itself (``core/tests/test_one_writer.py``).
"""

import csv
import datetime
import os
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from xlsxwriter.utility import xl_col_to_name

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_CSV_FLUSH_BYTES = 64 * 1024  # send the CSV in pieces of about this size


def cell_text(value) -> str:
    """A cell value as the text written to the file (before neutralising)."""
    if value is None:
        return ""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def neutralise(value) -> str:
    """The cell's text, with a leading ``'`` if a spreadsheet could read it as a formula."""
    text = cell_text(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def unneutralise(text: str) -> str:
    """The inverse of ``neutralise`` for imports: drop the ``'`` it added before a formula character.

    An import reading back an export should pass text cells through this so ``=1+1`` survives the round
    trip (a cell that really starts with ``'=`` cannot be told apart and loses its quote).
    """
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def _safe_row(row: Iterable) -> list[str]:
    return [neutralise(v) for v in row]


class _Echo:
    """A file-like object whose ``write`` returns what it was given (csv.writer into a generator)."""

    def write(self, value):
        return value


def csv_chunks(header: Iterable, rows: Iterable[Iterable], *, bom: bool = True) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks: the BOM, the header line, then the rows."""
    writer = csv.writer(_Echo())
    buffer = [BOM if bom else "", writer.writerow(_safe_row(header))]
    size = 0
    for row in rows:
        line = writer.writerow(_safe_row(row))
        buffer.append(line)
        size += len(line)
        if size >= _CSV_FLUSH_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    yield "".join(buffer).encode("utf-8")


class _Counted:
    """Wraps an iterable and counts what passed through it."""

    def __init__(self, rows):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def write_csv(path, header: Iterable, rows: Iterable[Iterable]) -> int:
    """Write a CSV file (UTF-8 with BOM) to ``path``; returns the number of data rows."""
    counted = _Counted(rows)
    with open(path, "wb") as f:
        for chunk in csv_chunks(header, counted):
            f.write(chunk)
    return counted.count


def csv_response(header: Iterable, rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download."""
    response = StreamingHttpResponse(csv_chunks(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


CELL_MODES = ("text", "typed", "raw")
# Named column styles a ``Sheet`` may give a column (``formats``): the column's default format, which its
# cells written without a format of their own also take.
COLUMN_STYLES = {
    "text": {"num_format": "@"},  # what is typed into it later stays text (ID numbers, phone numbers)
    "date": {"num_format": "yyyy-mm-dd"},
    "error": {"font_color": "#C00000", "text_wrap": True},  # red, wrapped: what is wrong with the row
}
REQUIRED_COLOUR = "#C00000"
VALIDATION_ROWS = 5000  # data validations cover the rows under the header up to this one
FIRST_DATE = datetime.date(1900, 1, 1)


@dataclass
class Sheet:
    """One sheet of a workbook: a header, rows (iterated once, in constant memory) and column widths
    (``None`` for the default width). ``note``: a line under the table.

    ``cells``: ``"text"`` writes every cell as text; ``"typed"`` writes whole numbers as numbers and fractions
    as percentages, so a report's sheets can be summed; ``"raw"`` keeps a cell's type as it came from a file
    (dates as dates in ``yyyy-mm-dd``, date-times with the time, numbers as numbers, booleans as booleans).
    In every mode text is neutralised.

    For workbooks a user fills in or fixes: ``header_style`` (more xlsxwriter format properties for the bold
    header, e.g. a fill), ``required`` (indexes of header cells shown in red), ``formats`` (column index → a
    ``COLUMN_STYLES`` name), ``validations`` (``(column index, values)``: a drop-down list of ``values``
    kept on a hidden options sheet named ``options_name`` (选项 by default), or ``"date"``: a date from 1900 on), ``freeze``
    (the rows and columns frozen).
    """

    name: str
    header: Iterable
    rows: Iterable[Iterable]
    widths: Iterable[int | None] | None = None
    cells: str = "text"
    note: str = ""
    header_style: dict | None = None
    required: Collection[int] = ()
    formats: dict[int, str] = field(default_factory=dict)
    validations: Iterable[tuple[int, list[str] | str]] = ()
    options_name: str = ""
    freeze: tuple[int, int] = (1, 0)

    def __post_init__(self):
        if self.cells not in CELL_MODES:
            raise ValueError(f"cells must be one of {CELL_MODES}, not {self.cells!r}")


def _write_raw(sheet, row: int, col: int, value, formats) -> None:
    """A cell of a ``cells="raw"`` sheet: its type kept, text neutralised."""
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), formats["date"])
    elif text := neutralise(value):
        sheet.write_string(row, col, text)


def _write_validations(workbook, sheet, spec: Sheet, header: list[str], formats) -> None:
    """The drop-down lists (their values on a hidden options sheet, one column per list, written row by
    row as constant memory wants) and the date checks of ``spec.validations``."""
    from django.utils.translation import gettext as _

    lists = []
    for col, values in spec.validations:
        title = header[col] if col < len(header) else ""
        if values == "date":
            sheet.data_validation(1, col, VALIDATION_ROWS, col, {
                "validate": "date", "criteria": ">=", "value": FIRST_DATE,
                "error_title": title, "error_message": _("Enter a date, e.g. 2015-07-01."),
            })
        elif values:
            lists.append((col, title, list(values)))
    if not lists:
        return
    options = workbook.add_worksheet((spec.options_name or _("Options"))[:31])
    for option_col, (col, title, values) in enumerate(lists):
        letter = xl_col_to_name(option_col)
        sheet.data_validation(1, col, VALIDATION_ROWS, col, {
            "validate": "list",
            "source": f"='{options.get_name()}'!${letter}$2:${letter}${len(values) + 1}",
            "error_title": title,
            "error_message": _("Choose a value from the list."),
        })
    for row in range(max(len(values) for _col, _title, values in lists) + 1):
        for option_col, (_col, title, values) in enumerate(lists):
            text = title if row == 0 else (values[row - 1] if row <= len(values) else "")
            if text := neutralise(text):
                options.write_string(row, option_col, text)
    options.hide()


def write_sheets(path, sheets: Iterable[Sheet]) -> int:
    """Write an .xlsx file of one or more sheets to ``path`` (a path or a binary file object) row by row in
    constant memory; returns the number of data rows of the last sheet. Each header row is bold and frozen."""
    workbook = xlsxwriter.Workbook(
        path if hasattr(path, "write") else str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    count = 0
    try:
        bold = workbook.add_format({"bold": True})
        formats = {
            "percent": workbook.add_format({"num_format": "0%"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        }
        for spec in sheets:
            sheet = workbook.add_worksheet(spec.name[:31])
            header = _safe_row(spec.header)
            widths = list(spec.widths or ())
            for col in sorted(set(range(len(widths))) | set(spec.formats)):
                width = widths[col] if col < len(widths) else None
                style = spec.formats.get(col)
                if width is not None or style:
                    sheet.set_column(col, col, width, workbook.add_format(COLUMN_STYLES[style]) if style else None)
            sheet.freeze_panes(*spec.freeze)
            header_format = bold
            if spec.header_style or spec.required:
                header_format = workbook.add_format({"bold": True, **(spec.header_style or {})})
            required_format = workbook.add_format(
                {"bold": True, **(spec.header_style or {}), "font_color": REQUIRED_COLOUR}) if spec.required else None
            for col, value in enumerate(header):
                sheet.write_string(0, col, value, required_format if col in spec.required else header_format)
            count = 0
            for count, row in enumerate(spec.rows, start=1):
                for col, value in enumerate(row):
                    if spec.cells == "raw":
                        _write_raw(sheet, count, col, value, formats)
                    elif spec.cells == "typed" and isinstance(value, int) and not isinstance(value, bool):
                        sheet.write_number(count, col, value)
                    elif spec.cells == "typed" and isinstance(value, float):
                        sheet.write_number(count, col, value, formats["percent"])
                    elif text := neutralise(value):
                        sheet.write_string(count, col, text)
            if spec.note:
                sheet.write_string(count + 2, 0, spec.note)
            if spec.validations:
                _write_validations(workbook, sheet, spec, header, formats)
    finally:
        workbook.close()
    return count


def write_xlsx(path, header: Iterable, rows: Iterable[Iterable], *, sheet_name: str = "Sheet1",
               widths: Iterable[int] | None = None) -> int:
    """Write a one-sheet .xlsx file of text cells to ``path``; returns the number of data rows."""
    return write_sheets(path, [Sheet(sheet_name, header, rows, widths)])


def xlsx_tempfile(header: Iterable, rows: Iterable[Iterable], **kwargs):
    """Write the rows to a temporary .xlsx; returns ``(open binary file, row count)``.

    The file is already unlinked: it disappears when the returned file object is closed (FileResponse
    closes it once sent).
    """
    return sheets_tempfile([Sheet(kwargs.pop("sheet_name", "Sheet1"), header, rows, **kwargs)])


def sheets_tempfile(sheets: Iterable[Sheet]):
    """``xlsx_tempfile`` for a workbook of several sheets (``Sheet``)."""
    return written_tempfile(lambda path: write_sheets(path, sheets))


def written_tempfile(write):
    """Run ``write(path)`` on a temporary .xlsx path; returns ``(open binary file, what write returned)``,
    the file already unlinked (it disappears when the file object is closed, FileResponse closes it)."""
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="taizhang-export-")
    os.close(fd)
    try:
        result = write(path)
        f = open(path, "rb")  # noqa: SIM115 - handed to FileResponse, which closes it
    finally:
        os.unlink(path)
    return f, result


def xlsx_response(f, filename: str) -> FileResponse:
    """Send an open .xlsx file (from ``xlsx_tempfile``) as a download."""
    response = FileResponse(f, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


# --- the one way a page sends a table as a download (issue 9) ------------------------------------------


def export_xlsx(request, *, header: Iterable, rows: Iterable[Iterable], filename: str, action: str,
                obj=None, object_type: str = "", object_repr: str = "", details: dict | None = None,
                sheet_name: str = "Sheet1", widths: Iterable[int] | None = None) -> FileResponse:
    """Write ``rows`` to an .xlsx in constant memory (formulas neutralised), write the audit entry of the
    download (``action``, the object, the row count and ``details``), and send the file (no-store).

    Every download of personal or organisational data goes through this (or ``export_csv``); a test walks
    the URL patterns and fails on a download view that sends a file another way.
    """
    from taizhang.core.audit import audit_log, client_ip

    f, count = xlsx_tempfile(header, rows, sheet_name=sheet_name, widths=widths)
    audit_log(actor=request.user, action=action, obj=obj, object_type=object_type,
              object_repr=object_repr, ip_address=client_ip(request),
              new={"rows": count, "format": "xlsx", **(details or {})})
    return xlsx_response(f, filename)


def export_csv(request, *, header: Iterable, rows: Iterable[Iterable], filename: str, action: str, obj=None,
               object_type: str = "", object_repr: str = "", details: dict | None = None) -> StreamingHttpResponse:
    """The streamed CSV counterpart of ``export_xlsx``: the audit entry is written before the first byte
    (the row count is not known yet; ``details`` should say what was asked for)."""
    from taizhang.core.audit import audit_log, client_ip

    audit_log(actor=request.user, action=action, obj=obj, object_type=object_type,
              object_repr=object_repr, ip_address=client_ip(request), new={"format": "csv", **(details or {})})
    return csv_response(header, rows, filename)
