"""Importing external platform scores (学习强国, 灯塔-党建在线) as period snapshots — two phases.

The file is read through the reader every import shares (``core.imports.Source``): the same upload
size, row, column, unpacked-size and text-encoding limits as the ledger import. ``check`` reads every row and says for each whether it would be imported or why not (row, column and a
Chinese reason); ``commit`` checks again and writes all valid rows in one transaction as a new
``ExternalScoreImport``. Earlier snapshots are never changed: a later import of the same platform,
member and period is stored beside them and reads use the newest.

Columns (the header row is the first non-empty row): 姓名, 身份证号 or 手机号 (one is needed to find the
member: the citizen ID number by its blind index, the phone by its own), 平台, 周期 (``2026`` for a
year, ``2026-10`` / ``2026年10月`` for a month), 得分.
"""

import calendar
import datetime
import decimal
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from taizhang.core import crypto
from taizhang.core.audit import audit_log
from taizhang.core.chinese import normalise_phone
from taizhang.core.imports import Source
from taizhang.core.permissions import EDIT, has_capability, restrict
from taizhang.core.spreadsheets import SpreadsheetError, cell_text, control_character_error, halfwidth, printable
from taizhang.members.imports import normalise_id_text
from taizhang.members.models import Member
from taizhang.points.models import ExternalScore, ExternalScoreImport, Platform

COLUMNS = {
    "name": ("姓名", "名字"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "phone": ("手机号", "手机号码", "手机", "电话"),
    "platform": ("平台",),
    "period": ("周期", "期间", "月份", "年度"),
    "score": ("得分", "分数", "积分"),
}
HEADERS = {"name": "姓名", "id_number": "身份证号", "phone": "手机号", "platform": "平台", "period": "周期",
           "score": "得分"}
PLATFORMS = {
    "学习强国": Platform.XUEXI, "XUEXI": Platform.XUEXI, "强国": Platform.XUEXI,
    "灯塔-党建在线": Platform.DENGTA, "灯塔党建在线": Platform.DENGTA, "灯塔": Platform.DENGTA,
    "DENGTA": Platform.DENGTA,
}


@dataclass
class Row:
    number: int
    name: str = ""
    member: Member | None = None
    platform: str = ""
    period: str = ""
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    score: decimal.Decimal | None = None
    errors: list = field(default_factory=list)  # [(column header, message)]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def platform_label(self) -> str:
        return Platform(self.platform).label if self.platform else ""


@dataclass
class Report:
    file_name: str
    sha256: str = ""
    rows: list = field(default_factory=list)
    file_error: str = ""
    score_import: ExternalScoreImport | None = None

    @property
    def ok_count(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


def parse_period(value) -> tuple[str, datetime.date, datetime.date]:
    """``2026`` → the year; ``2026-10``, ``2026/10``, ``2026.10``, ``2026年10月`` or a date → that month."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        year, month = value.year, value.month
    else:
        text = halfwidth(cell_text(value)).replace(" ", "")
        if re.fullmatch(r"\d{4}年?(度)?", text):
            year = int(text[:4])
            if not 2000 <= year <= 2100:
                raise ValueError
            return str(year), datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        match = re.fullmatch(r"(\d{4})(?:[-/.]|年)(\d{1,2})月?(?:[-/.]\d{1,2}日?)?", text)
        if not match:
            raise ValueError
        year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValueError
    last = calendar.monthrange(year, month)[1]
    return f"{year}-{month:02d}", datetime.date(year, month, 1), datetime.date(year, month, last)


def _header_map(cells) -> dict:
    lookup = {re.sub(r"\s+", "", a): key for key, aliases in COLUMNS.items() for a in aliases}
    found = {}
    for index, cell in enumerate(cells):
        key = lookup.get(re.sub(r"[\s*＊]", "", cell_text(cell)))
        if key and key not in found:
            found[key] = index
    return found


def check(*, actor, committee, opener, file_name: str) -> Report:
    """Read the file and judge every row (nothing is written)."""
    if not has_capability(actor, "points.manage", committee):
        raise PermissionDenied(_("Your role cannot import external platform scores."))
    source = Source(opener, file_name)
    report = Report(file_name=file_name, sha256=source.sha256())
    header, raw = _read(report, source)
    if report.file_error:
        return report
    members = _Members(actor, committee, header, raw)
    seen: dict[tuple, int] = {}
    for number, cells in raw:
        report.rows.append(_judge(number, cells, header, members, seen))
    return report


def _read(report: Report, source: Source) -> tuple[dict, list]:
    """The header map and the data rows, read through the shared reader and its limits
    (``core.imports.Source``); a problem with the whole file goes to ``report.file_error``."""
    header, raw = None, []
    try:
        for number, cells in source.data_rows():
            if header is None:
                header = _header_map(cells)
            else:
                raw.append((number, cells))
    except SpreadsheetError as exc:
        report.file_error = exc.message
        return {}, []
    if header is None:
        report.file_error = _("The file is empty.")
        return {}, []
    missing = [HEADERS[k] for k in ("name", "platform", "period", "score") if k not in header]
    if "id_number" not in header and "phone" not in header:
        missing.append(_("%(a)s or %(b)s") % {"a": HEADERS["id_number"], "b": HEADERS["phone"]})
    if missing:
        report.file_error = _("The header row lacks the columns: %(columns)s. Download the template to see them.") % {
            "columns": "、".join(missing)}
    elif not raw:
        report.file_error = _("The file has a header row but no data rows.")
    return header, raw


def _value(header: dict, cells, key):
    index = header.get(key)
    return cells[index] if index is not None and index < len(cells) else None


class _Members:
    """The members the rows name, by ID number or phone: three queries for the whole file."""

    def __init__(self, actor, committee, header, raw):
        self.id_hashes, self.phone_hashes = {}, {}
        for number, cells in raw:
            id_value = _value(header, cells, "id_number")
            id_text = normalise_id_text(id_value) if id_value not in (None, "") else ""
            if id_text:
                self.id_hashes[number] = crypto.blind_index(id_text)
                continue
            try:
                phone = normalise_phone(cell_text(_value(header, cells, "phone")))
            except Exception:  # noqa: BLE001 - an unreadable phone is a row error below
                phone = ""
            if phone:
                self.phone_hashes[number] = crypto.blind_index(phone)
        self.by_id = {m.id_number_hash: m for m in Member.objects.filter(id_number_hash__in=set(self.id_hashes.values()))}
        self.by_phone: dict[str, list] = {}
        for m in Member.objects.filter(phone_hash__in=set(self.phone_hashes.values())):
            self.by_phone.setdefault(m.phone_hash, []).append(m)
        # which of the members found the actor may edit: only those (the file's), not the committee's ids
        found = {m.pk for m in self.by_id.values()} | {m.pk for ms in self.by_phone.values() for m in ms}
        self.in_scope = set(restrict(Member.objects.filter(committee=committee, pk__in=found), actor, EDIT)
                            .values_list("pk", flat=True))

    def find(self, row: "Row"):
        """The row's member, or None with the reason on the row."""
        number = row.number
        if number in self.id_hashes:
            member = self.by_id.get(self.id_hashes[number])
            if member is None:
                row.errors.append((HEADERS["id_number"], _("No member with this citizen ID number.")))
            return member
        if number in self.phone_hashes:
            found = self.by_phone.get(self.phone_hashes[number], [])
            if len(found) > 1:
                row.errors.append((HEADERS["phone"], _("Several members have this phone number; use the citizen "
                                                       "ID number.")))
            elif not found:
                row.errors.append((HEADERS["phone"], _("No member with this phone number.")))
            return found[0] if len(found) == 1 else None
        row.errors.append((HEADERS["id_number"], _("Enter the citizen ID number or the phone number.")))
        return None


def _judge(number, cells, header, members: _Members, seen: dict) -> "Row":
    """One row judged: its member, platform, period and score, or the reasons it cannot be imported."""
    row = Row(number=number, name=printable(cell_text(_value(header, cells, "name"))))
    unreadable = [(HEADERS[key], reason) for key in COLUMNS
                  if (reason := control_character_error(_value(header, cells, key)))]
    if unreadable:  # a control character: nothing else in the row is judged
        row.errors.extend(unreadable)
        return row
    if not row.name:
        row.errors.append((HEADERS["name"], _("Enter the member's name.")))
    member = members.find(row)
    if member is not None:
        if member.pk not in members.in_scope:
            row.errors.append((HEADERS["id_number"] if number in members.id_hashes else HEADERS["phone"],
                               _("This member is not in your part of the ledger.")))
        elif row.name and row.name != member.name:
            row.errors.append((HEADERS["name"], _("The name does not match the member found (%(name)s).")
                               % {"name": member.name}))
        else:
            row.member = member
    _judge_values(row, header, cells)
    if row.member and row.platform and row.period:
        key = (row.member.pk, row.platform, row.period)
        if key in seen:
            row.errors.append((HEADERS["period"], _("This member's score for this platform and period is "
                                                    "already in row %(row)d.") % {"row": seen[key]}))
        else:
            seen[key] = number
    return row


def _judge_values(row: "Row", header: dict, cells) -> None:
    platform_text = re.sub(r"\s+", "", halfwidth(cell_text(_value(header, cells, "platform")))).upper()
    row.platform = PLATFORMS.get(platform_text, "")
    if not row.platform:
        row.errors.append((HEADERS["platform"], _("Write 学习强国 or 灯塔-党建在线.")))
    try:
        row.period, row.period_start, row.period_end = parse_period(_value(header, cells, "period"))
    except ValueError:
        row.errors.append((HEADERS["period"], _("Write the period as 2026 (a year) or 2026-10 (a month).")))
    score_text = halfwidth(cell_text(_value(header, cells, "score")))
    try:
        score = decimal.Decimal(score_text)
        if not score.is_finite() or score < 0 or score >= 10**7 or score != score.quantize(decimal.Decimal("0.01")):
            raise decimal.InvalidOperation
        row.score = score.quantize(decimal.Decimal("0.01"))
    except decimal.InvalidOperation:
        row.errors.append((HEADERS["score"], _("The score must be a number of at least 0 with at most two "
                                               "decimals.")))


@transaction.atomic
def commit(*, actor, committee, opener, file_name: str) -> Report:
    """Check again and write every valid row in one transaction (nothing when no row is valid)."""
    report = check(actor=actor, committee=committee, opener=opener, file_name=file_name)
    if report.file_error or not report.ok_count:
        return report
    score_import = ExternalScoreImport.objects.create(
        committee=committee, file_name=file_name[:200], sha256=report.sha256, imported_by=actor,
        row_count=report.ok_count, error_count=report.error_count,
    )
    ExternalScore.objects.bulk_create([
        ExternalScore(score_import=score_import, member=r.member, platform=r.platform, period=r.period,
                      period_start=r.period_start, period_end=r.period_end, score=r.score)
        for r in report.rows if r.ok
    ], batch_size=1000)
    audit_log(actor=actor, action="points.external_scores_import", obj=score_import,
              new={"file": file_name, "sha256": report.sha256, "rows": report.ok_count,
                   "errors": report.error_count})
    report.score_import = score_import
    return report


def import_file_delete(*, actor, path: str, reason: str) -> None:
    """Delete an uploaded scores file (it carries full ID numbers) and record it; ``purge_import_files``
    deletes the ones a user left unconfirmed after the retention period."""
    from django.core.files.storage import default_storage

    if not path or not default_storage.exists(path):
        return
    default_storage.delete(path)
    audit_log(actor=actor, action="points.import_file_delete", object_type="points.externalscoreimport",
              object_repr=path, new={"path": path, "reason": reason})


def template_rows() -> tuple[list, list]:
    header = [HEADERS[k] for k in ("name", "id_number", "phone", "platform", "period", "score")]
    return header, [["张伟明", "110101198504120000", "", "学习强国", "2026-10", "1234"],
                    ["张伟明", "110101198504120000", "", "灯塔-党建在线", "2026", "88.5"]]
