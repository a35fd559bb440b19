"""The import's workbooks, now written by ``core.exporting.write_sheets`` (issue 9): the error file keeps the
upload's cells as they were (a date stays a date, a number a number) and the template keeps its drop-down
lists, date checks, text columns and red required headers."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from taizhang.members import imports
from taizhang.members.ledger_columns import COLUMNS
from taizhang.members.tests.test_import import dry, new_row, source, xlsx_bytes

pytestmark = pytest.mark.django_db


def _red(cell) -> bool:
    color = cell.font.color
    return bool(color) and isinstance(color.rgb, str) and color.rgb.endswith("C00000")


def test_error_file_keeps_a_date_cell_a_date_and_a_number_a_number(tmp_path, cast):
    rows = [new_row("甲"), new_row("乙", 手机号码=12345, 出生日期=datetime.date(1980, 5, 17))]
    content = xlsx_bytes(rows)
    report = dry(tmp_path, content, user=cast.admin)
    out = tmp_path / "errors.xlsx"
    imports.write_error_file(source(tmp_path, content), report.errors, str(out))
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert sheet.max_row == 2 and row["姓名"].value == "乙"
    assert row["出生日期"].is_date and row["出生日期"].value == datetime.datetime(1980, 5, 17)
    assert row["出生日期"].number_format == "yyyy-mm-dd"
    assert row["手机号码"].value == 12345
    assert "手机号码" in row["错误"].value and _red(row["错误"]) and row["错误"].alignment.wrap_text
    assert all(c.font.b for c in sheet[1]) and sheet.freeze_panes == "A2"


def test_error_file_streams_into_a_file_object(tmp_path, cast):
    content = xlsx_bytes([new_row("乙", 手机号码="12345")])
    report = dry(tmp_path, content, user=cast.admin)
    output = io.BytesIO()
    imports.write_error_file(source(tmp_path, content), report.errors, output)
    values = list(openpyxl.load_workbook(io.BytesIO(output.getvalue())).active.values)
    assert values[0][-1] == "错误" and values[1][0] == "乙"


def test_template_keeps_drop_down_lists_date_checks_and_text_columns(client, cast):
    client.force_login(cast.east_secretary)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("members:import_template")).getvalue()))
    sheet, options = workbook.worksheets
    assert options.title == "选项" and options.sheet_state == "hidden" and sheet.freeze_panes == "B2"
    header = sheet[1]
    by_header = {c.value: c.column_letter for c in header}
    assert [c.value for c in header] == [c.header for c in COLUMNS]
    assert {c.value for c in header if _red(c)} == {c.header for c in COLUMNS if c.required}
    lists = {sheet.cell(row=1, column=next(iter(v.sqref.ranges)).min_col).value: v.formula1
             for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists["性别"].startswith("'选项'!$")
    gender = lists["性别"].split("!")[1].replace("$", "").split(":")[0][0]
    assert [c.value for c in options[gender] if c.value is not None] == ["性别", "男", "女"]
    dates = {sheet.cell(row=1, column=next(iter(v.sqref.ranges)).min_col).value
             for v in sheet.data_validations.dataValidation if v.type == "date"}
    assert {"出生日期", "入党日期"} <= dates
    assert sheet.column_dimensions[by_header["公民身份号码"]].number_format == "@"
    assert sheet.column_dimensions[by_header["出生日期"]].number_format == "yyyy-mm-dd"
    assert sheet[f"{by_header['出生日期']}2"].is_date and sheet[f"{by_header['公民身份号码']}2"].data_type == "s"
