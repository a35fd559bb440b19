"""Reading spreadsheets safely (core/spreadsheets.py): limits checked before anything loads the file,
one text encoding per CSV, control characters refused. Workbooks are built here, small, with the limits
lowered where a real attack would need a big file."""

import csv
import io
import zipfile

import openpyxl
import pytest

from taizhang.core import spreadsheets
from taizhang.core.spreadsheets import SpreadsheetError, control_character_error, open_rows


def opener(data: bytes):
    return lambda: io.BytesIO(data)


def rows_of(data: bytes, name="a.xlsx"):
    return list(open_rows(opener(data), name))


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replace_sheet(data: bytes, sheet_xml: bytes, *, declared_size: int | None = None) -> bytes:
    """The workbook with its first sheet's XML replaced (and, optionally, a size header that lies)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, content)
    data = out.getvalue()
    if declared_size is not None:  # patch the central directory's uncompressed size of the sheet
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("xl/worksheets/sheet1.xml")
            real = info.file_size.to_bytes(4, "little")
            offset = data.rfind(b"xl/worksheets/sheet1.xml") - 46 + 24  # central header: size at +24
            assert data[offset:offset + 4] == real
            data = data[:offset] + declared_size.to_bytes(4, "little") + data[offset + 4:]
    return data


SHEET = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
         b'2006/main"><dimension ref="%s"/><sheetData>%s</sheetData></worksheet>')


def sheet_rows(count: int, first_col="A", last_col="B") -> bytes:
    return b"".join(b'<row r="%d"><c r="%s%d" t="inlineStr"><is><t>x</t></is></c><c r="%s%d"><v>1</v></c></row>'
                    % (n, first_col.encode(), n, last_col.encode(), n) for n in range(1, count + 1))


class ReachedCalamine(BaseException):
    """Not an Exception, so the reader's own error handling cannot turn it into a polite refusal."""


@pytest.fixture
def no_calamine(monkeypatch):
    """Fail if a refused workbook reaches calamine (which would load the whole sheet into memory)."""
    import python_calamine

    def refuse(*args, **kwargs):
        raise ReachedCalamine

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)


# --- .xlsx limits ------------------------------------------------------------------------------------------


def test_a_workbook_within_the_limits_reads(settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = rows_of(workbook([["姓名", "得分"], ["甲", 1], ["乙", 2]]))
    assert [(n, cells[0]) for n, cells in rows] == [(1, "姓名"), (2, "甲"), (3, "乙")]


def test_zip_bomb_is_refused_from_its_declared_sizes(settings, no_calamine):
    settings.IMPORT_MAX_UNCOMPRESSED_MB = 1
    bomb = replace_sheet(workbook([["x"]]), SHEET % (b"A1:B9", b"<!--" + b" " * (3 * 1024 * 1024) + b"-->"))
    assert len(bomb) < 20_000  # 3 MB of XML packs into a few KB, as a real bomb packs 1.8 GB into 0.6 MB
    with pytest.raises(SpreadsheetError) as refused:
        rows_of(bomb)
    assert "1 MB" in refused.value.message and "解压" in refused.value.message


def test_zip_bomb_with_a_lying_size_header_is_refused_while_unpacking(settings, no_calamine):
    settings.IMPORT_MAX_UNCOMPRESSED_MB = 1
    bomb = replace_sheet(workbook([["x"]]), SHEET % (b"A1", b"<!--" + b" " * (3 * 1024 * 1024) + b"-->"),
                         declared_size=1000)
    with pytest.raises(SpreadsheetError):
        rows_of(bomb)


def test_a_full_height_sheet_is_refused_from_its_dimension(settings, no_calamine):
    bomb = replace_sheet(workbook([["x"]]), SHEET % (b"A1:B1048576", sheet_rows(2)))
    with pytest.raises(SpreadsheetError) as refused:
        rows_of(bomb)
    assert str(settings.IMPORT_MAX_ROWS) in refused.value.message


def test_rows_are_counted_while_streaming_when_the_dimension_is_missing_or_lies(settings, no_calamine):
    settings.IMPORT_MAX_ROWS = 50
    for dimension in (b"A1", b"A1:B10"):
        with pytest.raises(SpreadsheetError) as refused:
            rows_of(replace_sheet(workbook([["x"]]), SHEET % (dimension, sheet_rows(51))))
        assert "50" in refused.value.message
    one_far_row = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    with pytest.raises(SpreadsheetError):
        rows_of(replace_sheet(workbook([["x"]]), SHEET % (b"A1", one_far_row)))


def test_a_sheet_too_wide_is_refused(settings, no_calamine):
    with pytest.raises(SpreadsheetError) as refused:  # one cell at the last column makes calamine's range huge
        rows_of(replace_sheet(workbook([["x"]]), SHEET % (b"A1", sheet_rows(2, last_col="XFD"))))
    assert str(settings.IMPORT_MAX_COLUMNS) in refused.value.message
    no_refs = b"<row>" + b"<c><v>1</v></c>" * (settings.IMPORT_MAX_COLUMNS + 1) + b"</row>"
    with pytest.raises(SpreadsheetError):
        rows_of(replace_sheet(workbook([["x"]]), SHEET % (b"A1", no_refs)))


def test_a_csv_over_the_row_limit_is_refused_while_streaming(settings):
    settings.IMPORT_MAX_ROWS = 10
    data = "\n".join(["姓名,得分"] + [f"甲{i},1" for i in range(10)]).encode()
    rows = open_rows(opener(data), "a.csv")
    assert [next(rows)[0] for _ in range(10)] == list(range(1, 11))
    with pytest.raises(SpreadsheetError) as refused:
        next(rows)
    assert "10" in refused.value.message


# --- one encoding per CSV ----------------------------------------------------------------------------------


def csv_lines(*rows, encodings) -> bytes:
    out = b""
    for row, encoding in zip(rows, encodings, strict=True):
        text = io.StringIO()
        csv.writer(text).writerow(row)
        out += text.getvalue().encode(encoding)
    return out


def test_gbk_header_with_a_utf8_row_is_refused_naming_the_row():
    data = csv_lines(["姓名", "工作单位"], ["张伟明", "北京"], ["李秀英", "朝阳区某某公司"],
                     encodings=["gbk", "gbk", "utf-8"])
    with pytest.raises(SpreadsheetError) as refused:
        rows_of(data, "a.csv")
    assert "第 3 行" in refused.value.message and "UTF-8" in refused.value.message


def test_utf8_file_with_a_gbk_row_is_refused_naming_the_row():
    data = csv_lines(["姓名", "工作单位"], ["张伟明", "北京"], ["李秀英", "朝阳区"], encodings=["utf-8", "utf-8", "gbk"])
    with pytest.raises(SpreadsheetError) as refused:
        rows_of(data, "a.csv")
    assert "第 3 行" in refused.value.message
    bom = b"\xef\xbb\xbf" + data
    with pytest.raises(SpreadsheetError) as refused:
        rows_of(bom, "a.csv")
    assert "第 3 行" in refused.value.message


def test_consistent_gbk_still_reads_even_with_chars_that_look_like_utf8():
    data = csv_lines(["姓名", "工作单位"], ["张伟明", "贸"], encodings=["gbk", "gbk"])  # 贸 is C3 B3: UTF-8 “ó”
    assert [cells for _n, cells in rows_of(data, "a.csv")] == [["姓名", "工作单位"], ["张伟明", "贸"]]


# --- control characters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["北京\x00公司", "a\x07b", "\x1b[31m", "x\x7f", "x\ufffe"])
def test_control_characters_are_named(text):
    reason = control_character_error(text)
    assert reason and "U+" in reason and "控制字符" in reason


@pytest.mark.parametrize("text", ["第一行\n第二行", "a\tb", "普通文字", 12, None])
def test_ordinary_text_has_no_control_character(text):
    assert control_character_error(text) is None


def test_printable_shows_them():
    assert spreadsheets.printable("a\x00b") == "a\ufffdb"


def test_rows_after_a_long_text_are_still_counted(settings, no_calamine):
    settings.IMPORT_MAX_ROWS = 50
    long_text = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"A" * (3 * 1024 * 1024) + b"</t></is></c></row>"
    rows = b"".join(b"<row><c><v>1</v></c></row>" for _ in range(50))
    with pytest.raises(SpreadsheetError):
        rows_of(replace_sheet(workbook([["x"]]), SHEET % (b"A1", long_text + rows)))
