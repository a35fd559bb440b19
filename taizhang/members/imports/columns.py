"""The ledger file's columns: finding and mapping the header row, the keys by kind of value, and how values
and personal numbers are shown in the dry run and the error list."""

import dataclasses
import datetime
import re

from django.utils.translation import gettext as _

from taizhang.core.masking import mask_id_number, mask_phone
from taizhang.core.spreadsheets import SpreadsheetError, cell_text, choice_lookup, halfwidth, printable
from taizhang.members.ledger_columns import (
    BY_KEY,
    CATEGORY_VALUES,
    COLUMNS,
    EDUCATION_VALUES,
    GENDER_VALUES,
    IGNORED_HEADERS,
    MEMBERSHIP_VALUES,
    header_lookup,
    normalise_header,
)

HEADER_SEARCH_ROWS = 10  # the header may sit below a title row or two

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

TEXT_KEYS = ["name", "ethnicity", "position", "residence", "household_registration", "employer", "industry"]
DATE_KEYS = ["birth_date", "join_date", "full_membership_date", "registered_on"]
# Member fields an import can change on an existing member, compared one by one (order = display order).
COMPARED_KEYS = [
    "name", "ethnicity", "education", "membership_type", "join_date", "full_membership_date", "position",
    "residence", "household_registration", "is_mobile", "category", "district", "employer", "industry", "phone",
]
CHOICES = {
    "gender": GENDER_VALUES,
    "education": EDUCATION_VALUES,
    "membership_type": MEMBERSHIP_VALUES,
    "category": CATEGORY_VALUES,
}
_CHOICE_LOOKUPS = {key: choice_lookup(values) for key, values in CHOICES.items()}


class ImportFileError(SpreadsheetError):
    """The file as a whole cannot be imported (unreadable, no header row, required columns missing)."""



@dataclasses.dataclass
class Header:
    row: int  # the header's row number
    headers: list  # the header texts as in the file
    columns: dict  # key -> cell index
    unknown: list  # headers the import does not know

    def header_of(self, key: str) -> str:
        index = self.columns.get(key)
        return self.headers[index] if index is not None else BY_KEY[key].header


def read_header(rows) -> Header:
    """Find the header row (the first of the first rows naming two known columns) and map it."""
    lookup = header_lookup()
    ignored = {normalise_header(h) for h in IGNORED_HEADERS}
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        texts = [printable(cell_text(c)) for c in cells]
        keys = [lookup.get(normalise_header(t)) for t in texts]
        if sum(1 for k in keys if k) < 2:
            continue
        columns, unknown = {}, []
        for index, (text, key) in enumerate(zip(texts, keys, strict=True)):
            if key is None:
                if text and normalise_header(text) not in ignored:
                    unknown.append(text)
                continue
            if key in columns:
                raise ImportFileError(
                    _("The columns “%(first)s” and “%(second)s” both mean “%(column)s”; keep one of them.")
                    % {"first": texts[columns[key]], "second": text, "column": BY_KEY[key].header}
                )
            columns[key] = index
        missing = [
            c.header for c in COLUMNS
            if c.required and c.key not in columns and not (c.alternative and c.alternative in columns)
        ]
        if missing:
            raise ImportFileError(
                _("Required columns are missing: %(columns)s. Download the template to see the expected columns.")
                % {"columns": "、".join(missing)}
            )
        return Header(row=number, headers=texts, columns=columns, unknown=unknown)
    raise ImportFileError(
        _("No header row was found: the first row must hold the column names (姓名, 公民身份号码, …). "
          "Download the template to see the expected columns.")
    )


def normalise_id_text(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return cell_text(value)
    return re.sub(r"\s+", "", halfwidth(cell_text(value))).upper()


def _display(key: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if key in CHOICES:
        spellings = CHOICES[key].get(value)
        return spellings[0] if spellings else str(value)
    if isinstance(value, (list, tuple, set)):
        return "、".join(sorted(value))
    return str(value)


def _masked(key: str, text: str) -> str:
    """Personal numbers in error reports are masked like everywhere else (the error workbook, built
    from the uploaded file itself, keeps what the user typed so it can be fixed)."""
    compact = re.sub(r"\s+", "", text or "")
    if key == "id_number" and len(compact) >= 10:
        return mask_id_number(compact[-4:], length=len(compact), prefix=compact[:4])
    if key == "phone" and len(compact) >= 8:
        return mask_phone(compact[:3], compact[-4:])
    return text


