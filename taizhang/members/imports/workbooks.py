"""The workbooks the user downloads: the error file (the rows with errors as they were, and what is wrong)
and the template (headers, a sample row, dropdown lists)."""

import datetime
from collections import defaultdict

from django.utils.translation import gettext as _

from taizhang.core.exporting import Sheet, write_sheets
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

HEADER_STYLE = {"bold": True, "bg_color": "#F2DCDB"}


def _printable(value):
    """A cell of the upload as the error file shows it: text with its control characters shown as �."""
    return printable(value) if isinstance(value, str) else value


def write_error_file(source: Source, errors: list, output) -> None:
    """The rows with errors, as they were in the file, with an extra 错误 column saying what is wrong.

    ``output`` is a path or a binary file object. Fix the rows and upload the file again: the 错误 column is
    ignored by the import (``ledger_columns.IGNORED_HEADERS``). Written by ``core.exporting.write_sheets`` in
    constant memory: the upload's rows are read one by one as they are written.
    """
    from taizhang.members.ledger_columns import ERROR_HEADER

    by_row = defaultdict(list)
    for error in errors:
        column = f"{error['column']}：" if error["column"] else ""
        by_row[error["row"]].append(f"{column}{error['message']}")
    rows = source.rows()
    header = read_header(rows)
    keep = [i for i, text in enumerate(header.headers) if normalise_header(text) != ERROR_HEADER]
    error_col = len(keep)

    def error_rows():
        for number, cells in rows:
            if number in by_row:
                yield [*(_printable(cells[i]) if i < len(cells) else None for i in keep), "；".join(by_row[number])]

    write_sheets(output, [Sheet(
        _("Errors"), [*(header.headers[i] for i in keep), ERROR_HEADER], error_rows(), cells="raw",
        widths=[None] * error_col + [60], header_style=HEADER_STYLE, formats={error_col: "error"},
    )])


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
    """An empty ledger with the headers (the required ones in red), one sample row and dropdown lists (the
    importer's branches, …) on a hidden options sheet; ID and phone columns take text, date columns dates."""
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
    widths, formats, validations = [], {}, []
    for col, column in enumerate(COLUMNS):
        if column.key in ("id_number", "phone"):
            widths.append(22)
            formats[col] = "text"
        elif column.key in DATE_KEYS:
            widths.append(12)
            formats[col] = "date"
        else:
            widths.append(max(10, len(column.header) * 2 + 2))
        if lists.get(column.key):
            validations.append((col, lists[column.key]))
        elif column.key in DATE_KEYS:
            validations.append((col, "date"))
    write_sheets(output, [Sheet(
        _("Ledger"), [c.header for c in COLUMNS], [[sample.get(c.key, "") for c in COLUMNS]], widths,
        cells="raw", header_style={**HEADER_STYLE, "border": 1},
        required={col for col, c in enumerate(COLUMNS) if c.required}, formats=formats,
        validations=validations, freeze=(1, 1),
    )])
