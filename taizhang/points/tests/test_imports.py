"""External platform scores: dry run with errors by row and column, commit, snapshots side by side."""

import decimal
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from taizhang.points import imports
from taizhang.points.models import ExternalScore, ExternalScoreImport
from taizhang.points.selectors import latest_external_scores

pytestmark = pytest.mark.django_db


def opener(text: str):
    data = text.encode("utf-8")
    return lambda: io.BytesIO(data)


def csv(*lines) -> str:
    return "\n".join(["姓名,身份证号,手机号,平台,周期,得分", *lines]) + "\n"


def run(cast, text, *, commit=False, actor=None):
    fn = imports.commit if commit else imports.check
    return fn(actor=actor or cast.admin, committee=cast.committee, opener=opener(text), file_name="scores.csv")


def test_dry_run_lists_every_row_with_errors_by_row_and_column(cast):
    me, west = cast.me, cast.west_members[0]
    text = csv(
        f"{me.name},{me.id_number},,学习强国,2026-10,1234",
        f"{west.name},,{west.phone},灯塔-党建在线,2026年,88.5",
        f"{me.name},{me.id_number},,微信,2026-13,abc",
        f"别人,{west.id_number},,学习强国,2026-10,1",
        "无名,,,学习强国,2026-10,1",
        f"{me.name},{me.id_number},,强国,2026.10,5",
    )
    report = run(cast, text)
    assert [r.number for r in report.rows] == [2, 3, 4, 5, 6, 7]
    assert [r.ok for r in report.rows] == [True, True, False, False, False, False]
    assert report.rows[1].period == "2026" and report.rows[1].score == decimal.Decimal("88.50")
    columns = {r.number: [c for c, _m in r.errors] for r in report.rows}
    assert columns[4] == ["平台", "周期", "得分"]
    assert columns[5] == ["姓名"]
    assert columns[6] == ["身份证号"]
    assert columns[7] == ["周期"]  # the same member, platform and period as row 2
    assert report.rows[3].errors[0][1] == _("The name does not match the member found (%(name)s).") % {
        "name": west.name}
    assert not ExternalScore.objects.exists()


def test_members_outside_the_importers_scope_are_row_errors(cast):
    from taizhang.members.tests.factories import UserFactory, grant, make_committee, make_member

    other = make_committee(name="另一个党委")
    other_admin = UserFactory(username="other_admin")
    grant(other_admin, "committee_admin", other)
    stranger = make_member(other_admin, other.east, name="王外人")
    report = run(cast, csv(f"{stranger.name},{stranger.id_number},,学习强国,2026-10,1"))
    assert report.rows[0].errors == [("身份证号", _("This member is not in your part of the ledger."))]
    with pytest.raises(PermissionDenied):  # no points.manage: refused as a whole
        run(cast, csv(), actor=cast.east_secretary)


def test_missing_columns_and_empty_files_are_named(cast):
    report = run(cast, "姓名,得分\n张伟明,1\n")
    assert "平台" in report.file_error and "周期" in report.file_error and "身份证号" in report.file_error
    assert run(cast, "").file_error
    assert run(cast, csv()).file_error
    bad = imports.check(actor=cast.admin, committee=cast.committee, opener=opener("x"), file_name="a.pdf")
    assert bad.file_error


def test_commit_writes_valid_rows_in_one_import(cast):
    me = cast.me
    report = run(cast, csv(f"{me.name},{me.id_number},,学习强国,2026-10,1234", "无名,,,学习强国,2026-10,1"),
                 commit=True)
    score_import = report.score_import
    assert (score_import.row_count, score_import.error_count) == (1, 1)
    assert len(score_import.sha256) == 64
    score = ExternalScore.objects.get()
    assert (score.member, score.platform, score.period, score.score) == (me, "xuexi", "2026-10", 1234)
    assert (score.period_start.isoformat(), score.period_end.isoformat()) == ("2026-10-01", "2026-10-31")


def test_commit_is_all_or_nothing(cast, monkeypatch):
    me = cast.me

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "audit_log", boom)
    with pytest.raises(RuntimeError):
        run(cast, csv(f"{me.name},{me.id_number},,学习强国,2026-10,1234"), commit=True)
    assert not ExternalScoreImport.objects.exists() and not ExternalScore.objects.exists()


def test_later_import_is_kept_beside_the_earlier_and_newest_is_used(cast):
    me = cast.me
    run(cast, csv(f"{me.name},{me.id_number},,学习强国,2026-10,1000", f"{me.name},{me.id_number},,学习强国,2026-09,800"),
        commit=True)
    run(cast, csv(f"{me.name},{me.id_number},,学习强国,2026-10,1100"), commit=True)
    assert ExternalScore.objects.filter(member=me, period="2026-10").count() == 2
    latest = latest_external_scores([me.pk])[me.pk]
    assert [(s.period, s.score) for s in latest] == [("2026-10", 1100), ("2026-09", 800)]


def test_xlsx_template_reads_back(cast):
    from taizhang.core.exporting import xlsx_tempfile

    header, _rows = imports.template_rows()
    me = cast.me
    f, _count = xlsx_tempfile(header, [[me.name, me.id_number, "", "灯塔-党建在线", "2026", "90"]])
    data = f.read()
    f.close()
    report = imports.check(actor=cast.admin, committee=cast.committee, opener=lambda: io.BytesIO(data),
                           file_name="t.xlsx")
    assert [r.ok for r in report.rows] == [True]


def test_score_uploads_have_the_ledger_imports_limits(cast, client, settings, monkeypatch):
    """One reader and one set of limits for every import (core.imports): the upload size of the ledger
    import (20 MB, was 10 MB here) and its row limit while reading."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from taizhang.core import imports as core_imports
    from taizhang.members import imports as ledger_imports

    assert ledger_imports.MAX_UPLOAD_BYTES == core_imports.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    client.force_login(cast.admin)
    monkeypatch.setattr(core_imports, "MAX_UPLOAD_BYTES", 10)
    upload = SimpleUploadedFile("scores.csv", csv("张伟明,,,学习强国,2026-10,1").encode())
    response = client.post(reverse("points:import"), {"file": upload})
    assert "可导入的文件最大为0 MB" in str(response.context["form"].errors["file"])
    assert not ExternalScoreImport.objects.exists()
    settings.IMPORT_MAX_ROWS = 2
    report = run(cast, csv(*[f"张伟明,,,学习强国,2026-{m:02d},1" for m in range(1, 5)]))
    assert report.file_error and not report.rows
