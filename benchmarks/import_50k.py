"""Benchmark the ledger import (run by hand, not in CI).

    DATABASE_URL=sqlite:////tmp/import_bench/bench.sqlite3 .venv/bin/python benchmarks/import_50k.py [--rows 50000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/taizhang_import_bench .venv/bin/python benchmarks/import_50k.py

DATABASE_URL must be given explicitly: the database it points at is migrated and WIPED (``flush``). It then creates a committee with the three branches and a
committee admin ``import_bench``, writes an .xlsx and a UTF-8 (BOM) CSV of N valid new members (valid
citizen ID numbers from ``factories.citizen_id``, every column filled in as people type it), and times
``manage.py import_members`` under ``/usr/bin/time -v`` (wall time and maximum resident set size):

    1. dry run of the .xlsx          2. dry run of the .csv
    3. --commit of the .xlsx         4. dry run of the same .xlsx again (every row unchanged)
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

USER = "import_bench"


def setup_database():
    from taizhang.accounts.models import RoleAssignment, User
    from taizhang.organisation.models import DEFAULT_BRANCHES, Branch, Committee, District

    call_command("migrate", "--noinput", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    committee = Committee.objects.create(name="导入基准党委", founded_on=datetime.date(2017, 9, 1))
    for order, (code, name, names) in enumerate(DEFAULT_BRANCHES):
        branch = Branch.objects.create(committee=committee, code=code, name=name, sort_order=order)
        for i, d in enumerate(names):
            District.objects.create(committee=committee, name=d, branch=branch, sort_order=i)
    admin = User.objects.create_user(USER, password="x")
    RoleAssignment.objects.create(user=admin, role="committee_admin", committee=committee)


def rows(n):
    from taizhang.members.ledger_columns import COLUMNS
    from taizhang.members.tests.factories import NAMES, citizen_id
    from taizhang.organisation.models import DEFAULT_BRANCHES

    districts = [(name, d) for _code, name, ds in DEFAULT_BRANCHES for d in ds]
    categories = ["在京工作定居", "无工作长期居住", "驻京办事处或出差"]
    yield [c.header for c in COLUMNS]
    for i in range(n):
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=(i // 500) * 97)
        gender = "MF"[i % 2]
        branch, district = districts[i % len(districts)]
        join = datetime.date(birth.year + 25, 7, 1)
        values = {
            "name": NAMES[i % len(NAMES)] + ("" if i % 3 else "华"),
            "gender": "男" if gender == "M" else "女",
            "id_number": citizen_id(birth, gender, sequence=i),
            "ethnicity": "汉族",
            "birth_date": birth.isoformat(),
            "education": "大学本科",
            "membership_type": "正式党员",
            "branch": branch if i % 4 else branch.replace("片区", ""),
            "phone": f"139 {i // 10000:04d} {i % 10000:04d}",
            "join_date": join.strftime("%Y/%-m/%-d") if i % 2 else join.isoformat(),
            "full_membership_date": f"{join.year + 1}年7月1日",
            "position": "职员",
            "residence": f"北京市{district}某街道{i % 100}号",
            "household_registration": "山东省青岛市市南区",
            "lost_contact": "否",
            "is_mobile": "是",
            "category": categories[i % 3],
            "district": district,
            "employer": "某公司",
            "industry": "服务业",
            "tags": "志愿者骨干" if i % 10 == 0 else "",
            "remarks": "",
            "registered_on": "2019-03-01",
        }
        yield [values.get(c.key, "") for c in COLUMNS]


def write_xlsx(path, n):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("党员台账")
    for r, values in enumerate(rows(n)):
        for c, value in enumerate(values):
            if value != "":
                sheet.write_string(r, c, value)
    workbook.close()


def write_csv(path, n):
    import csv

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for values in rows(n):
            writer.writerow(values)


def timed(label, args):
    command = ["/usr/bin/time", "-v", sys.executable, str(ROOT / "manage.py"), "import_members", *args,
               "--format", "json"]
    started = time.perf_counter()
    env = os.environ | {"DJANGO_DEBUG": "false"}  # as in production: no query log kept in memory
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    elapsed = time.perf_counter() - started
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    try:
        result = json.loads(done.stdout)
        summary = {k: result[k] for k in ("rows", "created", "updated", "unchanged")} | {"errors": len(result["errors"])}
    except (json.JSONDecodeError, KeyError):
        summary = {"exit": done.returncode, "stderr": done.stderr[-500:]}
    mb = int(rss.group(1)) / 1024 if rss else float("nan")
    print(f"{label:<38} {elapsed:7.1f} s  {mb:7.0f} MB max RSS  {summary}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--out", default="/tmp/import_bench")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a database that may be wiped (see the docstring).")
    from django.db import connection

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    xlsx, csv_path = out / f"ledger_{args.rows}.xlsx", out / f"ledger_{args.rows}.csv"
    started = time.perf_counter()
    write_xlsx(xlsx, args.rows)
    write_csv(csv_path, args.rows)
    print(f"files written in {time.perf_counter() - started:.1f} s: {xlsx} ({xlsx.stat().st_size // 1024} KB), "
          f"{csv_path} ({csv_path.stat().st_size // 1024} KB)")
    setup_database()
    connection.close()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    timed("1. dry run .xlsx", [str(xlsx), "--as", USER])
    timed("2. dry run .csv", [str(csv_path), "--as", USER])
    timed("3. commit .xlsx", [str(xlsx), "--as", USER, "--commit"])
    timed("4. dry run .xlsx again (unchanged)", [str(xlsx), "--as", USER])


if __name__ == "__main__":
    main()
