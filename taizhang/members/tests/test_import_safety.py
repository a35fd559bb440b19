"""The ledger and points imports against hostile or broken files: control characters, formula-like cells in
the error workbook, limits and mixed encodings reaching the pages as Chinese messages (run these on
PostgreSQL too: NUL is what PostgreSQL refuses)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from taizhang.members import imports
from taizhang.members.models import ImportRun, ImportStatus, Member
from taizhang.members.tests.test_import import HEADERS, csv_bytes, new_row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(client, content, name="ledger.csv") -> ImportRun:
    response = client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.latest("id")


def test_control_characters_are_cell_errors_and_the_valid_rows_still_commit(client, cast):
    client.force_login(cast.admin)
    rows = [new_row("甲"), new_row("乙", 工作单位="北京\x00某公司"), new_row("丙", 工作岗位="组长\x1b"),
            new_row("丁\x00")]
    content = csv_bytes([r | {"备注\x00": "x"} for r in rows], [*HEADERS, "工作单位", "工作岗位", "备注\x00"])
    run = upload(client, content)
    assert run.status == ImportStatus.CHECKED and (run.created, run.errors) == (1, 3)
    errors = {(e["row"], e["column"]): e for e in run.results["error_list"]}
    assert set(errors) == {(3, "工作单位"), (4, "工作岗位"), (5, "姓名")}
    assert "U+0000" in errors[(3, "工作单位")]["message"] and "控制字符" in errors[(3, "工作单位")]["message"]
    assert "U+001B" in errors[(4, "工作岗位")]["message"]
    assert errors[(3, "工作单位")]["value"] == "北京\ufffd某公司"  # shown, never stored with the NUL
    assert run.results["unknown_columns"] == ["备注\ufffd"]
    page = client.get(reverse("members:import_run", args=[run.pk])).content.decode()
    assert "U+0000" in page and "\x00" not in page
    client.post(reverse("members:import_commit", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED, run.message
    assert list(Member.objects.filter(name__in=["甲", "乙", "丙", "丁"]).values_list("name", flat=True)) == ["甲"]


def test_points_import_refuses_control_characters_by_row_and_column(cast):
    from taizhang.points import imports as points_imports

    me = cast.me
    text = f"姓名,身份证号,平台,周期,得分\n{me.name},{me.id_number},学习强国,2026-10,1\n{me.name}\x00,{me.id_number},学习强国,2026-09,1\n"
    report = points_imports.check(actor=cast.admin, committee=cast.committee,
                                  opener=lambda: io.BytesIO(text.encode()), file_name="s.csv")
    assert [r.ok for r in report.rows] == [True, False]
    assert [c for c, _m in report.rows[1].errors] == ["姓名"] and "U+0000" in report.rows[1].errors[0][1]


def test_error_workbook_neutralises_formula_like_cells(tmp_path, cast):
    rows = [new_row("甲", 手机号码="12345", 工作岗位='=HYPERLINK("http://example.com","点我")', 户籍所在地="+1",
                    工作单位="@SUM(1)", 所属行业="-2")]
    path = tmp_path / "ledger.csv"  # text cells, as a hostile file brings them
    path.write_bytes(csv_bytes(rows))
    report = imports.check(imports.Source.from_path(str(path)), user=cast.admin)
    out = tmp_path / "errors.xlsx"
    imports.write_error_file(imports.Source.from_path(str(path)), report.errors, str(out))
    header, row = list(openpyxl.load_workbook(out).active.values)
    cells = dict(zip(header, row, strict=True))
    assert cells["工作岗位"] == '\'=HYPERLINK("http://example.com","点我")'
    assert (cells["户籍所在地"], cells["工作单位"], cells["所属行业"]) == ("'+1", "'@SUM(1)", "'-2")
    # fixed and uploaded again, the values come back as they were typed
    again = imports.check(imports.Source.from_path(str(out)), user=cast.admin)
    assert again.errors and all(e["column"] == "手机号码" for e in again.errors)


@pytest.mark.parametrize("make, name, expected", [
    (lambda: "姓名,公民身份号码\n".encode("gbk") + "张伟明,1\n".encode("gbk") + "李秀英,2\n".encode(), "a.csv", "第 3 行"),
    (lambda: xlsx_bytes([new_row(f"甲{i}") for i in range(5)]), "a.xlsx", "5 行"),
])
def test_refusals_reach_the_page_in_chinese(client, cast, settings, make, name, expected):
    settings.IMPORT_MAX_ROWS = 5
    client.force_login(cast.admin)
    run = upload(client, make(), name)
    assert run.status == ImportStatus.FAILED and expected in run.message
    assert run.message in client.get(reverse("members:import_run", args=[run.pk])).content.decode()
