"""The workbooks the user downloads: the error file (the rows with errors as they were, and what is wrong)
and the template (headers, a sample row, dropdown lists)."""

import datetime
from collections import defaultdict

from django.utils.translation import gettext as _

from taizhang.core.exporting import neutralise
from taizhang.core.imports import Source
from taizhang.core.spreadsheets import printable
from taizhang.members.imports.columns import DATE_KEYS, read_header
from taizhang.members.imports.context import Context
from taizhang.members.ledger_columns import (
    CATEGORY_VALUES,
    COLUMNS,
    EDUCATION_VALUES,
    GENDER_VALUES,
    MEMBERSHIP_VALUES,
    normalise_header,
)


def _write_cell(sheet, row, col, value, formats):
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, datetime.date):
        sheet.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), formats["date"])
    else:  # a text cell, never a formula; defused like every export, so it stays inert in any program
        sheet.write_string(row, col, neutralise(printable(str(value))))


def write_error_file(source: Source, errors: list, output) -> None:
    """The rows with errors, as they were in the file, with an extra 错误 column saying what is wrong.

    ``output`` is a path or a binary file object. Fix the rows and upload the file again: the 错误 column is
    ignored by the import (``ledger_columns.IGNORED_HEADERS``).
    """
    import xlsxwriter

    from taizhang.members.ledger_columns import ERROR_HEADER

    by_row = defaultdict(list)
    for error in errors:
        column = f"{error['column']}：" if error["column"] else ""
        by_row[error["row"]].append(f"{column}{error['message']}")
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "in_memory": False})
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "header": workbook.add_format({"bold": True, "bg_color": "#F2DCDB"}),
        "error": workbook.add_format({"font_color": "#C00000", "text_wrap": True}),
    }
    sheet = workbook.add_worksheet(_("Errors"))
    rows = source.rows()
    header = read_header(rows)
    keep = [i for i, text in enumerate(header.headers) if normalise_header(text) != ERROR_HEADER]
    for col, index in enumerate(keep):
        sheet.write_string(0, col, neutralise(header.headers[index]), formats["header"])
    error_col = len(keep)
    sheet.write_string(0, error_col, ERROR_HEADER, formats["header"])
    sheet.set_column(error_col, error_col, 60)
    out_row = 1
    for number, cells in rows:
        if number not in by_row:
            continue
        for col, index in enumerate(keep):
            _write_cell(sheet, out_row, col, cells[index] if index < len(cells) else None, formats)
        sheet.write_string(out_row, error_col, neutralise("；".join(by_row[number])), formats["error"])
        out_row += 1
    sheet.freeze_panes(1, 0)
    workbook.close()


TEMPLATE_SAMPLE = {
    "name": "张伟明",
    "gender": "男",
    "id_number": "110101198005170011",
    "ethnicity": "汉族",
    "birth_date": datetime.date(1980, 5, 17),
    "education": "大学本科",
    "membership_type": "正式党员",
    "phone": "139 1234 5678",
    "join_date": datetime.date(2005, 7, 1),
    "full_membership_date": datetime.date(2006, 7, 1),
    "position": "工程师",
    "residence": "北京市朝阳区",
    "household_registration": "山东省青岛市市南区",
    "lost_contact": "否",
    "is_mobile": "是",
    "category": CATEGORY_VALUES["working"][0],
    "district": "朝阳区",
    "employer": "北京某科技有限公司",
    "industry": "信息技术",
    "tags": "志愿者骨干、书画爱好者",
    "remarks": "",
    "registered_on": datetime.date(2018, 3, 1),
}


def write_template(output, ctx: Context) -> None:
    """An empty ledger with the headers, one sample row and dropdown lists (the importer's branches, …)."""
    import xlsxwriter

    branch_names = ctx.editable_branch_names()
    district_names = [d.name for d in ctx.districts if ctx.can_edit(d.branch)] or [d.name for d in ctx.districts]
    sample = dict(TEMPLATE_SAMPLE)
    if branch_names:
        sample["branch"] = branch_names[0]
        first = next((d for d in ctx.districts if d.branch.name == branch_names[0]), None)
        sample["district"] = first.name if first else ""
    lists = {
        "branch": branch_names,
        "category": [v[0] for v in CATEGORY_VALUES.values()],
        "membership_type": [v[0] for v in MEMBERSHIP_VALUES.values()],
        "gender": [v[0] for v in GENDER_VALUES.values()],
        "education": [v[0] for v in EDUCATION_VALUES.values()],
        "lost_contact": ["是", "否"],
        "is_mobile": ["是", "否"],
        "district": district_names,
    }
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    header_format = workbook.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    required_format = workbook.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1, "font_color": "#C00000"})
    text_format = workbook.add_format({"num_format": "@"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet(_("Ledger"))
    options = workbook.add_worksheet(_("Options"))
    last_row = 5000
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.header, required_format if column.required else header_format)
        if column.key in ("id_number", "phone"):
            sheet.set_column(col, col, 22, text_format)
        elif column.key in DATE_KEYS:
            sheet.set_column(col, col, 12, date_format)
        else:
            sheet.set_column(col, col, max(10, len(column.header) * 2 + 2))
        value = sample.get(column.key, "")
        if isinstance(value, datetime.date):
            sheet.write_datetime(1, col, datetime.datetime.combine(value, datetime.time()), date_format)
        elif value:
            sheet.write_string(1, col, value)
        if column.key in lists and lists[column.key]:
            option_col = list(lists).index(column.key)
            values = lists[column.key]
            options.write_string(0, option_col, column.header)
            for i, item in enumerate(values, start=1):
                options.write_string(i, option_col, item)
            letter = xlsxwriter.utility.xl_col_to_name(option_col)
            sheet.data_validation(1, col, last_row, col, {
                "validate": "list",
                "source": f"='{options.get_name()}'!${letter}$2:${letter}${len(values) + 1}",
                "error_title": column.header,
                "error_message": _("Choose a value from the list."),
            })
        elif column.key in DATE_KEYS:
            sheet.data_validation(1, col, last_row, col, {
                "validate": "date", "criteria": ">=", "value": datetime.date(1900, 1, 1),
                "error_title": column.header, "error_message": _("Enter a date, e.g. 2015-07-01."),
            })
    sheet.freeze_panes(1, 1)
    options.hide()
    workbook.close()
