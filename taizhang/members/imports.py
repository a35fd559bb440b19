"""Importing the ledger from a spreadsheet (.xlsx or .csv): parse, plan (dry run), commit.

The columns are ``ledger_columns.COLUMNS`` (national names, the committee's own, and their aliases).
Reading files and typed values is ``taizhang.core.spreadsheets``; the member rules are
``services.validate_member_data`` — one set of rules for the form and the import.

Two phases
----------
* **Dry run** (``check``): every row is read and validated against the ledger as it is now and
  becomes *create*, *update* (with the changed fields, old → new), *unchanged* or *error* (each error
  names the row as Excel shows it, the column as headed in the file, the value and what is wrong).
  Nothing is written.
* **Commit** (``commit``): the file is planned again against the ledger as it is then (so nothing stale
  is written), then all valid rows are written in **one transaction**: any failure leaves the database
  exactly as before. Rows with errors are skipped and reported. One ``import.commit`` audit entry
  records file name, SHA-256, the actor and the counts, next to the usual per-member entries.

The file is read twice, streaming: a first pass collects the citizen ID numbers (duplicates inside the
file are errors on every row that carries them) and counts the rows for the progress bar; the second
pass plans the rows in chunks of ``CHUNK`` (a few queries per chunk, none per row).

Mapping decisions
-----------------
* A row matches an existing member by citizen ID number (the blind index ``crypto.blind_index``).
  A row matching two members, or an ID number that appears twice in the file, is an error — never a guess.
* Scope (``taizhang.core.permissions``): a new row's branch must be one the importer may EDIT
  (``can_in_branch``); a matched member must be in the importer's EDIT scope (``restrict``), and a
  branch change must go to a branch the importer may EDIT. Otherwise the row is an error. The
  ``import_members`` command without ``--as`` (dry run only) checks against the whole database.
* Empty cells never clear anything: on an existing member an empty cell keeps the current value, on a
  new row it means "not given" (是否流动党员 then defaults to 是, 民族 to 汉族). Columns the file does not
  have are left alone. To clear a value, edit the member in the ledger.
* New rows are registered (REGISTERED flow event, ``current_event`` pointer) on ``登记日期`` if given,
  else on the import date, as reported to the branch.
* ``是否失联党员=是`` on a new row registers and then records a lost_contact event on the import date
  (cause 7 其他, reason “导入时标记为失联”). On an existing member a change records lost_contact or
  contact_restored through ``services.flow_record_event`` (so the flow rules apply: e.g. a transferred
  member cannot be marked lost — that row is an error). 否 on a member who is not lost changes nothing.
* ``备注`` non-empty and different from the member's latest behaviour note adds a BehaviourNote dated
  on the import date.
* ``标签`` (separated by , ， 、 ;) creates missing tags (``services.tag_get_or_create``) and *sets* the
  member's tags to exactly those.
* ``所在党支部`` is matched by the branch's name, also without the 片区/党 parts (东部, 东部支部,
  东部片区支部, 东部片区党支部). If it is empty but ``所在区`` is given, the branch is suggested from
  the district (``organisation.selectors.suggest_branch``) — for new rows; on an existing member a
  changed district alone does not move the member. A changed branch on an existing member is
  recorded as a moved_branch flow event on the import date, not as a silent field change.
* ``所在区`` is matched with or without 区 (朝阳, 朝阳区).
* ``出生日期`` and ``性别`` are checked against the ID number (the form's messages); ``人员类别``
  正式党员 needs ``转正日期`` (from the row or, for an existing member, the ledger).
* ``登记日期`` is used for new rows only; on an existing member it is ignored (the flow history is
  changed through flow events, not by an import).
* Existing members are updated through the services (``member_update``, ``flow_record_event``,
  ``note_add``); new members are written in bulk (``bulk_create``) with the same validation,
  encryption, blind index, pinyin, REGISTERED event and ``current_event`` pointer as ``member_register``,
  and one ``member.create`` audit entry per member that also carries the registration date (instead of a
  separate ``flow.registered`` entry per member; later events such as lost_contact get their own entry).
"""

import contextlib
import dataclasses
import datetime
import functools
import hashlib
import logging
import operator
import os
import re
import socket
import types
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.audit import audit_log, audit_log_many, jsonable
from taizhang.core.chinese import pinyin_full, pinyin_initials
from taizhang.core.errors import ConcurrentEditError
from taizhang.core.exporting import neutralise
from taizhang.core.masking import mask_id_number, mask_phone
from taizhang.core.models import AuditEntry
from taizhang.core.permissions import EDIT, can_in_branch, committee_ids_for, has_scope, restrict
from taizhang.core.spreadsheets import (
    CellError,
    SpreadsheetError,
    cell_text,
    choice_lookup,
    control_character_error,
    halfwidth,
    is_blank_row,
    open_rows,
    parse_bool,
    parse_choice,
    parse_date,
    printable,
)
from taizhang.members import flow, projection, services
from taizhang.members.forms import split_tags
from taizhang.members.ledger_columns import (
    BY_KEY,
    CATEGORY_VALUES,
    COLUMNS,
    EDUCATION_VALUES,
    GENDER_VALUES,
    IGNORED_HEADERS,
    MEMBERSHIP_VALUES,
    YES_NO,
    header_lookup,
    normalise_header,
)
from taizhang.members.models import (
    BehaviourNote,
    EventKind,
    FlowEvent,
    LostContactCause,
    Member,
    Status,
    Tag,
)
from taizhang.organisation.models import Branch, Committee, District
from taizhang.organisation.selectors import suggest_branch

CHUNK = 1000
DISPLAY_CAP = 5000  # rows kept for the dry-run table; every error is kept regardless
HEADER_SEARCH_ROWS = 10  # the header may sit below a title row or two
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LOST_ON_IMPORT_REASON = "导入时标记为失联"

logger = logging.getLogger(__name__)

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


class ImportConflict(Exception):
    """The ledger changed between planning and writing; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- the file ------------------------------------------------------------------------------------------


class Source:
    """A spreadsheet to import: ``opener()`` returns a new binary file object each call."""

    def __init__(self, opener, file_name: str):
        self.opener = opener
        self.file_name = file_name

    @classmethod
    def from_path(cls, path: str, file_name: str | None = None):
        import os

        return cls(lambda: open(path, "rb"), file_name or os.path.basename(path))

    def rows(self):
        return open_rows(self.opener, self.file_name)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.opener() as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()


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


# --- context: what the importer may do, and the organisation's names ------------------------------------


def _core_branch_name(text: str) -> str:
    text = normalise_header(text)
    for part in ("党支部", "片区", "支部", "党"):
        text = text.replace(part, "")
    return text


def _core_district_name(text: str) -> str:
    text = normalise_header(text)
    return text[:-1] if len(text) > 1 and text[-1] in "区县" else text


class Context:
    """The importer (None: the operator, whole database) and the names of branches and districts."""

    def __init__(self, user=None, today: datetime.date | None = None):
        self.user = user
        self.today = today or timezone.localdate()
        if user is None:
            committee_ids = set(Committee.objects.values_list("pk", flat=True))
        else:
            if not has_scope(user, EDIT):
                raise ImportFileError(_("Your role cannot add or change members, so it cannot import them."))
            committee_ids = committee_ids_for(user, EDIT)
        self.branches = list(Branch.objects.filter(committee_id__in=committee_ids).select_related("committee"))
        self.districts = list(
            District.objects.filter(committee_id__in=committee_ids).select_related("branch", "branch__committee")
        )
        self.branch_exact = defaultdict(list)
        self.branch_core = defaultdict(list)
        for branch in self.branches:
            self.branch_exact[normalise_header(branch.name)].append(branch)
            self.branch_core[_core_branch_name(branch.name)].append(branch)
        self.district_names = defaultdict(list)
        for district in self.districts:
            self.district_names[_core_district_name(district.name)].append(district)
        self._editable = {}
        self.tags = {}  # (committee_id, name) -> Tag, filled when committing

    def can_edit(self, branch) -> bool:
        if self.user is None:
            return True
        if branch.pk not in self._editable:
            self._editable[branch.pk] = can_in_branch(self.user, branch, EDIT)
        return self._editable[branch.pk]

    def editable_branch_names(self) -> list:
        return [b.name for b in self.branches if self.can_edit(b)]

    def find_branch(self, text: str):
        found = self.branch_exact.get(normalise_header(text)) or self.branch_core.get(_core_branch_name(text)) or []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(_("More than one branch has this name; write the branch's full name."))
        names = "、".join(self.editable_branch_names() or [b.name for b in self.branches])
        raise CellError(_("There is no branch of this name. The branches are: %(names)s.") % {"names": names})

    def find_district(self, text: str, branch=None):
        found = self.district_names.get(_core_district_name(text), [])
        if branch is not None:
            found = [d for d in found if d.committee_id == branch.committee_id]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellError(_("More than one committee has a district of this name; give the branch as well."))
        raise CellError(_("This is not one of the Beijing districts known to the committee."))

    def find_members(self, hashes):
        """hash -> [members], with what planning needs, in a constant number of queries."""
        if not hashes:
            return {}, set()
        latest_note = BehaviourNote.objects.filter(member=OuterRef("pk")).order_by("-noted_on", "-id").values("text")[:1]
        members = (
            Member.objects.filter(id_number_hash__in=hashes)
            .select_related("branch", "branch__committee", "district", "current_event")
            .prefetch_related("tags")
            .annotate(latest_note=Subquery(latest_note))
        )
        by_hash = defaultdict(list)
        for member in members:
            by_hash[member.id_number_hash].append(member)
        ids = [m.pk for ms in by_hash.values() for m in ms]
        if self.user is None:
            editable = set(ids)
        else:
            editable = set(restrict(Member.objects.filter(pk__in=ids), self.user, EDIT).values_list("pk", flat=True))
        return by_hash, editable


# --- one row -------------------------------------------------------------------------------------------


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


class RowPlanner:
    def __init__(self, header: Header, ctx: Context, duplicates: dict, prepare: bool):
        self.header = header
        self.ctx = ctx
        self.duplicates = duplicates
        self.prepare = prepare

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

    def plan_rows(self, rows) -> list[RowPlan]:
        """Plan a chunk of ``(number, cells)`` rows: a few queries for the whole chunk."""
        parsed = []
        for number, cells in rows:
            plan, values = self.parse(number, cells)
            self._identify(plan, values, cells)
            parsed.append((plan, values, cells))
        by_hash, editable = self.ctx.find_members([p.id_hash for p, _v, _c in parsed if p.id_hash])
        result = []
        for plan, values, cells in parsed:
            matches = by_hash.get(plan.id_hash, []) if plan.id_hash else []
            if len(matches) > 1:
                self.error(plan, cells, "id_number", _("This citizen ID number matches more than one member in the ledger."))
            elif matches:
                member = matches[0]
                if member.pk not in editable:
                    self.error(plan, cells, "id_number", _(
                        "A member with this citizen ID number is in the ledger, outside the branches you may "
                        "change; you may not change this member."
                    ))
                else:
                    self._plan_update(plan, values, cells, member)
            else:
                self._plan_create(plan, values, cells)
            if plan.errors:
                plan.action = ERROR
            result.append(plan)
        return result

    def _identify(self, plan, values, cells):
        """The row's normalised ID number and its blind index; whether it is valid is for
        ``validate_member_data`` to say (one check, the form's messages)."""
        if "id_number" not in values:
            if not self._has_error(plan, "id_number"):
                self.error(plan, cells, "id_number", _("Enter the citizen ID number."))
            return
        number = normalise_id_text(values["id_number"])
        rows = self.duplicates.get(number)
        if rows:
            others = [str(r) for r in rows if r != plan.row]
            self.error(plan, cells, "id_number", _(
                "This citizen ID number appears more than once in the file (also in row %(rows)s); "
                "keep one row per member."
            ) % {"rows": "、".join(others)})
            return
        values["id_number"] = number
        if re.fullmatch(r"\d{17}[\dX]", number):
            plan.id_hash = crypto.blind_index(number)
            plan.id_masked = mask_id_number(number[-4:], prefix=number[:4])

    def _resolve_branch(self, plan, values, cells, member=None):
        """The row's branch (or the district's suggestion) and district, with errors on the plan."""
        branch = district = None
        if "branch" in values:
            try:
                branch = self.ctx.find_branch(values["branch"])
            except CellError as exc:
                self.error(plan, cells, "branch", exc.message)
                return None, None, False
        if "district" in values:
            try:
                district = self.ctx.find_district(values["district"], branch or (member.branch if member else None))
            except CellError as exc:
                self.error(plan, cells, "district", exc.message)
        if branch is None and member is None and district is not None:
            branch = suggest_branch(district)
        return branch, district, True

    def _validate(self, plan, cells, data):
        """``services.validate_member_data``; its errors go to the row, except on columns that already
        have one (a cell that could not be read is not also "required")."""
        try:
            return services.validate_member_data(data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                key = field if field in BY_KEY else None
                if key and self._has_error(plan, key):
                    continue
                for message in messages:
                    if key:
                        self.error(plan, cells, key, message)
                    else:
                        plan.errors.append(("", "", message))
            return None

    def _plan_create(self, plan, values, cells):
        plan.action = CREATE
        branch, district, ok = self._resolve_branch(plan, values, cells)
        if ok and branch is None and not self._has_error(plan, "district"):
            self.error(plan, cells, "branch", _("Enter the branch, or the district so that the branch can be suggested."))
        if branch is not None and not self.ctx.can_edit(branch):
            self.error(plan, cells, "branch", _("You may not add members to this branch."))
            branch = None
        registered_on = values.get("registered_on") or self.ctx.today
        if branch is not None:
            try:
                services.validate_event_date(registered_on, None, branch.committee, field="registered_on",
                                             label=_("registration date"))
            except ValidationError as exc:
                for message in exc.messages:
                    self.error(plan, cells, "registered_on", message, value=cell_text(registered_on))
        data = {
            "name": values.get("name", ""),
            "id_number": values.get("id_number", ""),
            "phone": values.get("phone", ""),
            "gender": values.get("gender"),
            "birth_date": values.get("birth_date"),
            "ethnicity": values.get("ethnicity") or "汉族",
            "education": values.get("education") or "",
            "membership_type": values.get("membership_type"),
            "join_date": values.get("join_date"),
            "full_membership_date": values.get("full_membership_date"),
            "is_mobile": True if values.get("is_mobile") is None else values["is_mobile"],
            "residence": values.get("residence", ""),
            "household_registration": values.get("household_registration", ""),
            "category": values.get("category"),
            "district": district,
            "branch": branch,
            "employer": values.get("employer", ""),
            "industry": values.get("industry", ""),
            "position": values.get("position", ""),
        }
        cleaned = self._validate(plan, cells, data)
        if cleaned is None or plan.errors:
            return
        plan.data = cleaned
        plan.committee_id = branch.committee_id
        plan.registered_on = registered_on
        plan.lost = True if values.get("lost_contact") else None
        plan.note = values.get("remarks", "")
        plan.tags = values.get("tags")
        if self.prepare:  # encrypt, hash and pinyin now, outside the write transaction; keep it compact
            plan.prepared = _member_values(cleaned)
            plan.data = None

    def _has_error(self, plan, key):
        header = self.header.header_of(key)
        return any(e[0] == header for e in plan.errors)

    def _plan_update(self, plan, values, cells, member):
        plan.action = UPDATE
        plan.member = member
        plan.name = plan.name or member.name
        branch, district, ok = self._resolve_branch(plan, values, cells, member)
        status = member.current_event.status_after if member.current_event_id else flow.NOT_REGISTERED
        if branch is not None and branch.pk != member.branch_id:
            if branch.committee_id != member.committee_id:
                self.error(plan, cells, "branch", _("The branch belongs to another committee."))
            elif not self.ctx.can_edit(branch):
                self.error(plan, cells, "branch", _("You may not move members to this branch."))
            else:
                why = flow.refusal(status, EventKind.MOVED_BRANCH)
                if why:
                    self.error(plan, cells, "branch", why)
                else:
                    plan.move_to = branch
                    plan.changes.append((self.header.header_of("branch"), member.branch.name, branch.name))
        current = {name: getattr(member, name) for name in services.PLAIN_FIELDS if name not in ("branch", "party_group", "household")}
        current.update(branch=member.branch, district=member.district, party_group=None, household=None)
        data = dict(current)
        for key in COMPARED_KEYS:
            if key in values and key not in ("phone", "district"):
                data[key] = values[key]
        if district is not None:
            data["district"] = district
        data["id_number"] = values["id_number"]
        data["phone"] = values.get("phone", "")
        for key in ("gender", "birth_date"):
            if key in values:
                data[key] = values[key]
        cleaned = self._validate(plan, cells, data)
        if cleaned is None:
            return
        changed = {}
        for key in COMPARED_KEYS:
            if key not in values and not (key == "district" and district is not None):
                continue
            header = self.header.header_of(key)
            if key == "phone":
                if cleaned["phone"] and crypto.blind_index(cleaned["phone"]) != member.phone_hash:
                    changed["phone"] = cleaned["phone"]
                    plan.changes.append((header, member.phone_masked, mask_phone(cleaned["phone"][:3], cleaned["phone"][-4:])))
                continue
            old = current[key]
            new = cleaned[key]
            if key == "district":
                if (old.pk if old else None) != (new.pk if new else None):
                    changed[key] = new
                    plan.changes.append((header, old.name if old else "", new.name if new else ""))
                continue
            if old != new:
                changed[key] = new
                plan.changes.append((header, _display(key, old), _display(key, new)))
        if "tags" in values:
            old_tags = sorted(t.name for t in member.tags.all())
            new_tags = sorted(set(values["tags"]))
            if old_tags != new_tags:
                plan.tags = new_tags
                plan.changes.append((self.header.header_of("tags"), "、".join(old_tags), "、".join(new_tags)))
        lost = values.get("lost_contact")
        if lost is True and status != Status.LOST:
            why = flow.refusal(status, EventKind.LOST_CONTACT)
            if why:
                self.error(plan, cells, "lost_contact", why)
            else:
                plan.lost = True
                plan.changes.append((self.header.header_of("lost_contact"), "否", "是"))
        elif lost is False and status == Status.LOST:
            plan.lost = False
            plan.changes.append((self.header.header_of("lost_contact"), "是", "否"))
        note = values.get("remarks", "")
        if note and note.strip() != (member.latest_note or "").strip():
            plan.note = note
            plan.changes.append((self.header.header_of("remarks"), member.latest_note or "", note))
        if plan.errors:
            return
        plan.data = changed
        if not plan.changes:
            plan.action = UNCHANGED


_MEMBER_FIELDS = []


def _member_fields() -> list:
    """(attname, default) of Member's columns other than the primary key, in insert order."""
    if not _MEMBER_FIELDS:
        _MEMBER_FIELDS.extend(
            (f.attname, f.get_default()) for f in Member._meta.concrete_fields if not f.primary_key
        )
    return _MEMBER_FIELDS


def _member_values(cleaned: dict) -> tuple:
    """A new member's column values, encrypted, hashed and with pinyin as ``member_register`` sets them."""
    values = types.SimpleNamespace(**{name: default for name, default in _member_fields()})
    values.committee_id = cleaned["branch"].committee_id
    for name in services.PLAIN_FIELDS:
        if name in cleaned:
            field = Member._meta.get_field(name)
            value = cleaned[name]
            setattr(values, field.attname, value.pk if field.is_relation and value is not None else value)
    values.name_pinyin = pinyin_full(values.name)
    values.name_initials = pinyin_initials(values.name)
    services.set_personal_numbers(values, cleaned["id_number"], cleaned["phone"])
    return tuple(getattr(values, name) for name, _default in _member_fields())


def _new_member(values: tuple) -> Member:
    return Member(**{name: value for (name, _default), value in zip(_member_fields(), values, strict=True)})


# --- the whole file ------------------------------------------------------------------------------------


class Report:
    """Counts, errors and the rows shown on the dry-run page (capped at DISPLAY_CAP)."""

    def __init__(self):
        self.rows = self.created = self.updated = self.unchanged = self.error_rows = 0
        self.errors = []
        self.display = []
        self.unknown_columns = []
        self.file_error = ""

    def add(self, plan: RowPlan):
        self.rows += 1
        if plan.action == CREATE:
            self.created += 1
        elif plan.action == UPDATE:
            self.updated += 1
        elif plan.action == UNCHANGED:
            self.unchanged += 1
        else:
            self.error_rows += 1
            for header, value, message in plan.errors:
                self.errors.append({"row": plan.row, "column": header, "value": value, "message": message})
        if len(self.display) < DISPLAY_CAP:
            self.display.append(plan.as_json())

    @property
    def valid(self) -> int:
        return self.created + self.updated

    def counts(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "errors": self.error_rows}

    def as_json(self) -> dict:
        return self.counts() | {
            "error_list": self.errors,
            "display": self.display,
            "display_capped": self.rows > len(self.display),
            "unknown_columns": self.unknown_columns,
            "file_error": self.file_error,
        }


def _scan(source: Source, header_row: int, id_index: int | None):
    """First pass: data-row count and the ID numbers that appear on more than one row."""
    seen = defaultdict(list)
    total = 0
    for number, cells in source.rows():
        if number <= header_row or is_blank_row(cells):
            continue
        total += 1
        if id_index is not None and id_index < len(cells):
            text = normalise_id_text(cells[id_index])
            if text:
                seen[text].append(number)
    return total, {number: rows for number, rows in seen.items() if len(rows) > 1}


def plan_file(source: Source, ctx: Context, *, prepare: bool = False, progress=None):
    """Yield ``(header, total)`` first, then every row's RowPlan. Raises ImportFileError for the file."""
    try:
        rows = source.rows()
        header = read_header(rows)
        total, duplicates = _scan(source, header.row, header.columns.get("id_number"))
    except SpreadsheetError as exc:
        raise ImportFileError(exc.message) from exc
    yield header, total
    planner = RowPlanner(header, ctx, duplicates, prepare)
    chunk, done = [], 0
    try:
        for number, cells in rows:
            if is_blank_row(cells):
                continue
            chunk.append((number, cells))
            if len(chunk) >= CHUNK:
                yield from planner.plan_rows(chunk)
                done += len(chunk)
                chunk = []
                if progress:
                    progress(done, total)
        if chunk:
            yield from planner.plan_rows(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    except SpreadsheetError as exc:
        raise ImportFileError(exc.message) from exc


def check(source: Source, *, user=None, progress=None) -> Report:
    """The dry run: what would happen to every row. Writes nothing."""
    report = Report()
    try:
        ctx = Context(user)
        plans = plan_file(source, ctx, progress=progress)
        header, _total = next(plans)
        report.unknown_columns = header.unknown
        for plan in plans:
            report.add(plan)
    except ImportFileError as exc:
        report.file_error = exc.message
    return report


def commit(source: Source, *, user, sha256: str = "", run=None, progress=None) -> Report:
    """Plan the file again and write every valid row in one transaction (rows with errors are skipped).

    Raises ImportConflict (nothing written) when the ledger changed under the import.
    """
    if user is None:
        raise PermissionDenied(_("An import that writes needs a user to act as."))
    report = Report()
    try:
        ctx = Context(user)
        plans = plan_file(source, ctx, prepare=True, progress=progress)
        header, _total = next(plans)
        report.unknown_columns = header.unknown
        creates, updates = [], []
        for plan in plans:
            report.add(plan)
            if plan.action == CREATE:
                creates.append(plan)
            elif plan.action == UPDATE:
                updates.append(plan)
    except ImportFileError as exc:
        report.file_error = exc.message
        return report
    sha256 = sha256 or source.sha256()
    with transaction.atomic():
        if run is not None:
            _claimed_for_writing(run)
        _write_creates(creates, user, ctx)
        for plan in updates:
            _write_update(plan, user, ctx)
        audit_log(
            actor=user,
            action="import.commit",
            obj=run,
            object_type="" if run else "members.import",
            object_repr="" if run else source.file_name,
            new={"file_name": source.file_name, "sha256": sha256} | report.counts(),
        )
        if run is not None:  # committed in the same transaction as the rows: never one without the other
            from taizhang.members.models import ImportStatus

            _store(run, report, status=ImportStatus.COMMITTED, message="", committed_at=timezone.now())
    return report


# --- writing -------------------------------------------------------------------------------------------


def _audit_entry(actor, action, obj, old=None, new=None, repr=None) -> AuditEntry:
    """An unsaved audit entry exactly as ``audit_log`` writes it (for bulk_create)."""
    return AuditEntry(
        actor=actor,
        actor_username=actor.get_username()[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(str(obj) if repr is None else repr)[:200],
        old_values=jsonable(old or {}),
        new_values=jsonable(new or {}),
        success=True,
    )


def _tags_for(plans, actor, ctx) -> dict:
    wanted = {(p.committee_id if p.action == CREATE else p.member.committee_id, name)
              for p in plans if p.tags for name in p.tags}
    missing = wanted - set(ctx.tags)
    if missing:
        for tag in Tag.objects.filter(committee_id__in={c for c, _n in missing}, name__in={n for _c, n in missing}):
            ctx.tags[(tag.committee_id, tag.name)] = tag
    for committee_id, name in sorted(wanted - set(ctx.tags)):
        committee = next(b.committee for b in ctx.branches if b.committee_id == committee_id)
        ctx.tags[(committee_id, name)] = services.tag_get_or_create(actor=actor, committee=committee, name=name)
    return ctx.tags


_KIND_LABELS = {}


def _event_audit(actor, event, status_before):
    # str(event) as FlowEvent.__str__ gives it, with the label looked up once per kind (get_kind_display is slow)
    label = _KIND_LABELS.setdefault(event.kind, str(EventKind(event.kind).label))
    return _audit_entry(actor, f"flow.{event.kind}", event, repr=f"{event.member} {label} {event.effective_date}",
                        old={"status": status_before}, new={
        "status": event.status_after,
        "effective_date": event.effective_date,
        "reason": event.reason,
        "details": event.details,
        "lost_contact_cause": event.lost_contact_cause,
        "branch": event.branch_after_id,
        "corrects": None,
    })


_CONVERTED_TYPES = {"DateField", "DateTimeField", "TimeField", "JSONField", "DecimalField", "UUIDField",
                    "GenericIPAddressField", "DurationField", "BinaryField"}


def _column_value(field):
    """How ``_insert_rows`` gets a column's value: through the field for types the database adapts
    (dates, JSON, …) and for auto_now fields, straight from the attribute for strings, numbers, booleans
    and foreign keys (what get_db_prep_save would return unchanged)."""
    if field.get_internal_type() in _CONVERTED_TYPES or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    return operator.attrgetter(field.attname)


def _insert_rows(model, objs) -> None:
    """INSERT ``objs`` with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) — the bulk import's fast
    path (``bulk_create`` spends most of its time compiling SQL: SQLite allows only ~24 members per statement). The values go through each
    field's ``pre_save``/``get_db_prep_save`` exactly as in ``bulk_create``; no primary keys come back."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields), ", ".join(["%s"] * len(fields))
    )
    getters = [_column_value(f) for f in fields]
    rows = [tuple(get(obj) for get in getters) for obj in objs]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: one stream instead of a statement per row
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, rows)


def _set_current_events(events) -> None:
    """Point each new member's ``current_event`` at its newest event (``events`` are in recording order)."""
    latest = {}
    for event in events:
        latest[event.member_id] = event.pk
    if not latest:
        return
    table = connection.ops.quote_name(Member._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(["(%s::bigint, %s::bigint)"] * len(latest))
            cursor.execute(
                f"UPDATE {table} AS m SET current_event_id = v.event_id FROM (VALUES {values}) AS v(member_id, event_id) "
                "WHERE m.id = v.member_id",
                [value for pair in latest.items() for value in pair],
            )
        else:
            cursor.executemany(f"UPDATE {table} SET current_event_id = %s WHERE id = %s",
                               [(event_id, member_id) for member_id, event_id in latest.items()])


def _write_creates(plans, actor, ctx, batch_size: int = 1000):
    """Register new members in bulk: the same rows as ``member_register`` one by one (see the module doc)."""
    tags = _tags_for(plans, actor, ctx)
    today = ctx.today
    for start in range(0, len(plans), batch_size):
        batch = plans[start:start + batch_size]
        members = []
        for plan in batch:
            member = _new_member(plan.prepared if plan.prepared is not None else _member_values(plan.data))
            member.last_contact_date = plan.registered_on  # registration is contact (flow.CONTACT_KINDS)
            members.append(member)
        try:
            with transaction.atomic():
                _insert_rows(Member, members)
        except IntegrityError as exc:
            raise ImportConflict(_(
                "The ledger changed while the file was being imported (a member with one of these citizen ID "
                "numbers was added meanwhile). Nothing was imported; check the file again."
            )) from exc
        pks = dict(Member.objects.filter(id_number_hash__in=[m.id_number_hash for m in members])
                   .values_list("id_number_hash", "pk"))
        for member in members:
            member.pk = pks[member.id_number_hash]
            member._state.adding = False
        through = Member.tags.through
        links, events, notes, audits = [], [], [], []
        for plan, member in zip(batch, members, strict=True):
            for name in plan.tags or []:
                links.append(through(member_id=member.pk, tag_id=tags[(member.committee_id, name)].pk))
            events.append(FlowEvent(
                member=member, kind=EventKind.REGISTERED, effective_date=plan.registered_on, recorded_by=actor,
                details={"reported": True}, status_after=Status.ACTIVE, branch_after_id=member.branch_id,
            ))
            if plan.lost:
                events.append(FlowEvent(
                    member=member, kind=EventKind.LOST_CONTACT, effective_date=today, recorded_by=actor,
                    reason=LOST_ON_IMPORT_REASON, lost_contact_cause=LostContactCause.OTHER,
                    status_after=Status.LOST, branch_after_id=member.branch_id,
                ))
            if plan.note:
                notes.append(BehaviourNote(member=member, noted_on=today, text=plan.note.strip(), author=actor))
        through.objects.bulk_create(links)
        _insert_rows(FlowEvent, events)
        event_pks = {(member_id, kind): pk for pk, member_id, kind in FlowEvent.objects.filter(
            member_id__in=[m.pk for m in members]).values_list("pk", "member_id", "kind")}
        for event in events:
            event.pk = event_pks[(event.member_id, event.kind)]
        # The new members' roster spells, from the same events, in the same transaction (projection).
        projection.insert_spells(projection.spells_from_events(
            [projection.EventRow(e.member_id, e.pk, e.kind, e.effective_date, e.status_after, e.branch_after_id, None)
             for e in events],
            {m.pk: m.committee_id for m in members},
        ))
        BehaviourNote.objects.bulk_create(notes)
        _set_current_events(events)
        # One member.create entry per member, with the registration in it (member_register writes it as a
        # separate flow.registered entry; the event itself is in the append-only flow history either way).
        for plan, member in zip(batch, members, strict=True):
            audits.append(_audit_entry(actor, "member.create", member, new=services.member_snapshot(member) | {
                "tags": sorted(plan.tags or []), "registered_on": plan.registered_on, "source": "import"}))
        for event in events:
            if event.kind != EventKind.REGISTERED:
                audits.append(_event_audit(actor, event, Status.ACTIVE))
        for note in notes:
            audits.append(_audit_entry(actor, "member.note_add", note.member, new={"noted_on": note.noted_on, "text": note.text}))
        audit_log_many(audits, insert=functools.partial(_insert_rows, AuditEntry))  # hash-chained


def _write_update(plan, actor, ctx):
    """Change one existing member through the services (they lock, re-check scope and audit)."""
    today = ctx.today
    member = Member.objects.select_related("branch", "district", "party_group", "household").get(pk=plan.member.pk)
    try:
        if plan.data or plan.tags is not None:
            data = {name: getattr(member, name) for name in services.PLAIN_FIELDS}
            data.update(plan.data)
            data["id_number"] = member.id_number
            data["phone"] = plan.data.get("phone") or member.phone
            if plan.tags is not None:
                data["tags"] = [_tags_for([plan], actor, ctx)[(member.committee_id, n)] for n in plan.tags]
            member = services.member_update(actor=actor, member=member, expected_version=plan.member.version, data=data)
        if plan.move_to is not None:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.MOVED_BRANCH, effective_date=today,
                                       to_branch=plan.move_to)
        if plan.lost is True:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.LOST_CONTACT, effective_date=today,
                                       lost_contact_cause=LostContactCause.OTHER, reason=LOST_ON_IMPORT_REASON)
        elif plan.lost is False:
            services.flow_record_event(actor=actor, member=member, kind=EventKind.CONTACT_RESTORED, effective_date=today)
        if plan.note:
            services.note_add(actor=actor, member=member, noted_on=today, text=plan.note)
    except ConcurrentEditError as exc:
        raise ImportConflict(_(
            "Row %(row)d: someone changed this member while the file was being imported. Nothing was imported; "
            "check the file again."
        ) % {"row": plan.row}) from exc
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise ImportConflict(_("Row %(row)d: %(message)s Nothing was imported; check the file again.")
                             % {"row": plan.row, "message": "；".join(messages)}) from exc


# --- import runs (the pages' background tasks) ------------------------------------------------------------
#
# A run is worked on by one worker at a time: the worker claims it with a conditional UPDATE and records
# ``worker`` (host:pid); progress refreshes ``heartbeat_at``. A worker killed mid-way leaves the run
# "checking" or "committing": ``import_runs_recover`` (at every worker start, and from the run's pages)
# marks it interrupted when its process is gone (same host) or it has not reported for
# ``IMPORT_STALE_MINUTES`` — but never while a commit transaction still holds the run's row (PostgreSQL:
# SELECT … FOR UPDATE SKIP LOCKED; SQLite: the database's write lock). The commit re-checks its claim
# inside its transaction and sets "committed" there, so a run is either committed with its rows or
# interrupted with none of them.


class ImportInterrupted(Exception):
    """The run was marked interrupted (or retried) while this worker worked on it; nothing was written."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:150]


def run_source(run) -> Source:
    storage, name = run.file.storage, run.file.name
    return Source(lambda: storage.open(name, "rb"), run.file_name)


def _progress(run):
    from taizhang.members.models import ImportRun

    def report(done, total):
        ImportRun.objects.filter(pk=run.pk).update(processed=done, total=total, heartbeat_at=timezone.now())

    return report


def _store(run, report: Report, **fields):
    from taizhang.members.models import ImportRun

    ImportRun.objects.filter(pk=run.pk).update(results=report.as_json(), **report.counts(), **fields)


def _claim(run, queued, working) -> bool:
    from taizhang.members.models import ImportRun

    run.worker = worker_id()
    return bool(ImportRun.objects.filter(pk=run.pk, status=queued).update(
        status=working, processed=0, worker=run.worker, heartbeat_at=timezone.now()))


def _fail(run, message: str) -> None:
    from taizhang.members.models import ImportRun, ImportStatus

    if ImportRun.objects.filter(pk=run.pk, worker=run.worker).update(status=ImportStatus.FAILED, message=message):
        import_file_delete(actor=run.created_by, run=run, reason="failed")


def run_check(run_id: int) -> None:
    """The dry run of a stored ImportRun (``tasks.check_import``). Never raises for bad input."""
    from taizhang.members.models import ImportRun, ImportStatus

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not _claim(run, ImportStatus.CHECK_QUEUED, ImportStatus.CHECKING):
        return  # discarded, or taken by another worker
    try:
        report = check(run_source(run), user=run.created_by, progress=_progress(run))
    except Exception:  # noqa: BLE001 — a stack trace is never the answer to a spreadsheet
        logger.exception("import check %s failed", run_id)
        _fail(run, _("Checking the file failed unexpectedly. Nothing was imported."))
        return
    if report.file_error:
        _store(run, report)
        _fail(run, report.file_error)
        return
    ImportRun.objects.filter(pk=run.pk, worker=run.worker, status__in=[ImportStatus.CHECKING, ImportStatus.INTERRUPTED]
                             ).update(results=report.as_json(), **report.counts(), status=ImportStatus.CHECKED,
                                      message="", checked_at=timezone.now())


def run_commit(run_id: int) -> None:
    """Write a checked ImportRun (``tasks.commit_import``): all valid rows in one transaction, or nothing."""
    from taizhang.members.models import ImportRun, ImportStatus

    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not _claim(run, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING):
        return
    try:
        report = commit(run_source(run), user=run.created_by, sha256=run.sha256, run=run, progress=_progress(run))
    except ImportInterrupted:
        return
    except ImportConflict as exc:
        _fail(run, exc.message)
        return
    except Exception:  # noqa: BLE001
        logger.exception("import commit %s failed", run_id)
        _fail(run, _("The import failed unexpectedly. Nothing was imported."))
        return
    if report.file_error:
        _fail(run, report.file_error)
        return
    import_file_delete(actor=run.created_by, run=run, reason="committed")


def _claimed_for_writing(run) -> None:
    """Inside the commit transaction: lock the run's row and make sure this worker still owns it."""
    from taizhang.members.models import ImportRun, ImportStatus

    if not ImportRun.objects.select_for_update().filter(pk=run.pk, status=ImportStatus.COMMITTING,
                                                        worker=run.worker).exists():
        raise ImportInterrupted


def _process_gone(worker: str) -> bool:
    """True when ``worker`` (host:pid) ran on this host and that process no longer exists."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. another user's process: it exists
        return False
    return False


def import_runs_recover(*, runs=None) -> int:
    """Mark interrupted every check or commit whose worker is gone; returns how many were marked.

    Called when a worker starts (``manage.py db_worker``) and whenever a running run's page is shown.
    """
    from taizhang.members.models import ImportRun, ImportStatus

    working = ImportRun.objects.filter(status__in=[ImportStatus.CHECKING, ImportStatus.COMMITTING])
    if runs is not None:
        working = working.filter(pk__in=[r.pk for r in runs])
    stale_before = timezone.now() - datetime.timedelta(minutes=settings.IMPORT_STALE_MINUTES)
    marked = 0
    for run in working.only("pk", "status", "worker", "heartbeat_at", "file_name", "created_at"):
        if _process_gone(run.worker) or run.heartbeat_at is None or run.heartbeat_at < stale_before:
            marked += _mark_interrupted(run)
    return marked


def _mark_interrupted(run) -> bool:
    from taizhang.members.models import ImportRun, ImportStatus

    try:
        with _short_lock_wait(), transaction.atomic():
            # A commit in its write transaction holds the row (PostgreSQL) or the database (SQLite): alive.
            locked = (ImportRun.objects.select_for_update(skip_locked=True)
                      .filter(pk=run.pk, status=run.status, worker=run.worker).first())
            if locked is None:
                return False
            ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.INTERRUPTED, message=_(
                "The background worker stopped while working on this file. Nothing was imported; retry it."))
            audit_log(actor=None, username="system", action="import.interrupted", obj=locked,
                      old={"status": run.status, "worker": run.worker},
                      new={"status": ImportStatus.INTERRUPTED, "heartbeat_at": run.heartbeat_at})
    except OperationalError:  # SQLite: "database is locked" by a commit that is still writing
        return False
    return True


@contextlib.contextmanager
def _short_lock_wait():
    """On SQLite, wait at most a moment for the write lock (a busy database means a live commit)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 200")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def import_run_retry(*, actor, run) -> None:
    """Queue an interrupted run again where it stopped: its commit if it had been checked, else its check."""
    from taizhang.members import tasks
    from taizhang.members.models import ImportRun, ImportStatus

    if not run.file:
        raise ValidationError(_("The uploaded file has been deleted; upload it again."))
    queued = ImportStatus.COMMIT_QUEUED if run.checked_at else ImportStatus.CHECK_QUEUED
    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status=ImportStatus.INTERRUPTED).update(
                status=queued, processed=0, message="", worker="", heartbeat_at=None):
            raise ValidationError(_("This import is not interrupted, so there is nothing to retry."))
        audit_log(actor=actor, action="import.retry", obj=run, old={"status": ImportStatus.INTERRUPTED},
                  new={"status": queued})
    (tasks.commit_import if queued == ImportStatus.COMMIT_QUEUED else tasks.check_import).enqueue(run.pk)


DISCARDABLE = ("checked", "interrupted", "failed")


def import_run_discard(*, actor, run, reason: str = "discarded", username: str = "") -> bool:
    """Give up a run that was not imported: its file (full ID numbers) is deleted. False if it cannot be."""
    from taizhang.members.models import ImportRun, ImportStatus

    with transaction.atomic():
        if not ImportRun.objects.filter(pk=run.pk, status__in=DISCARDABLE).update(status=ImportStatus.DISCARDED):
            return False
        audit_log(actor=actor, username=username, action="import.discard", obj=run, old={"status": run.status},
                  new={"status": ImportStatus.DISCARDED, "reason": reason})
    import_file_delete(actor=actor, username=username, run=run, reason=reason)
    return True


def import_runs_supersede(*, actor, keep) -> int:
    """A new upload replaces the user's earlier checks that were not imported (their files are deleted)."""
    from taizhang.members.models import ImportRun

    earlier = ImportRun.objects.filter(created_by=actor, status__in=DISCARDABLE).exclude(pk=keep.pk)
    return sum(import_run_discard(actor=actor, run=run, reason="superseded") for run in earlier)


def import_file_delete(*, actor, run, reason: str, username: str = "") -> None:
    """Delete a run's uploaded file from storage and record it (the run and its results stay)."""
    from taizhang.members.models import ImportRun

    name = ImportRun.objects.filter(pk=run.pk).values_list("file", flat=True).first()
    if not name:
        return
    run.file.storage.delete(name)
    with transaction.atomic():
        ImportRun.objects.filter(pk=run.pk).update(file="", file_deleted_at=timezone.now())
        audit_log(actor=actor, username=username, action="import.file_delete", obj=run,
                  new={"reason": reason, "file_name": run.file_name, "sha256": run.sha256})


def import_files_purge(*, older_than: datetime.datetime, dry_run: bool = False, username: str = "") -> list:
    """Delete every uploaded import file older than ``older_than``: those of ledger runs (whatever became
    of them) and any other file left under the import folders (points imports never committed, uploads
    whose run was never saved). Runs still being worked on keep their file. Returns the deleted names."""
    from django.core.files.storage import default_storage

    from taizhang.members.models import ImportRun

    import_runs_recover()
    deleted = []
    for run in ImportRun.objects.filter(created_at__lt=older_than).exclude(file="").only(
            "pk", "file", "file_name", "sha256", "status", "created_at"):
        if run.running:
            continue
        deleted.append(run.file.name)
        if dry_run:
            continue
        if run.status in DISCARDABLE:  # a check nobody imported (or retried) can no longer be: discard it
            import_run_discard(actor=None, username=username, run=run, reason="retention")
        else:
            import_file_delete(actor=None, username=username, run=run, reason="retention")
    kept = set(ImportRun.objects.exclude(file="").values_list("file", flat=True))
    for folder in IMPORT_FOLDERS:
        for name in _storage_files(default_storage, folder):
            if name in kept or default_storage.get_modified_time(name) >= older_than:
                continue
            deleted.append(name)
            if not dry_run:
                default_storage.delete(name)
    if not dry_run and deleted:
        audit_log(actor=None, username=username, action="import.files_purge", object_type="members.importrun",
                  new={"files": len(deleted), "older_than": older_than})
    return deleted


IMPORT_FOLDERS = ("imports", "points/imports")  # where uploaded spreadsheets are kept until imported


def _storage_files(storage, folder):
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _storage_files(storage, f"{folder}/{sub}")


# --- files the user downloads ----------------------------------------------------------------------------


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
