"""Planning, the dry run: every row read, validated against the ledger as it is now and planned as
create, update, unchanged or error; the file read twice, streaming (duplicates and the row count first,
then the rows in chunks of ``CHUNK`` with a few queries per chunk, none per row)."""

import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.imports import Source
from taizhang.core.masking import mask_id_number, mask_phone
from taizhang.core.spreadsheets import CellError, SpreadsheetError, cell_text, is_blank_row
from taizhang.members import flow, services
from taizhang.members.imports.columns import (
    COMPARED_KEYS,
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    Header,
    ImportFileError,
    _display,
    normalise_id_text,
    read_header,
)
from taizhang.members.imports.context import Context
from taizhang.members.imports.parsing import RowParser, RowPlan
from taizhang.members.ledger_columns import BY_KEY
from taizhang.members.models import EventKind, Status
from taizhang.organisation.selectors import suggest_branch

CHUNK = 1000
DISPLAY_CAP = 5000  # rows kept for the dry-run table; every error is kept regardless


class RowPlanner(RowParser):
    """Each row becomes create, update, unchanged or error against the ledger as it is now."""

    def __init__(self, header: Header, ctx: Context, duplicates: dict, prepare: bool):
        super().__init__(header)
        self.ctx = ctx
        self.duplicates = duplicates
        self.prepare = prepare

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
        data = _new_member_data(values, branch, district)
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
            plan.prepared = services.registration_from_cleaned(cleaned, registered_on=registered_on)
            plan.data = None

    def _plan_update(self, plan, values, cells, member):
        plan.action = UPDATE
        plan.member = member
        plan.name = plan.name or member.name
        branch, district, _ok = self._resolve_branch(plan, values, cells, member)
        status = member.current_event.status_after if member.current_event_id else flow.NOT_REGISTERED
        self._plan_move(plan, cells, member, branch, status)
        current = {name: getattr(member, name) for name in services.PLAIN_FIELDS
                   if name not in ("branch", "party_group", "household")}
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
        changed = self._compare(plan, values, member, current, cleaned, district)
        self._plan_tags(plan, values, member)
        self._plan_contact_and_note(plan, values, cells, member, status)
        if plan.errors:
            return
        plan.data = changed
        if not plan.changes:
            plan.action = UNCHANGED

    def _plan_move(self, plan, cells, member, branch, status):
        """A changed branch is a moved_branch flow event (if the flow rules and the importer's scope allow it)."""
        if branch is None or branch.pk == member.branch_id:
            return
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

    def _compare(self, plan, values, member, current, cleaned, district) -> dict:
        """The fields the row changes (for ``member_update``), each also listed as header, old → new."""
        changed = {}
        for key in COMPARED_KEYS:
            if key not in values and not (key == "district" and district is not None):
                continue
            header = self.header.header_of(key)
            if key == "phone":
                if cleaned["phone"] and crypto.blind_index(cleaned["phone"]) != member.phone_hash:
                    changed["phone"] = cleaned["phone"]
                    plan.changes.append((header, member.phone_masked,
                                         mask_phone(cleaned["phone"][:3], cleaned["phone"][-4:])))
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
        return changed

    def _plan_tags(self, plan, values, member):
        if "tags" in values:
            old_tags = sorted(t.name for t in member.tags.all())
            new_tags = sorted(set(values["tags"]))
            if old_tags != new_tags:
                plan.tags = new_tags
                plan.changes.append((self.header.header_of("tags"), "、".join(old_tags), "、".join(new_tags)))

    def _plan_contact_and_note(self, plan, values, cells, member, status):
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


def _new_member_data(values: dict, branch, district) -> dict:
    """A new row's member data for ``validate_member_data``: what is not given gets the form's defaults."""
    return {
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
    for number, cells in source.data_rows():
        if number <= header_row:
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
