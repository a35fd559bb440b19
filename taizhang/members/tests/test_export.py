"""Ledger export (.xlsx, .csv), the printed roster and ``manage.py export_members``, for the fixed cast."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from taizhang.core.exporting import csv_chunks, neutralise, unneutralise
from taizhang.core.models import AuditEntry
from taizhang.members import services
from taizhang.members.ledger_columns import COLUMNS
from taizhang.members.models import BehaviourNote, Member, Tag
from taizhang.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]
ALL = {"张伟明", "李秀英", "王建国", "赵丽华", "陈刚", "刘洋"}
EAST = {"张伟明", "李秀英", "王建国"}
WEST = {"赵丽华", "陈刚"}


def login(client, user):
    client.force_login(user)
    return client


def csv_rows(response) -> tuple[list, list[dict]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel needs for Chinese
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def xlsx_rows(response) -> tuple[list, list[dict]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    values = [[("" if v is None else v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    header, *rows = values
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def export(client, fmt, **params):
    response = client.get(reverse(f"members:export_{fmt}"), params)
    return csv_rows(response) if fmt == "csv" else xlsx_rows(response)


# --- who exports what ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "who, expected, revealed",
    [
        ("admin", ALL, True),
        ("east_secretary", EAST, True),
        ("west_secretary", WEST, True),
    ],
)
def test_export_has_the_import_headers_and_exactly_the_scope(client, cast, fmt, who, expected, revealed):
    login(client, getattr(cast, who))
    header, rows = export(client, fmt)
    assert header == HEADERS
    assert [r["姓名"] for r in rows] == sorted([r["姓名"] for r in rows], key=lambda n: cast.members_by_name[n].name_pinyin)
    assert {r["姓名"] for r in rows} == expected and len(rows) == len(expected)
    for row in rows:
        member = cast.members_by_name[row["姓名"]]
        if revealed:
            assert (row["公民身份号码"], row["手机号码"]) == (member.id_number, member.phone)
        else:
            assert (row["公民身份号码"], row["手机号码"]) == (member.id_number_masked, member.phone_masked)
            assert member.id_number not in str(row.values()) and member.phone not in str(row.values())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_uses_the_list_filters(client, cast, fmt):
    login(client, cast.admin)
    assert [r["姓名"] for r in export(client, fmt, q="zwm")[1]] == ["张伟明"]
    assert {r["姓名"] for r in export(client, fmt, branch=cast.west.pk)[1]} == WEST
    assert {r["姓名"] for r in export(client, fmt, age="60plus")[1]} == {"李秀英"}
    login(client, cast.east_secretary)
    assert export(client, fmt, q="zlh")[1] == []  # 赵丽华 is west: a search never leaves the scope


def test_list_offers_the_export_with_the_current_filters(client, cast):
    login(client, cast.admin)
    page = client.get(reverse("members:list"), {"q": "zwm", "category": "working", "page": "1"}).content.decode()
    for name in ("export_xlsx", "export_csv", "roster_print"):
        assert f'{reverse(f"members:{name}")}?q=zwm&amp;category=working"' in page
    fragment = client.get(reverse("members:list"), {"q": "lxy"}, headers={"HX-Request": "true"}).content.decode()
    assert f'{reverse("members:export_csv")}?q=lxy"' in fragment


def test_every_value_is_written_as_the_import_reads_it(client, cast):
    member = cast.members_by_name["李秀英"]
    Member.objects.filter(pk=member.pk).update(
        membership_type="probationary", category="resident", education="bachelor", is_mobile=False,
        ethnicity="回族", position="退休", residence="北京市朝阳区", household_registration="青岛市市南区",
        employer="", industry="教育",
    )
    member.tags.set([Tag.objects.create(committee=cast.committee, name=n) for n in ("志愿者骨干", "书画爱好者")])
    BehaviourNote.objects.create(member=member, noted_on=datetime.date(2024, 1, 5), text="旧的备注", author=cast.admin)
    BehaviourNote.objects.create(member=member, noted_on=datetime.date(2024, 3, 1), text="最新的备注", author=cast.admin)
    services.flow_record_event(actor=cast.admin, member=Member.objects.get(pk=member.pk), kind="lost_contact",
                               effective_date=datetime.date(2024, 6, 1), lost_contact_cause=1)
    member.refresh_from_db()
    login(client, cast.admin)
    for fmt in ("csv", "xlsx"):
        (row,) = export(client, fmt, q="lxy", status="all")[1]
        assert row == {
            "姓名": "李秀英", "性别": "女", "公民身份号码": member.id_number, "民族": "回族",
            "出生日期": "1958-02-03", "学历": "大学本科", "人员类别": "预备党员", "所在党支部": cast.east.name,
            "手机号码": member.phone, "入党日期": member.join_date.isoformat(),
            "转正日期": member.full_membership_date.isoformat(), "工作岗位": "退休", "现居住地": "北京市朝阳区",
            "户籍所在地": "青岛市市南区", "是否失联党员": "是", "是否流动党员": "否", "人员类型": "无工作长期居住",
            "所在区": member.district.name, "工作单位": "", "所属行业": "教育", "标签": "书画爱好者、志愿者骨干",
            "备注": "最新的备注", "登记日期": "2018-03-01",
        }


def test_empty_values_and_voided_registrations(client, cast):
    login(client, cast.admin)
    (row,) = export(client, "csv", q="ly")[1]  # 刘洋: no notes, no tags
    assert row["登记日期"] == "2018-03-01" and row["备注"] == "" and row["标签"] == ""

    member = make_member(cast.admin, cast.west, name="马丽", registered_on=datetime.date(2019, 4, 1), reported=False)
    (registration,) = member.events.all()
    services.flow_correct_latest(actor=cast.admin, member=member, event=registration, reason="登记错误")
    (row,) = export(client, "csv", q="ml", status="all")[1]
    assert row["姓名"] == "马丽" and row["登记日期"] == ""


# --- formula injection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x.example","点我")', '\'=HYPERLINK("http://x.example","点我")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("北京=1", "北京=1"),
        ("", ""),
        (None, ""),
        (datetime.date(2024, 1, 2), "2024-01-02"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected
    if isinstance(value, str):
        assert unneutralise(neutralise(value)) == value  # what an import reading the export back does
    assert unneutralise("'quoted") == "'quoted"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_neutralised_in_the_files(client, cast, fmt):
    member = cast.members_by_name["王建国"]
    Member.objects.filter(pk=member.pk).update(
        employer='=HYPERLINK("http://evil.example","x")', position="+1", residence="-2", industry="@x",
        household_registration="\t=1+1",
    )
    login(client, cast.admin)
    (row,) = export(client, fmt, q="wjg")[1]
    assert row["工作单位"] == '\'=HYPERLINK("http://evil.example","x")'
    assert (row["工作岗位"], row["现居住地"], row["所属行业"], row["户籍所在地"]) == ("'+1", "'-2", "'@x", "'\t=1+1")


def test_csv_chunks_neutralise_header_and_cells():
    raw = b"".join(csv_chunks(["=a", "b"], [["-1", "ok"]]))
    assert raw.decode("utf-8-sig").splitlines() == ["'=a,b", "'-1,ok"]


# --- audit -----------------------------------------------------------------------------------------


def test_exports_are_logged(client, cast):
    login(client, cast.east_secretary)
    export(client, "csv", q="zwm")
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.actor == cast.east_secretary and entry.message == "unmasked" and entry.success
    assert entry.new_values == {"format": "csv", "filters": {"q": "zwm", "status": "roster"}, "rows": 1,
                                "unmasked": True, "source": "web"}

    login(client, cast.admin)
    export(client, "xlsx", branch=cast.east.pk)
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.actor == cast.admin and entry.message == "unmasked"
    assert entry.new_values["format"] == "xlsx" and entry.new_values["rows"] == 3 and entry.new_values["unmasked"]
    assert entry.new_values["filters"] == {"branch": str(cast.east.pk), "status": "roster"}


def test_an_empty_export_is_not_marked_unmasked(client, cast):
    login(client, cast.admin)
    assert export(client, "csv", q="nobody")[1] == []
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.new_values["rows"] == 0 and entry.message == "masked"


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["export_xlsx", "export_csv", "roster_print"])
def test_anonymous_is_sent_to_login(client, cast, name):
    response = client.get(reverse(f"members:{name}"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("name", ["export_xlsx", "export_csv", "roster_print"])
@pytest.mark.parametrize("who", ["outsider", "plain_member", "auditor", "sysadmin", "secadmin"])
def test_roles_without_the_ledger_get_403(client, cast, name, who):
    login(client, getattr(cast, who))
    response = client.get(reverse(f"members:{name}"))
    assert response.status_code == 403
    assert "王建国" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="member.export").exists()


@pytest.mark.parametrize("name", ["export_xlsx", "export_csv", "roster_print"])
def test_invalid_filters_go_back_to_the_list(client, cast, name):
    login(client, cast.east_secretary)
    response = client.get(reverse(f"members:{name}"), {"branch": cast.west.pk, "q": "x"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('members:list')}?branch={cast.west.pk}&q=x"
    assert not AuditEntry.objects.filter(action="member.export").exists()


# --- query count (rule 10) -------------------------------------------------------------------------


def test_export_query_count_does_not_grow_with_rows(client, cast):
    login(client, cast.admin)
    tag = Tag.objects.create(committee=cast.committee, name="志愿者")

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("members:export_csv"), {"status": "all"})
            rows = csv_rows(response)[1]
        return len(ctx.captured_queries), len(rows)

    few, n = count_queries()
    assert n == 6
    for i in range(24):
        member = make_member(cast.admin, cast.east if i % 2 else cast.west, birth_date=datetime.date(1970 + i, 1, 1))
        member.tags.add(tag)
        BehaviourNote.objects.create(member=member, noted_on=datetime.date(2024, 1, 1), text=f"备注{i}", author=cast.admin)
    many, n = count_queries()
    assert n == 30
    assert many == few


# --- printed roster --------------------------------------------------------------------------------


def test_roster_prints_the_filtered_scope_with_page_numbers(client, cast):
    login(client, cast.east_secretary)
    response = client.get(reverse("members:roster_print"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "size: A4 landscape" in page and "@bottom-center" in page
    assert "counter(page)" in page and "counter(pages)" in page
    assert "display: table-header-group" in page and "@media print" in page
    assert "data-tz-print" in page and "js/taizhang.js" in page and "onclick" not in page  # no inline script (CSP)
    assert 'class="navbar' not in page  # no navigation chrome
    for header in ("姓名", "性别", "出生日期", "人员类别", "所在党支部", "手机号码", "公民身份号码"):
        assert f"<th>{header}</th>" in page
    for name in EAST:
        assert name in page
    for name in WEST | {"刘洋"}:
        assert name not in page
    assert cast.committee.name in page and cast.east.name in page
    member = cast.members_by_name["王建国"]  # a secretary may reveal, but the roster is always masked
    assert member.id_number_masked in page and member.id_number not in page and member.phone not in page
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.new_values["format"] == "print" and entry.new_values["rows"] == 3 and entry.message == "masked"


def test_roster_follows_the_filters_and_describes_them(client, cast):
    login(client, cast.admin)
    page = client.get(reverse("members:roster_print"), {"q": "zwm", "branch": cast.east.pk}).content.decode()
    assert "张伟明" in page and "李秀英" not in page
    assert "zwm" in page and cast.east.name in page  # the filter description
    assert f'{reverse("members:list")}?q=zwm&amp;branch={cast.east.pk}' in page  # back to the same list


def test_page_counter_css_is_a_safe_css_string():
    from taizhang.members.export_views import page_counter_css

    assert page_counter_css("第 %(page)s 页，共 %(pages)s 页") == '"第 " counter(page) " 页，共 " counter(pages) " 页"'
    assert page_counter_css('Page %(page)s "</style>') == '"Page " counter(page) " \\"\\3c /style>"'


# --- manage.py export_members ----------------------------------------------------------------------


def read_csv_file(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return header, [dict(zip(header, r, strict=True)) for r in rows]


def read_xlsx_file(path):
    book = openpyxl.load_workbook(path, read_only=True)
    header, *rows = [[("" if v is None else v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    return header, [dict(zip(header, r, strict=True)) for r in rows]


def test_command_exports_everything_unmasked_as_the_operator(cast, tmp_path, capsys):
    services.flow_record_event(actor=cast.admin, member=Member.objects.get(name="刘洋"), kind="transferred_out",
                               effective_date=datetime.date(2024, 5, 1), reason="转回原籍")
    for name, reader in (("ledger.xlsx", read_xlsx_file), ("ledger.csv", read_csv_file)):
        call_command("export_members", str(tmp_path / name))
        out = capsys.readouterr().out
        assert "6" in out and str(tmp_path / name) in out
        header, rows = reader(tmp_path / name)
        assert header == HEADERS and {r["姓名"] for r in rows} == ALL  # transferred-out members too
        me = next(r for r in rows if r["姓名"] == "张伟明")
        assert (me["公民身份号码"], me["手机号码"]) == (cast.me.id_number, cast.me.phone)
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.actor is None and "manage.py" in entry.actor_username
    assert entry.new_values["source"] == "command" and entry.new_values["unmasked"] and entry.new_values["rows"] == 6
    assert not list(tmp_path.glob(".*.part"))  # no temporary file left behind


def test_command_as_a_user_uses_their_scope_and_masking(cast, tmp_path):
    call_command("export_members", str(tmp_path / "east.data"), "--format", "csv", "--as", "east_secretary")
    _header, rows = read_csv_file(tmp_path / "east.data")
    assert {r["姓名"] for r in rows} == EAST
    assert next(r for r in rows if r["姓名"] == "张伟明")["公民身份号码"] == cast.me.id_number

    # the 学习委员 sees names and study facts only: no ledger export (members/visibility.py)
    with pytest.raises(CommandError):
        call_command("export_members", str(tmp_path / "study.xlsx"), "--as", "study")


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/x.xlsx", "--as", "nobody"], "没有名为“nobody”的有效用户"),
        (["{tmp}/x.xlsx", "--as", "outsider"], "outsider"),
        (["{tmp}/x.txt"], ".xlsx"),
        (["{tmp}/x.xlsx", "--format", "pdf"], "pdf"),
        (["{tmp}/missing/x.xlsx"], "missing"),
        (["{tmp}"], "ledger.xlsx"),
    ],
)
def test_command_fails_clearly(cast, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_members", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert not AuditEntry.objects.filter(action="member.export").exists()
    assert not (tmp_path / "x.xlsx").exists()


def test_the_printed_roster_holds_at_most_its_limit_and_says_so(client, cast, monkeypatch):
    from taizhang.members import export_views

    monkeypatch.setattr(export_views, "ROSTER_PRINT_LIMIT", 4)
    login(client, cast.admin)
    response = client.get(reverse("members:roster_print"))
    assert len(response.context["rows"]) == 4 and response.context["count"] == len(cast.members)
    assert 'id="roster-cut"' in response.content.decode()
    narrowed = client.get(reverse("members:roster_print"), {"branch": cast.east.pk})
    assert len(narrowed.context["rows"]) == 3 and not narrowed.context["cut"]
    entry = AuditEntry.objects.filter(action="member.export").latest("id")
    assert entry.new_values["rows"] == 3
