"""Every bad argument of every project command: a Chinese message naming what is wrong, a non-zero exit
status, no stack trace — run the way an operator runs them (``manage.py <command> …``)."""

import datetime
import re

import pytest
from django.core.management import ManagementUtility, get_commands, load_command_class
from django.utils import timezone

from taizhang.core.commands import ProjectCommand

CJK = re.compile(r"[\u4e00-\u9fff]")
FUTURE = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()


def project_commands() -> dict:
    return {name: app for name, app in get_commands().items() if app.startswith("taizhang.")}


def run(capsys, *argv):
    """``manage.py argv…`` in this process; returns (exit status, stdout, stderr)."""
    try:
        ManagementUtility(["manage.py", *argv]).execute()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_refused(status, err, *words):
    assert status != 0
    assert "Traceback" not in err
    assert CJK.search(err), err
    for word in words:
        assert word in err, (word, err)


def test_every_project_command_uses_the_shared_base_class():
    others = [name for name, app in project_commands().items()
              if not isinstance(load_command_class(app, name), ProjectCommand)]
    assert others == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(project_commands()))
def test_an_unknown_option_is_refused_in_chinese(capsys, name):
    status, _out, err = run(capsys, name, "--no-such-option")
    assert_refused(status, err)
    assert "--no-such-option" in err or "缺少必需的参数" in err  # argparse names a missing argument first


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(project_commands()))
def test_a_bad_value_of_a_common_option_is_refused_in_chinese(capsys, name):
    status, _out, err = run(capsys, name, "--verbosity", "9")
    assert_refused(status, err)
    assert "--verbosity" in err or "缺少必需的参数" in err


@pytest.fixture
def ledger_file(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("姓名,公民身份号码\n", encoding="utf-8")
    return path


CASES = [
    # (command and arguments, words the message must contain)
    (["roster", "--as-of", "2024-02-30"], ["--as-of", "2024-02-30"]),
    (["roster", "--as-of", "24-1-1"], ["--as-of", "24-1-1"]),
    (["roster", "--as-of", FUTURE], ["--as-of", FUTURE]),
    (["roster", "--as-of"], ["--as-of"]),
    (["roster", "--format", "xml"], ["--format", "xml", "json"]),
    (["roster", "--as", "nobody"], ["--as", "nobody"]),
    (["activity_summary"], ["--from", "--to"]),
    (["activity_summary", "--from", "2020-01-01"], ["--to"]),
    (["activity_summary", "--from", FUTURE, "--to", FUTURE], ["--from", FUTURE]),
    (["activity_summary", "--from", "2021-01-01", "--to", "2020-01-01"], ["2020-01-01"]),
    (["activity_summary", "--from", "2020-01-01", "--to", "2020-12-31", "--committee", "无此党委"], ["无此党委"]),
    (["activity_summary", "--from", "2020-01-01", "--to", "2020-12-31", "--format", "csv"], ["--format", "csv"]),
    (["study_days"], ["year"]),
    (["study_days", "20x6"], ["20x6"]),
    (["study_days", "2026", "--format", "xml"], ["--format", "xml"]),
    (["points_recompute", "--from", FUTURE], ["--from", FUTURE]),
    (["points_recompute", "--to", "2026-13-01"], ["--to", "2026-13-01"]),
    (["points_recompute", "--from", "2021-01-01", "--to", "2020-01-01"], []),
    (["points_recompute", "--committee", "无此党委"], ["无此党委"]),
    (["export_members"], ["PATH"]),
    (["export_members", "{tmp}/ledger.pdf"], ["ledger.pdf"]),
    (["export_members", "{tmp}/ledger.xlsx", "--format", "pdf"], ["pdf"]),
    (["export_members", "{tmp}/ledger.xlsx", "--as", "nobody"], ["nobody"]),
    (["export_members", "{tmp}/no/such/folder/ledger.xlsx"], ["folder"]),
    (["import_members"], ["path"]),
    (["import_members", "{tmp}/missing.xlsx"], ["missing.xlsx"]),
    (["import_members", "{ledger}", "--commit"], ["--commit", "--as"]),
    (["import_members", "{ledger}", "--as", "nobody"], ["nobody"]),
    (["import_members", "{ledger}", "--format", "xml"], ["--format", "xml"]),
    (["purge_audit_log", "--dry-run=yes"], ["--dry-run"]),
    (["purge_import_files", "--days", "abc"], ["--days", "abc"]),
    (["purge_import_files", "--days", "0"], ["1"]),
    (["purge_export_files", "--days", "abc"], ["--days", "abc"]),
    (["db_worker", "--interval", "often"], ["--interval", "often"]),
    (["rebuild_projections", "--committee", "abc"], ["abc"]),
    (["rebuild_projections", "--format", "xml"], ["xml"]),
    (["verify_audit_log", "--format", "xml"], ["--format", "xml"]),
    (["backup"], ["PATH"]),
    (["backup", "{tmp}/no/such/folder/b.tar.gz"], ["folder"]),
    (["backup", "{tmp}"], []),
    (["restore"], ["PATH"]),
    (["restore", "{tmp}/missing.tar.gz"], ["missing.tar.gz"]),
    (["restore", "{ledger}"], ["ledger.csv"]),
    (["load_demo", "extra"], ["extra"]),
    (["load_demo_activities", "extra"], ["extra"]),
    (["load_demo_points", "extra"], ["extra"]),
    (["load_demo_finance", "extra"], ["extra"]),
    (["donation_summary"], ["campaign_id"]),
    (["finance_summary"], ["--year"]),
    (["finance_summary", "--year", "abc"], ["abc"]),
    (["finance_summary", "--year", "2026", "--committee", "无此党委"], ["无此党委"]),
    (["finance_summary", "--year", "1999", "--format", "xml"], ["--format", "xml"]),
    (["care_festivals"], ["year"]),
    (["care_festivals", "abc"], ["abc"]),
    (["care_festivals", "1800"], ["1901"]),
    (["care_festivals", "2026", "--format", "xml"], ["--format", "xml"]),
    (["care_subscriptions"], ["year"]),
    (["care_subscriptions", "2027", "--committee", "无此党委"], ["无此党委"]),
    (["care_subscriptions", "1999"], ["2000"]),
    (["care_subscriptions", "2027", "--day", "2026-13-01"], ["--day"]),
    (["load_demo_care"], ["load_demo"]),
    (["donation_summary", "abc"], ["abc"]),
    (["donation_summary", "999"], ["999"]),
    (["donation_summary", "1", "--format", "xml"], ["--format", "xml"]),
    (["places_summary", "--committee", "无此党委"], ["无此党委"]),
    (["places_summary", "--format", "xml"], ["--format", "xml"]),
    (["load_demo_places"], ["load_demo"]),
    (["report_flow"], ["--from", "--to"]),
    (["report_flow", "--from", "2024-12-31", "--to", "2024-01-01"], ["--to", "2024-01-01"]),
    (["report_flow", "--from", "2024-01-01", "--to", FUTURE], ["--to", FUTURE]),
    (["report_flow", "--from", "2024/1/1", "--to", "2024-12-31"], ["--from", "2024/1/1"]),
    (["report_flow", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "xml"], ["--format", "xml"]),
    (["report_composition", "--by", "branch,height"], ["--by", "height"]),
    (["report_composition", "--by", "branch,gender,category"], ["--by"]),
    (["report_composition", "--as-of", "2024-02-30"], ["--as-of", "2024-02-30"]),
    (["report_composition", "--as", "nobody"], ["--as", "nobody"]),
    (["flush", "--database", "nowhere", "--noinput"], ["nowhere"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("argv", "words"), CASES, ids=[" ".join(argv) for argv, _w in CASES])
def test_bad_arguments_are_refused_in_chinese(capsys, tmp_path, ledger_file, argv, words):
    fill = {"tmp": str(tmp_path), "ledger": str(ledger_file)}
    argv = [arg.format(**fill) for arg in argv]
    status, _out, err = run(capsys, *argv)
    assert_refused(status, err, *[w.format(**fill) for w in words])


def test_the_cases_cover_every_project_command():
    covered = {argv[0] for argv, _words in CASES}
    assert set(project_commands()) - covered == set()
