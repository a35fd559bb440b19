"""One spreadsheet writer (issue 9): a walk over the source that fails when code outside
``taizhang/core/exporting.py`` writes a spreadsheet itself instead of handing ``Sheet``s to ``write_sheets``
(or rows to ``write_csv`` / ``csv_response`` / ``export_xlsx`` …).

Flagged (with file:line):
* an import of xlsxwriter (``import xlsxwriter``, ``from xlsxwriter… import …``), even inside a function;
* a call that creates a workbook: ``xlsxwriter.Workbook(…)``, ``openpyxl.Workbook(…)``, ``Workbook(…)``
  (``load_workbook`` to read one is fine);
* ``csv.writer(…)`` / ``csv.DictWriter(…)``.

The walk also covers what ``grep -rnE "xlsxwriter\\.Workbook\\(|Workbook\\(write_only|csv\\.writer\\("`` finds.
And the writer itself: a ``cells="raw"`` sheet keeps dates, numbers and booleans typed (text neutralised),
and a sheet's ``validations`` become drop-down lists on a hidden options sheet.
"""

import ast
import datetime
import re
from pathlib import Path

import openpyxl
from django.conf import settings

from taizhang.core.exporting import Sheet, write_sheets

ROOT = Path(settings.BASE_DIR) / "taizhang"
EXPORTING = ROOT / "core" / "exporting.py"
GREP = re.compile(r"xlsxwriter\.Workbook\(|Workbook\(write_only|csv\.writer\(")
WRITER_CALLS = {("xlsxwriter", "Workbook"), ("openpyxl", "Workbook"), ("csv", "writer"), ("csv", "DictWriter")}


def _called(node: ast.Call) -> tuple[str, str]:
    """("csv", "writer") for ``csv.writer(...)``, ("", "Workbook") for ``Workbook(...)``."""
    func = node.func
    if isinstance(func, ast.Name):
        return "", func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id, func.attr
    return "", ""


def problems_in(source: str, relative: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "xlsxwriter" for a in node.names):
            found.append(f"{relative}:{node.lineno}: imports xlsxwriter")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "xlsxwriter":
            found.append(f"{relative}:{node.lineno}: imports from xlsxwriter")
        elif isinstance(node, ast.Call):
            module, name = _called(node)
            if (module, name) in WRITER_CALLS or (not module and name in ("Workbook", "DictWriter")):
                found.append(f"{relative}:{node.lineno}: writes a spreadsheet itself ({module or '…'}.{name})")
    for number, line in enumerate(source.splitlines(), start=1):
        if GREP.search(line):
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_only_core_exporting_writes_spreadsheets():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if path == EXPORTING or "/tests/" in f"/{relative}" or "/migrations/" in f"/{relative}":
            continue
        found += problems_in(path.read_text(encoding="utf-8"), relative)
    assert not found, "spreadsheets written outside core/exporting.py (use write_sheets and Sheet):\n" + "\n".join(
        found)


def test_the_walk_finds_each_kind_of_writer():
    bad = '''
import csv
import xlsxwriter
from openpyxl import Workbook

def error_file(out):
    from xlsxwriter.utility import xl_col_to_name
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    other = Workbook(write_only=True)
    csv.writer(out).writerow(["a"])
    csv.DictWriter(out, ["a"])
'''
    found = problems_in(bad, "members/imports/workbooks.py")
    kinds = [line.split(": ", 1)[1] for line in found]
    assert sum("imports" in k for k in kinds) == 2, found
    assert sum("writes a spreadsheet itself" in k for k in kinds) == 4, found
    assert sum(k.startswith(("book =", "other =", "csv.writer")) for k in kinds) == 3, found  # the grep's hits
    assert all(line.startswith("members/imports/workbooks.py:") for line in found)
    good = ("import openpyxl\nfrom taizhang.core.exporting import Sheet, write_sheets\n\n"
            "def f(path):\n    openpyxl.load_workbook(path)\n    write_sheets(path, [Sheet('a', ['x'], [])])\n")
    assert problems_in(good, "members/imports/workbooks.py") == []


def _red(cell) -> bool:
    color = cell.font.color
    return bool(color) and isinstance(color.rgb, str) and color.rgb.endswith("C00000")


def test_raw_cells_keep_their_type_and_text_is_neutralised(tmp_path):
    path = tmp_path / "raw.xlsx"
    rows = [[datetime.date(2005, 7, 1), datetime.datetime(2026, 1, 2, 8, 30), 12, 2.5, True, "=SUM(1)", None, "文字"]]
    count = write_sheets(path, [Sheet("原样", list("ABCDEFGH"), rows, cells="raw", formats={7: "error"})])
    assert count == 1
    sheet = openpyxl.load_workbook(path).active
    cells = list(sheet.iter_rows(min_row=2))[0]
    assert cells[0].value == datetime.datetime(2005, 7, 1) and cells[0].is_date
    assert cells[0].number_format == "yyyy-mm-dd"
    assert cells[1].value == datetime.datetime(2026, 1, 2, 8, 30) and cells[1].is_date
    assert [c.value for c in cells[2:7]] == [12, 2.5, True, "'=SUM(1)", None]
    assert cells[7].value == "文字" and _red(cells[7]) and cells[7].alignment.wrap_text


def test_header_styles_column_formats_and_drop_down_lists(tmp_path):
    path = tmp_path / "template.xlsx"
    write_sheets(path, [Sheet(
        "台账", ["姓名", "性别", "身份证号", "出生日期"], [["张伟明", "男", "110101198005170011", datetime.date(1980, 5, 17)]],
        cells="raw", header_style={"bg_color": "#F2DCDB"}, required={0, 2}, formats={2: "text", 3: "date"},
        validations=[(1, ["男", "女"]), (3, "date")], options_name="选项", freeze=(1, 1),
    )])
    workbook = openpyxl.load_workbook(path)
    sheet, options = workbook.worksheets
    assert sheet.freeze_panes == "B2" and options.title == "选项" and options.sheet_state == "hidden"
    header = sheet[1]
    assert all(c.font.b and c.fill.fgColor.rgb.endswith("F2DCDB") for c in header)
    assert [_red(c) for c in header] == [True, False, True, False]
    assert sheet.column_dimensions["C"].number_format == "@" and sheet["C2"].value == "110101198005170011"
    assert sheet["D2"].is_date and sheet.column_dimensions["D"].number_format == "yyyy-mm-dd"
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert validations["B2:B5001"].type == "list" and validations["B2:B5001"].formula1 == "'选项'!$A$2:$A$3"
    assert validations["D2:D5001"].type == "date"
    assert [c.value for c in options["A"]] == ["性别", "男", "女"]
