"""Reading the file (through ``core.imports.Source``): one row's plan (``RowPlan``) and its cells
parsed into typed values with an error per unreadable cell (``RowParser``)."""

import dataclasses
import datetime
import re

from django.utils.translation import gettext as _

from taizhang.core.spreadsheets import (
    CellError,
    cell_text,
    control_character_error,
    parse_bool,
    parse_choice,
    parse_date,
    printable,
)
from taizhang.members.forms import split_tags
from taizhang.members.imports.columns import (
    _CHOICE_LOOKUPS,
    CHOICES,
    DATE_KEYS,
    ERROR,
    TEXT_KEYS,
    Header,
    _masked,
)
from taizhang.members.ledger_columns import BY_KEY, YES_NO
from taizhang.members.models import Member, Tag
from taizhang.organisation.models import Branch


@dataclasses.dataclass(slots=True)
class RowPlan:
    row: int
    action: str = ""
    name: str = ""
    id_masked: str = ""
    errors: list = dataclasses.field(default_factory=list)  # [(header, value, message)]
    changes: list = dataclasses.field(default_factory=list)  # [(header, old, new)]
    data: dict | None = None  # cleaned member data (create) or the changed fields (update)
    id_hash: str = ""
    member: Member | None = None  # the matched member (update)
    registered_on: datetime.date | None = None
    lost: bool | None = None  # True: record lost_contact; False: record contact_restored
    move_to: Branch | None = None
    note: str = ""
    tags: list | None = None  # tag names to set
    committee_id: int | None = None  # the committee of a create's branch
    prepared: tuple | None = None  # a create's Member column values (``_member_values``), ready to insert

    def as_json(self) -> dict:
        entry = {"row": self.row, "action": self.action, "name": self.name, "id": self.id_masked}
        if self.changes and self.action != ERROR:
            entry["changes"] = [list(c) for c in self.changes]
        if self.errors:
            entry["errors"] = [list(e) for e in self.errors]
        return entry


class RowParser:
    """One row's cells as typed values by key, with an error naming row, column and reason for each cell
    that cannot be read."""

    def __init__(self, header: Header):
        self.header = header

    # reading cells
    def cell(self, cells, key):
        index = self.header.columns.get(key)
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def error(self, plan, cells, key, message, value=None):
        header = self.header.header_of(key) if key in BY_KEY else ""
        shown = cell_text(self.cell(cells, key)) if value is None and key in BY_KEY else (value or "")
        plan.errors.append((header, printable(_masked(key, shown)), str(message)))

    def parse(self, number, cells) -> tuple[RowPlan, dict]:
        """The row's typed values by key (only the cells that are filled in), and a plan with cell errors."""
        plan = RowPlan(row=number)
        values = {}
        for key in self.header.columns:
            raw = self.cell(cells, key)
            if raw is None:
                continue
            reason = control_character_error(raw)
            if reason:
                self.error(plan, cells, key, reason)
                continue
            try:
                values[key] = self._parse_value(key, raw)
            except CellError as exc:
                self.error(plan, cells, key, exc.message)
        plan.name = values.get("name", "")
        return plan, values

    def _parse_value(self, key, raw):
        if key in DATE_KEYS:
            return parse_date(raw)
        if key in CHOICES:
            spellings = [v[0] for v in CHOICES[key].values()]
            return parse_choice(raw, _CHOICE_LOOKUPS[key], spellings)
        if key in ("lost_contact", "is_mobile"):
            return parse_bool(raw, YES_NO)
        if key == "id_number":
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                raise CellError(
                    _("The citizen ID number is stored as a number, so Excel has changed its last digits. "
                      "Format the column as text and type the number again.")
                )
            return cell_text(raw)
        if key == "phone":
            return cell_text(raw)
        if key == "tags":
            names = split_tags(cell_text(raw))
            for name in names:
                if len(name) > Tag._meta.get_field("name").max_length:
                    raise CellError(_("The tag “%(tag)s” is too long: at most %(n)d characters.")
                                    % {"tag": name, "n": Tag._meta.get_field("name").max_length})
            return names
        if key == "remarks":
            return cell_text(raw)
        if key in ("branch", "district"):
            return cell_text(raw)  # resolved with the row as a whole
        text = cell_text(raw)
        if key == "name":
            text = re.sub(r"\s+", " ", text)
            if re.fullmatch(r"[\u3400-\u9fff·• ]+", text):
                text = text.replace(" ", "")  # 张 伟 → 张伟
        max_length = Member._meta.get_field(key).max_length if key in TEXT_KEYS else None
        if max_length and len(text) > max_length:
            raise CellError(_("Too long: at most %(n)d characters.") % {"n": max_length})
        return text

    def _has_error(self, plan, key):
        header = self.header.header_of(key)
        return any(e[0] == header for e in plan.errors)
