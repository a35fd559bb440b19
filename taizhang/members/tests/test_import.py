"""The ledger import: files built here (openpyxl, csv in utf-8 / utf-8-sig / gbk), the dry run, the commit,
scoping, the error file, the template, the command and the pages."""

import csv
import datetime
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from taizhang.core import crypto
from taizhang.core.models import AuditEntry
from taizhang.members import imports
from taizhang.members.models import (
    BehaviourNote,
    EventKind,
    FlowEvent,
    ImportRun,
    ImportStatus,
    Member,
    Status,
    Tag,
)
from taizhang.members.tests.factories import citizen_id, with_wrong_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")


HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "人员类别", "所在党支部", "手机号码", "入党日期", "转正日期", "人员类型", "所在区"]


def new_row(name="孙志强", *, birth=datetime.date(1980, 5, 17), gender="M", **overrides):
    row = {
        "姓名": name,
        "公民身份号码": citizen_id(birth, gender),
        "性别": "男" if gender == "M" else "女",
        "出生日期": birth.isoformat(),
        "人员类别": "正式党员",
        "所在党支部": "东部片区支部",
        "手机号码": "139 1234 5678",
        "入党日期": f"{birth.year + 25}-07-01",
        "转正日期": f"{birth.year + 26}-07-01",
        "人员类型": "在京工作定居",
        "所在区": "朝阳区",
    }
    row.update(overrides)
    return row


def _table(rows, headers=None):
    headers = headers or list(dict.fromkeys(h for row in rows for h in row))
    return headers, [[row.get(h, "") for h in headers] for row in rows]


def xlsx_bytes(rows, headers=None, *, title_rows=(), trailing_blank=0) -> bytes:
    headers, table = _table(rows, headers)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append([title])
    sheet.append(headers)
    for values in table:
        sheet.append([None if v == "" else v for v in values])
    for _ in range(trailing_blank):
        sheet.append([None] * len(headers))
    if trailing_blank:  # formatted but empty cells far below, as Excel leaves them
        sheet.cell(row=sheet.max_row + 3, column=2).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows, headers=None, *, encoding="utf-8") -> bytes:
    headers, table = _table(rows, headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for values in table:
        writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in values])
    return out.getvalue().encode(encoding)


def write(tmp_path, content: bytes, name="ledger.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def source(tmp_path, content: bytes, name="ledger.xlsx"):
    return imports.Source.from_path(str(write(tmp_path, content, name)))


def dry(tmp_path, content, name="ledger.xlsx", user=None):
    return imports.check(source(tmp_path, content, name), user=user)


def errors_of(report, row=None):
    return [e for e in report.errors if row is None or e["row"] == row]


def db_state():
    return (
        Member.objects.count(),
        FlowEvent.objects.count(),
        AuditEntry.objects.count(),
        BehaviourNote.objects.count(),
        Tag.objects.count(),
        sorted(Member.objects.values_list("pk", "version", "branch_id", "name")),
    )


# --- formats ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, make", [
    ("ledger.xlsx", lambda rows: xlsx_bytes(rows)),
    ("ledger.csv", lambda rows: csv_bytes(rows, encoding="utf-8")),
    ("ledger.csv", lambda rows: csv_bytes(rows, encoding="utf-8-sig")),
    ("ledger.csv", lambda rows: csv_bytes(rows, encoding="gbk")),
    ("ledger.csv", lambda rows: csv_bytes(rows, encoding="gb18030")),
])
def test_every_format_is_read(tmp_path, cast, name, make):
    rows = [new_row("孙志强"), new_row("黄海涛", birth=datetime.date(1962, 3, 8), gender="F", 所在党支部="西部")]
    report = dry(tmp_path, make(rows), name, user=cast.admin)
    assert report.file_error == ""
    assert report.errors == []
    assert (report.rows, report.created) == (2, 2)
    assert [r["name"] for r in report.display] == ["孙志强", "黄海涛"]


def test_gbk_csv_with_only_a_little_chinese_is_detected(tmp_path, cast):
    row = new_row("王", 所在党支部="东部", 所在区="")
    report = dry(tmp_path, csv_bytes([row], encoding="gbk"), "x.csv", user=cast.admin)
    assert report.file_error == "" and report.created == 1, report.errors


def test_headers_with_spaces_full_width_and_aliases_and_a_title_row(tmp_path, cast):
    row = new_row()
    headers = [" 姓 名 ", "身份证号", "性别", "出生日期", "人员类别", "所在支部", "联系电话", "入党时间", "转正时间", "人员类型", "所在区"]
    values = [row[h] for h in HEADERS]
    content = xlsx_bytes([dict(zip(headers, values, strict=True))], headers, title_rows=["北京市流动党员党委党员名册"])
    report = dry(tmp_path, content, user=cast.admin)
    assert report.errors == [] and report.created == 1
    assert report.display[0]["row"] == 3  # the title row, the header, then the member


def test_unknown_columns_are_listed_and_ignored_ones_are_not(tmp_path, cast):
    row = new_row() | {"爱好": "书法", "序号": "1", "错误": "old"}
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.admin)
    assert report.unknown_columns == ["爱好"]
    assert report.created == 1


def test_missing_required_column_is_a_file_error(tmp_path, cast):
    row = new_row()
    del row["入党日期"]
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.admin)
    assert "入党日期" in report.file_error
    assert report.rows == 0


def test_branch_column_may_be_left_out_when_the_district_is_there(tmp_path, cast):
    row = new_row(所在区="海淀区")
    del row["所在党支部"]
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.admin)
    assert report.errors == [] and report.created == 1
    assert "所在党支部" in json.dumps(report.display, ensure_ascii=False) or report.created == 1


@pytest.mark.parametrize("content, name", [
    (b"PK\x03\x04 not really a zip", "x.xlsx"),
    (b"\x00\x01\x02", "x.xls"),
    (b"", "x.csv"),
    ("姓名,年龄\n张三,3\n".encode(), "x.csv"),
])
def test_unreadable_files_are_file_errors_not_exceptions(tmp_path, cast, content, name):
    report = dry(tmp_path, content, name, user=cast.admin)
    assert report.file_error
    assert report.rows == 0


# --- values as people type them ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    datetime.date(2005, 7, 1), datetime.datetime(2005, 7, 1), "2005-07-01", "2005/7/1", "2005.7.1", "2005年7月1日",
    "20050701", "２００５－０７－０１", " 2005-07-01 ", 20050701, 38534,
])
def test_date_forms(tmp_path, cast, typed):
    report = dry(tmp_path, xlsx_bytes([new_row(入党日期=typed, 转正日期="")] ), user=cast.admin)
    # 转正日期 left empty on a 正式党员: that is the only error, so the join date was understood
    assert [e["column"] for e in report.errors] == ["转正日期"]
    report = dry(tmp_path, xlsx_bytes([new_row(入党日期=typed)]), user=cast.admin)
    assert report.errors == []


def test_excel_date_cells_and_full_width_digits_lower_x_spaces_and_phone_forms(tmp_path, cast):
    number = citizen_id(datetime.date(1975, 1, 2), "F", sequence=4)
    # find one ending in X to prove lower-case x is accepted
    sequence = 1
    while not number.endswith("X"):
        sequence += 1
        number = citizen_id(datetime.date(1975, 1, 2), "F", sequence=sequence)
    fullwidth = number[:6].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " " + number[6:-1] + "x "
    rows = [
        new_row("马丽", birth=datetime.date(1975, 1, 2), gender="F", 公民身份号码=fullwidth,
                出生日期=datetime.date(1975, 1, 2), 手机号码="+86 139-1234-5678"),
        new_row("胡军", 手机号码="１３９１２３４５６７８", 入党日期=datetime.date(2005, 7, 1)),
        new_row("郭 芳", gender="F", birth=datetime.date(1985, 2, 3), 手机号码=13912345678),
    ]
    report = dry(tmp_path, xlsx_bytes(rows), user=cast.admin)
    assert report.errors == []
    assert report.display[2]["name"] == "郭芳"


@pytest.mark.parametrize("yes, no", [("是", "否"), ("Y", "N"), ("y", "n"), ("TRUE", "FALSE")])
def test_yes_no_forms(tmp_path, cast, yes, no):
    rows = [new_row("林峰", 是否失联党员=no, 是否流动党员=yes), new_row("罗娟", gender="F", birth=datetime.date(1990, 1, 1),
                                                              是否失联党员=yes, 是否流动党员=no)]
    report = imports.commit(source(tmp_path, xlsx_bytes(rows)), user=cast.admin)
    assert report.errors == [] and report.created == 2
    linfeng = Member.objects.get(name="林峰")
    luojuan = Member.objects.get(name="罗娟")
    assert linfeng.is_mobile and linfeng.current_event.status_after == Status.ACTIVE
    assert not luojuan.is_mobile and luojuan.current_event.status_after == Status.LOST


def test_empty_trailing_rows_are_ignored(tmp_path, cast):
    content = xlsx_bytes([new_row()], trailing_blank=5)
    report = dry(tmp_path, content, user=cast.admin)
    assert (report.rows, report.errors) == (1, [])
    rows = csv_bytes([new_row()]) + b",,,,,,,,,,\r\n\r\n  ,  ,\r\n"
    report = dry(tmp_path, rows, "x.csv", user=cast.admin)
    assert (report.rows, report.errors) == (1, [])


# --- errors: row, column as in the file, value, message ------------------------------------------------------


def test_every_row_error_kind(tmp_path, cast):
    dup = citizen_id(datetime.date(1970, 1, 1), "M")
    rows = [
        new_row("甲", 公民身份号码=with_wrong_check_digit(citizen_id())),                    # 2 bad check digit
        new_row("乙", 出生日期="1981-05-17"),                                              # 3 birth date mismatch
        new_row("丙", 手机号码="12345"),                                                   # 4 bad phone
        new_row("丁", 入党日期="2005-13-45"),                                              # 5 bad date
        new_row("戊", 所在党支部="南部片区支部"),                                           # 6 unknown branch
        new_row("己", birth=datetime.date(1970, 1, 1), 公民身份号码=dup),                    # 7 duplicate …
        new_row("庚", birth=datetime.date(1970, 1, 1), 公民身份号码=dup),                    # 8 … in the file
        new_row("辛", 人员类别="正式党员", 转正日期=""),                                     # 9 full member needs 转正日期
        new_row("壬", 人员类型="打工"),                                                    # 10 not an allowed value
        new_row("癸", 公民身份号码=110101198005170011),                                     # 11 ID stored as a number
    ]
    report = dry(tmp_path, xlsx_bytes(rows), user=cast.admin)
    assert report.error_rows == 10 and report.created == 0
    by_row = {}
    for error in report.errors:
        by_row.setdefault(error["row"], []).append(error)
    assert by_row[2][0]["column"] == "公民身份号码" and "校验" in by_row[2][0]["message"] or "check digit" in by_row[2][0]["message"]
    assert by_row[3][0]["column"] == "出生日期" and by_row[3][0]["value"] == "1981-05-17"
    assert by_row[4][0]["column"] == "手机号码" and by_row[4][0]["value"] == "12345"
    assert by_row[5][0]["column"] == "入党日期" and by_row[5][0]["value"] == "2005-13-45"
    assert by_row[6][0]["column"] == "所在党支部" and by_row[6][0]["value"] == "南部片区支部"
    assert by_row[7][0]["column"] == "公民身份号码" and "8" in by_row[7][0]["message"]
    assert by_row[8][0]["column"] == "公民身份号码" and "7" in by_row[8][0]["message"]
    assert by_row[9][0]["column"] == "转正日期"
    assert by_row[10][0]["column"] == "人员类型" and by_row[10][0]["value"] == "打工"
    assert by_row[11][0]["column"] == "公民身份号码"
    for errors in by_row.values():
        assert all(e["message"] for e in errors)
        assert len(errors) == 1, errors  # one error each, not follow-on "required" messages


def test_messages_are_chinese(tmp_path, cast):
    report = dry(tmp_path, xlsx_bytes([new_row(手机号码="12345")]), user=cast.admin)
    message = report.errors[0]["message"]
    assert message == "请输入以 1 开头的 11 位手机号码（可包含空格、短横线和 +86）。" or any("\u4e00" <= c <= "\u9fff" for c in message)


def test_headers_in_errors_are_as_in_the_file(tmp_path, cast):
    row = {"姓名": "甲", "身份证号 ": "123", "人员类别": "预备党员", "所在党支部": "东部", "入党日期": "2024-01-01", "人员类型": "1"}
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.admin)
    assert report.errors[0]["column"] == "身份证号"  # trimmed, as the file has it
    assert report.errors[0]["value"] == "123"


# --- scope ----------------------------------------------------------------------------------------------------


def test_branch_secretary_cannot_import_into_another_branch(tmp_path, cast):
    rows = [new_row("甲", 所在党支部="东部"), new_row("乙", 所在党支部="西部片区支部")]
    report = dry(tmp_path, xlsx_bytes(rows), user=cast.east_secretary)
    assert report.created == 1 and report.error_rows == 1
    assert errors_of(report, 3)[0]["column"] == "所在党支部"


def test_existing_member_outside_scope_is_an_error(tmp_path, cast):
    west = cast.west_members[0]
    row = new_row(west.name, birth=west.birth_date, gender=west.gender, 公民身份号码=west.id_number, 所在党支部="东部")
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.east_secretary)
    assert report.error_rows == 1
    assert errors_of(report)[0]["column"] == "公民身份号码"
    # moving one's own member into another branch is refused as well
    me = cast.me
    row = new_row(me.name, birth=me.birth_date, gender=me.gender, 公民身份号码=me.id_number, 所在党支部="西部",
                  入党日期=me.join_date, 转正日期=me.full_membership_date)
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.east_secretary)
    assert report.error_rows == 1 and errors_of(report)[0]["column"] == "所在党支部"


def test_branch_names_and_district_suggestion(tmp_path, cast):
    rows = [
        new_row("甲", 所在党支部="东部"),
        new_row("乙", 所在党支部="东部支部"),
        new_row("丙", 所在党支部="东部片区党支部"),
        new_row("丁", 所在党支部="", 所在区="丰台"),
    ]
    report = imports.commit(source(tmp_path, xlsx_bytes(rows)), user=cast.admin)
    assert report.errors == []
    branches = dict(Member.objects.filter(name__in=["甲", "乙", "丙", "丁"]).values_list("name", "branch__code"))
    assert branches == {"甲": "east", "乙": "east", "丙": "east", "丁": "west"}


# --- dry run and commit ------------------------------------------------------------------------------------------


def _export_row(member, **overrides):
    row = {
        "姓名": member.name, "公民身份号码": member.id_number, "人员类别": "正式党员", "所在党支部": member.branch.name,
        "入党日期": member.join_date, "转正日期": member.full_membership_date, "人员类型": "在京工作定居",
    }
    row.update(overrides)
    return row


def test_dry_run_writes_nothing(tmp_path, cast):
    before = db_state()
    rows = [new_row("甲", 标签="新标签", 备注="热心", 是否失联党员="是"),
            _export_row(cast.me, 手机号码="13800000000", 所在党支部="中部", 标签="书画爱好者", 备注="新备注")]
    report = dry(tmp_path, xlsx_bytes(rows), user=cast.admin)
    assert (report.created, report.updated) == (1, 1)
    assert db_state() == before


def test_commit_creates_exactly_the_planned_rows_and_audits(tmp_path, cast):
    content = xlsx_bytes([
        new_row("甲", 标签="志愿者骨干、书画爱好者", 备注="热心", 登记日期="2020-05-01"),
        new_row("乙", gender="F", birth=datetime.date(1990, 2, 3), 是否失联党员="是"),
        new_row("丙", 手机号码="bad"),
    ])
    planned = dry(tmp_path, content, user=cast.admin)
    audits_before = AuditEntry.objects.count()
    report = imports.commit(source(tmp_path, content), user=cast.admin)
    assert report.counts() == planned.counts() == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "errors": 1}
    jia = Member.objects.get(name="甲")
    assert jia.id_number_hash == crypto.blind_index(jia.id_number)
    assert jia.phone == "13912345678" and jia.name_pinyin == "jia" and jia.district.name == "朝阳区"
    assert jia.last_contact_date == datetime.date(2020, 5, 1)
    assert sorted(t.name for t in jia.tags.all()) == ["书画爱好者", "志愿者骨干"]
    assert jia.notes.get().text == "热心"
    registered = jia.events.get()
    assert (registered.kind, registered.effective_date, registered.status_after) == (EventKind.REGISTERED, datetime.date(2020, 5, 1), Status.ACTIVE)
    assert jia.current_event == registered
    yi = Member.objects.get(name="乙")
    kinds = list(yi.events.order_by("id").values_list("kind", "lost_contact_cause", "reason"))
    assert kinds == [(EventKind.REGISTERED, None, ""), (EventKind.LOST_CONTACT, 7, "导入时标记为失联")]
    assert yi.current_event.kind == EventKind.LOST_CONTACT
    assert yi.events.first().effective_date == timezone.localdate()
    assert not Member.objects.filter(name="丙").exists()
    actions = list(AuditEntry.objects.order_by("id")[audits_before:].values_list("action", flat=True))
    assert actions.count("member.create") == 2
    # one audit shape for every registration (member_register_many): member.create and flow.registered per member
    assert actions.count("flow.registered") == 2 and actions.count("flow.lost_contact") == 1
    assert actions.count("member.note_add") == 1 and actions.count("tag.create") == 2
    entry = AuditEntry.objects.get(action="import.commit")
    assert entry.actor == cast.admin
    assert entry.new_values["file_name"] == "ledger.xlsx" and len(entry.new_values["sha256"]) == 64
    assert entry.new_values["created"] == 2 and entry.new_values["errors"] == 1
    create_entry = AuditEntry.objects.filter(action="member.create", object_id=str(jia.pk)).get()
    assert create_entry.new_values["id_number"] == jia.id_number_masked  # masked in the log, as member_register


def test_update_records_changes_through_the_services(tmp_path, cast):
    me = cast.me
    row = _export_row(me, 手机号码="138 0000 0000", 所在党支部="中部", 标签="书画爱好者", 备注="喜欢书法", 工作单位="新单位",
                      是否失联党员="是")
    report = dry(tmp_path, xlsx_bytes([row]), user=cast.admin)
    assert report.updated == 1
    changes = {c[0]: (c[1], c[2]) for c in report.display[0]["changes"]}
    assert changes["所在党支部"] == ("东部片区支部", "中部片区支部")
    assert changes["手机号码"][1] == "138****0000"
    assert changes["工作单位"] == ("", "新单位")
    assert changes["是否失联党员"] == ("否", "是")
    imports.commit(source(tmp_path, xlsx_bytes([row])), user=cast.admin)
    me.refresh_from_db()
    assert me.branch == cast.central and me.phone == "13800000000" and me.employer == "新单位"
    kinds = list(me.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.MOVED_BRANCH, EventKind.LOST_CONTACT]
    assert me.current_event.status_after == Status.LOST
    assert [t.name for t in me.tags.all()] == ["书画爱好者"]
    assert me.notes.first().text == "喜欢书法"
    assert AuditEntry.objects.filter(action="member.update", object_id=str(me.pk)).exists()
    # and back: 否 restores contact
    imports.commit(source(tmp_path, xlsx_bytes([_export_row(me, 是否失联党员="否", 所在党支部="中部")])), user=cast.admin)
    me.refresh_from_db()
    assert me.current_event.kind == EventKind.CONTACT_RESTORED


def test_reimporting_the_same_file_is_all_unchanged(tmp_path, cast):
    content = xlsx_bytes([new_row("甲", 标签="志愿者骨干", 备注="热心"), new_row("乙", gender="F", birth=datetime.date(1990, 2, 3)),
                          _export_row(cast.me)])
    first = imports.commit(source(tmp_path, content), user=cast.admin)
    assert (first.created, first.unchanged) == (2, 1)
    before = db_state()
    again = dry(tmp_path, content, user=cast.admin)
    assert (again.unchanged, again.created, again.updated, again.error_rows) == (3, 0, 0, 0)
    imports.commit(source(tmp_path, content), user=cast.admin)
    after = db_state()
    assert after[:2] == before[:2] and after[3:] == before[3:]  # only the import.commit audit entry is new


def test_commit_is_all_or_nothing(tmp_path, cast, monkeypatch):
    before = db_state()
    audits = AuditEntry.objects.count()
    rows = [new_row(f"甲{i}", birth=datetime.date(1980, 1, 1 + i)) for i in range(5)] + [
        _export_row(cast.me, 工作单位="中途失败"), _export_row(cast.east_members[1], 工作单位="不会写入",
                                                     人员类别="正式党员")]
    real = imports.services.member_update
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(imports.services, "member_update", failing)
    with pytest.raises(RuntimeError):
        imports.commit(source(tmp_path, xlsx_bytes(rows)), user=cast.admin)
    assert len(calls) == 2
    assert db_state() == before
    assert AuditEntry.objects.count() == audits


def test_run_commit_failure_is_recorded_without_a_trace(tmp_path, cast, monkeypatch, client):
    client.force_login(cast.admin)
    run = _upload(client, xlsx_bytes([new_row("甲")]))
    monkeypatch.setattr(imports.writing, "_write_creates", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    before = db_state()
    client.post(reverse("members:import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED and "boom" not in run.message and run.message
    after = db_state()  # nothing imported; the only new entry records deleting the uploaded file
    assert after[:2] + after[3:] == before[:2] + before[3:] and after[2] == before[2] + 1
    assert AuditEntry.objects.latest("id").action == "import.file_delete" and not run.file


# --- error file and template ------------------------------------------------------------------------------------


def test_error_file_has_the_error_column_and_uploads_again(tmp_path, cast):
    rows = [new_row("甲"), new_row("乙", 手机号码="12345"), new_row("丙", 入党日期="2005-13-01")]
    content = xlsx_bytes(rows)
    report = dry(tmp_path, content, user=cast.admin)
    out = tmp_path / "errors.xlsx"
    imports.write_error_file(source(tmp_path, content), report.errors, str(out))
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.values)
    assert values[0][-1] == "错误" and list(values[0][:-1]) == list(rows[0])
    assert [v[0] for v in values[1:]] == ["乙", "丙"]
    assert "手机号码" in values[1][-1]
    # fix the rows in the error file and upload it again
    sheet["G2"] = "13911112222"
    sheet["H3"] = "2005-12-01"
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    report = dry(tmp_path, fixed.getvalue(), "fixed.xlsx", user=cast.admin)
    assert report.unknown_columns == [] and report.errors == [] and report.created == 2


def test_template_has_headers_sample_and_dropdowns(client, cast):
    client.force_login(cast.east_secretary)
    response = client.get(reverse("members:import_template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["姓名", "性别", "公民身份号码"] and "人员类型" in headers and "所在区" in headers
    validations = sheet.data_validations.dataValidation
    covered = {sheet.cell(row=1, column=next(iter(v.sqref.ranges)).min_col).value for v in validations if v.type == "list"}
    assert {"所在党支部", "人员类型", "人员类别", "是否失联党员", "是否流动党员", "性别", "所在区"} <= covered
    options = workbook.worksheets[1]
    branch_col = [c.value for c in options[1]].index("所在党支部") + 1
    assert [options.cell(row=r, column=branch_col).value for r in (2, 3)] == ["东部片区支部", None]
    # the sample row imports as it is (for this secretary's branch)
    report = imports.check(imports.Source(lambda: io.BytesIO(response.getvalue()), "t.xlsx"), user=cast.east_secretary)
    assert report.errors == [] and report.created == 1


# --- the command ---------------------------------------------------------------------------------------------


def test_command_json_shape_and_exit_codes(tmp_path, cast):
    path = write(tmp_path, xlsx_bytes([new_row("甲"), new_row("乙", 手机号码="1"), _export_row(cast.me)] ,
                                      headers=None) if False else xlsx_bytes([new_row("甲") | {"爱好": "x"}, new_row("乙", 手机号码="1")]))
    out = io.StringIO()
    call_command("import_members", str(path), "--format", "json", stdout=out)
    result = json.loads(out.getvalue())
    assert set(result) == {"rows", "created", "updated", "unchanged", "errors", "unknown_columns"}
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (2, 1, 0, 0)
    assert result["unknown_columns"] == ["爱好"]
    assert result["errors"] == [{"row": 3, "column": "手机号码", "value": "1", "message": result["errors"][0]["message"]}]
    assert not Member.objects.filter(name="甲").exists()

    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(path), "--commit")
    assert exc.value.returncode == 1
    out = io.StringIO()
    call_command("import_members", str(path), "--commit", "--as", "east_secretary", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1
    assert Member.objects.get(name="甲").branch == cast.east
    assert AuditEntry.objects.get(action="import.commit").actor == cast.east_secretary

    broken = write(tmp_path, b"garbage", "broken.xlsx")
    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(broken), "--format", "json")
    assert exc.value.returncode == 2 and "xlsx" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        call_command("import_members", str(tmp_path / "missing.csv"))
    assert exc.value.returncode == 2


def test_command_as_a_user_is_scoped(tmp_path, cast):
    path = write(tmp_path, xlsx_bytes([new_row("甲", 所在党支部="西部")]))
    out = io.StringIO()
    call_command("import_members", str(path), "--as", "east_secretary", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["errors"][0]["column"] == "所在党支部"
    out = io.StringIO()
    call_command("import_members", str(path), "--format", "json", stdout=out)  # the operator: whole database
    assert json.loads(out.getvalue())["created"] == 1


# --- pages ----------------------------------------------------------------------------------------------------


def _upload(client, content, name="ledger.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.latest("id")


def test_button_on_the_ledger_only_for_importers(client, cast):
    client.force_login(cast.east_secretary)
    assert b'id="import-button"' in client.get(reverse("members:list")).content
    client.force_login(cast.study)
    assert b'id="import-button"' not in client.get(reverse("members:list")).content
    assert client.get(reverse("members:import_upload")).status_code == 403


def test_pages_from_upload_to_result(client, cast):
    client.force_login(cast.east_secretary)
    assert client.get(reverse("members:import_upload")).status_code == 200
    run = _upload(client, xlsx_bytes([new_row("甲"), new_row("乙", 所在党支部="西部"), new_row("丙") | {"爱好": "x"}]))
    assert run.status == ImportStatus.CHECKED and (run.created, run.errors) == (2, 1)
    page = client.get(reverse("members:import_run", args=[run.pk]))
    html = page.content.decode()
    assert 'id="commit-button"' in html and "disabled" not in html.split('id="commit-button"')[0][-80:]
    assert "爱好" in html and "西部" in html
    progress = client.get(reverse("members:import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Redirect"] == reverse("members:import_run", args=[run.pk])
    errors = client.get(reverse("members:import_errors", args=[run.pk]))
    assert errors.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["乙"]
    client.post(reverse("members:import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED and run.created == 2
    assert set(Member.objects.filter(name__in=["甲", "乙", "丙"]).values_list("name", flat=True)) == {"甲", "丙"}
    assert "import-done" in client.get(reverse("members:import_run", args=[run.pk])).content.decode()
    # committing twice does nothing more
    client.post(reverse("members:import_commit", args=[run.pk]))
    assert Member.objects.filter(name="甲").count() == 1


def test_progress_page_polls_while_running(client, cast):
    client.force_login(cast.admin)
    run = _upload(client, xlsx_bytes([new_row("甲")]))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.CHECKING, processed=500, total=1000)
    response = client.get(reverse("members:import_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and "50%" in html
    assert 'hx-trigger="every 1s"' in client.get(reverse("members:import_run", args=[run.pk])).content.decode()


def test_commit_button_disabled_when_nothing_valid(client, cast):
    client.force_login(cast.admin)
    run = _upload(client, xlsx_bytes([new_row("乙", 手机号码="1")]))
    html = client.get(reverse("members:import_run", args=[run.pk])).content.decode()
    assert "disabled" in html.split('id="commit-button"')[1][:20] or 'disabled id="commit-button"' in html
    client.post(reverse("members:import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKED


def test_upload_rejects_wrong_type_and_too_large(client, cast, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(cast.admin)
    response = client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile("a.xls", b"x")})
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 10)
    response = client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile("a.csv", b"x" * 20)})
    assert response.status_code == 200 and "MB" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_unreadable_upload_shows_the_message(client, cast):
    client.force_login(cast.admin)
    run = _upload(client, b"not a workbook")
    assert run.status == ImportStatus.FAILED and run.message
    html = client.get(reverse("members:import_run", args=[run.pk])).content.decode()
    assert 'id="import-failed"' in html and run.message in html


@pytest.mark.parametrize("name", ["import_run", "import_progress", "import_errors"])
def test_other_users_import_runs_are_404(client, cast, name):
    client.force_login(cast.admin)
    run = _upload(client, xlsx_bytes([new_row("乙", 手机号码="1")]))
    for user in (cast.east_secretary, cast.west_secretary):
        client.force_login(user)
        assert client.get(reverse(f"members:{name}", args=[run.pk])).status_code == 404
        assert client.post(reverse("members:import_commit", args=[run.pk])).status_code == 404
    for user in (cast.study, cast.outsider, cast.plain_member):
        client.force_login(user)
        assert client.get(reverse(f"members:{name}", args=[run.pk])).status_code == 403


def test_dry_run_page_query_count_does_not_grow_with_rows(client, cast):
    client.force_login(cast.admin)
    small = _upload(client, xlsx_bytes([new_row("甲")]))
    big = _upload(client, xlsx_bytes([new_row(f"乙{i}", birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=i))
                                      for i in range(120)]))
    assert big.rows == 120 and big.created == 120
    ImportRun.objects.filter(pk=small.pk).update(status=ImportStatus.CHECKED)  # the newer upload discarded it

    def count(run):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("members:import_run", args=[run.pk])).status_code == 200
        return len(ctx.captured_queries)

    assert count(big) == count(small)


def test_personal_numbers_in_error_reports_are_masked(tmp_path, cast):
    bad_id = with_wrong_check_digit(citizen_id(datetime.date(1980, 5, 17), "M"))
    report = dry(tmp_path, xlsx_bytes([new_row(公民身份号码=bad_id, 手机号码="1391234567")]), user=cast.admin)
    values = {e["column"]: e["value"] for e in errors_of(report)}
    assert values["公民身份号码"] == bad_id[:4] + "*" * 10 + bad_id[-4:]
    assert bad_id not in str(report.as_json())
    assert values["手机号码"] == "139****4567"
