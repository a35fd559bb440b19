"""The ledger's spreadsheet import and export walked through in a real browser (Debian chromium + Playwright).

The import's background tasks run with django-tasks' ImmediateBackend (as in test_import.py): the override is
made before the live server handles a request, and django-tasks resets its backends for every thread when
TASKS changes, so the server thread runs the dry run and the commit inside the request.
"""

import csv
import datetime
import io
import json
import re

import openpyxl
import pytest
from django.urls import reverse

from taizhang.conftest import VIEWPORTS
from taizhang.core.models import AuditEntry
from taizhang.members.ledger_columns import BY_KEY, COLUMNS, ERROR_HEADER
from taizhang.members.models import ImportRun, ImportStatus, Member
from taizhang.members.tests.factories import citizen_id, with_wrong_check_digit

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")
BOM = b"\xef\xbb\xbf"


@pytest.fixture(autouse=True)
def _immediate_tasks_and_media(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- files -------------------------------------------------------------------------------------------------


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a citizen ID number."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def ledger_row(name, birth, gender="M", **values):
    """One row by column key (ledger_columns), as a branch secretary types it."""
    row = {
        "name": name,
        "gender": "男" if gender == "M" else "女",
        "id_number": citizen_id(birth, gender),
        "ethnicity": "汉族",
        "birth_date": birth.isoformat(),
        "education": "大学本科",
        "membership_type": "正式党员",
        "branch": "东部片区支部",
        "phone": "139 1234 5678",
        "join_date": f"{birth.year + 25}-07-01",
        "full_membership_date": f"{birth.year + 26}-07-01",
        "category": "在京工作定居",
        "district": "朝阳区",
        "employer": "北京某物流有限公司",
    }
    row.update(values)
    return row


def xlsx_bytes(rows) -> bytes:
    """A workbook with every ledger column's header (ledger_columns.COLUMNS) and the rows below it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c.key) for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- pages -------------------------------------------------------------------------------------------------


def upload(page, name, content):
    """On the upload page: choose the file, submit; lands on the run page once the progress polling has ended."""
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": XLSX_MIME, "buffer": content}])
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/import/\d+/$", page.url), (page.url, page.locator(".invalid-feedback, .alert").all_inner_texts())
    # With a real worker the page polls #import-progress every second and htmx redirects when the run is done.
    page.locator("#import-summary").wait_for()
    assert page.locator("#import-progress").count() == 0
    return ImportRun.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def summary(page):
    """The five counts of #import-summary: rows, new, changed, unchanged, errors."""
    texts = page.locator("#import-summary .fs-4").all_inner_texts()
    return tuple(int(t.replace(",", "")) for t in texts)


def table_rows(page):
    """(row number, name, action label, details) of each row of #import-rows."""
    return [tuple(cells) for cells in page.locator("#import-rows tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")]


def overflow(page):
    """CSS pixels the page is wider than the viewport it was given. Not ``innerWidth``: with ``is_mobile`` the
    layout viewport grows to fit content that is too wide, so ``scrollWidth - innerWidth`` stays 0 on a phone."""
    return page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]


def scrolling_tables(page):
    """How many ``.table-responsive`` boxes hide part of their table behind a horizontal scroll."""
    return page.evaluate(
        "[...document.querySelectorAll('.table-responsive')].filter(e => e.scrollWidth > e.clientWidth + 1).length")


class Shots:
    """Full-page PNGs (test-artifacts/screenshots/<name>-<kind>.png) and report-import-<kind>.json beside them."""

    def __init__(self, directory):
        self.directory = directory
        self.report = {}

    def __call__(self, page, name, kind):
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        self.report.setdefault(kind, {})[name] = {
            "overflow_px": overflow(page),
            "scrolling_tables": scrolling_tables(page),
            "latin_words": sorted(set(re.findall(r"[A-Za-z]{3,}", page.inner_text("body")))),
        }
        page.screenshot(path=str(self.directory / f"{name}-{kind}.png"), full_page=True)

    def write(self, prefix):
        for kind, pages in self.report.items():
            path = self.directory / f"report-{prefix}-{kind}.json"
            path.write_text(json.dumps(pages, indent=2, ensure_ascii=False))


@pytest.fixture
def shots(screenshot_dir):
    return Shots(screenshot_dir)


# --- the walk ----------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_branch_secretary_imports_fixes_the_error_file_and_imports_again(new_page, live_cast, sign_in, tmp_path, shots):
    cast = live_cast
    secretary = cast.east_secretary
    members_before = Member.objects.count()
    page = sign_in(new_page("desktop"), secretary)
    phone = sign_in(new_page("phone"), secretary)  # the same pages on a phone, for the screenshots

    def shoot(name):
        shots(page, name, "desktop")
        phone.goto(page.url)
        shots(phone, name, "phone")

    # The ledger list → 导入.
    page.goto(reverse("members:list"))
    with page.expect_navigation():
        page.click("#import-button")
    assert page.url.endswith(reverse("members:import_upload"))
    assert page.locator("#id_file").is_visible()
    shoot("import-upload")

    good = ledger_row("孙志强", datetime.date(1980, 5, 17))
    bad_id = ledger_row("周晓燕", datetime.date(1991, 3, 8), "F")
    bad_id["id_number"] = with_wrong_check_digit(bad_id["id_number"])
    west = ledger_row("吴建华", datetime.date(1975, 11, 2), branch="西部片区支部")
    run = upload(page, "东部支部台账.xlsx", xlsx_bytes([good, bad_id, west]))

    # The dry run: 1 new, 2 errors (rows 3 and 4), messages in Chinese; nothing written yet.
    assert run.status == ImportStatus.CHECKED
    assert summary(page) == (3, 1, 0, 0, 2)
    rows = table_rows(page)
    assert [(r[0], r[1]) for r in rows] == [("2", "孙志强"), ("3", "周晓燕"), ("4", "吴建华")]
    assert page.locator("#import-rows tbody tr.table-success").count() == 1
    assert page.locator("#import-rows tbody tr.table-danger").count() == 2
    errors = {r[0]: r[4] for r in rows if r[0] in ("3", "4")}
    assert BY_KEY["id_number"].header in errors["3"] and "校验码" in errors["3"], errors
    assert BY_KEY["branch"].header in errors["4"] and "西部片区支部" in errors["4"], errors
    for text in errors.values():
        assert CJK.search(text.split("：", 1)[-1]) and not re.search(r"[A-Za-z]{4,}", text), text
    assert "(1" in page.locator("#commit-button").inner_text()
    assert Member.objects.count() == members_before
    shoot("import-dry-run-errors")

    # The error file: the rows as uploaded plus the 错误 column.
    with page.expect_download() as info:
        page.click(f"a[href='{reverse('members:import_errors', args=[run.pk])}']")
    error_path = tmp_path / "errors.xlsx"
    info.value.save_as(error_path)
    assert info.value.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(error_path)
    sheet = workbook.active
    headers = [c.value for c in sheet[1]]
    assert headers == [c.header for c in COLUMNS] + [ERROR_HEADER]
    names = [sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)]
    assert names == ["周晓燕", "吴建华"]
    messages = [sheet.cell(row=r, column=len(headers)).value for r in (2, 3)]
    assert messages[0].startswith(BY_KEY["id_number"].header) and messages[1].startswith(BY_KEY["branch"].header)

    # Import the valid row now: the result says the 2 rows with errors were left out.
    with page.expect_navigation():
        page.click("#commit-button")
    page.locator("#import-done").wait_for()
    assert summary(page)[1] == 1
    assert Member.objects.filter(name="孙志强", branch=cast.east).exists()

    # Fix the two rows in the downloaded workbook and upload it again.
    id_col = headers.index(BY_KEY["id_number"].header) + 1
    branch_col = headers.index(BY_KEY["branch"].header) + 1
    wrong = sheet.cell(row=2, column=id_col).value
    assert wrong == bad_id["id_number"]
    sheet.cell(row=2, column=id_col).value = wrong[:17] + check_digit(wrong[:17])
    sheet.cell(row=3, column=branch_col).value = "东部片区支部"
    fixed = io.BytesIO()
    workbook.save(fixed)

    with page.expect_navigation():
        page.click(f"a[href='{reverse('members:import_upload')}']:has(.bi-upload)")
    second = upload(page, "东部支部台账-错误-已改.xlsx", fixed.getvalue())
    assert second.pk != run.pk
    assert summary(page) == (2, 2, 0, 0, 0)
    assert page.locator("#unknown-columns").count() == 0  # the 错误 column is read past
    assert page.locator("#import-rows tbody tr.table-danger").count() == 0
    assert [(r[0], r[1]) for r in table_rows(page)] == [("2", "周晓燕"), ("3", "吴建华")]
    assert page.locator("#commit-button").is_enabled()

    # 确认导入 → the result page.
    with page.expect_navigation():
        page.click("#commit-button")
    page.locator("#import-done").wait_for()
    assert summary(page)[:2] == (2, 2)
    assert summary(page)[4] == 0
    assert "2" in page.locator("#import-done").inner_text()
    assert page.locator("#commit-button").count() == 0
    shoot("import-result")

    # The ledger finds them.
    page.goto(reverse("members:list"))
    assert page.locator("#member-rows tbody tr").count() == 3 + 3
    for name in ("孙志强", "周晓燕", "吴建华"):
        page.goto(reverse("members:list") + f"?q={name}")
        assert page.locator("#member-rows tbody tr").count() == 1, name
        assert name in page.locator("#member-rows tbody tr").inner_text()

    # And the database agrees.
    assert Member.objects.count() == members_before + 3
    created = Member.objects.filter(name__in=["孙志强", "周晓燕", "吴建华"])
    assert set(created.values_list("branch_id", flat=True)) == {cast.east.pk}
    assert created.get(name="周晓燕").id_number == wrong[:17] + check_digit(wrong[:17])
    commits = AuditEntry.objects.filter(action="import.commit").order_by("pk")
    assert [e.actor for e in commits] == [secretary, secretary]
    assert set(ImportRun.objects.values_list("status", flat=True)) == {ImportStatus.COMMITTED}
    assert AuditEntry.objects.filter(action="import.errors_download", actor=secretary).count() == 1
    shots.write("import")


# --- export ------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_admin_exports_the_filtered_list_and_prints_the_roster(new_page, live_cast, sign_in, tmp_path, shots):
    cast = live_cast
    page = sign_in(new_page("desktop"), cast.admin)
    page.goto(reverse("members:list"))
    assert page.locator("#member-rows tbody tr").count() == len(cast.members)
    page.locator("#id_q").press_sequentially("zwm", delay=30)
    page.wait_for_function("() => document.querySelectorAll('#member-rows tbody tr').length === 1")

    # 导出 → CSV: the filter goes with it.
    page.click("#export-menu button.dropdown-toggle")
    csv_link = page.locator(f"#export-menu a[href^='{reverse('members:export_csv')}']")
    csv_link.wait_for()
    assert "q=zwm" in csv_link.get_attribute("href")
    with page.expect_download() as info:
        csv_link.click()
    assert info.value.suggested_filename.endswith(".csv")
    path = tmp_path / "ledger.csv"
    info.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith(BOM), content[:20]
    rows = list(csv.reader(io.StringIO(content[len(BOM):].decode("utf-8"))))
    header, body = rows[0], [r for r in rows[1:] if r]
    assert header[0] == BY_KEY["name"].header
    assert [r[header.index(BY_KEY["name"].header)] for r in body] == ["张伟明"]
    entry = AuditEntry.objects.filter(action="member.export").latest("pk")
    assert entry.actor == cast.admin and entry.new_values["format"] == "csv" and entry.new_values["rows"] == 1
    assert entry.new_values["filters"].get("q") == "zwm"

    # 打印花名册 opens in a new tab.
    page.click("#export-menu button.dropdown-toggle")
    print_link = page.locator(f"#export-menu a[href^='{reverse('members:roster_print')}']")
    print_link.wait_for()
    with page.context.expect_page() as new_tab:
        print_link.click()
    roster = new_tab.value
    roster.wait_for_load_state("load")
    assert roster.locator("h1").inner_text().replace(" ", "") == "党员花名册"
    assert roster.locator("tbody tr").count() == 1
    assert "张伟明" in roster.locator("tbody").inner_text()
    for name in ("李秀英", "赵丽华"):
        assert name not in roster.locator("tbody").inner_text()
    roster.set_viewport_size(VIEWPORTS["desktop"]["viewport"])
    shots(roster, "roster-print", "desktop")
    phone = sign_in(new_page("phone"), cast.admin)
    phone.goto(roster.url)
    shots(phone, "roster-print", "phone")
    shots.write("export")
