"""The HTTP half of the scale-out drill (scripts/scale_drill.sh starts the servers, then runs this).

A browser-like client with one cookie jar, talking to two gunicorn instances in turn: it signs in on A,
continues on B, uploads a ledger file on A, watches the worker's dry run from B, commits on B, sees the
result on A, and proves that a report page is read from the replica (its statement log) while the
ledger is not. Only the standard library (urllib + http.cookiejar), openpyxl for the upload (python-stdnum
for its ID numbers' check digit, as the project checks them) and psycopg for the ground truth on the two
PostgreSQL servers — never Django's test client: it must cross processes.

Each step prints one line ``STEP<TAB>name<TAB>OK|FAILED<TAB>detail`` for the summary; the exit status is
non-zero when a step failed (the later steps are then skipped).
"""

import argparse
import datetime
import html
import http.cookiejar
import io
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import openpyxl
import psycopg
from stdnum.cn import ric


class StepFailed(Exception):
    pass


def report(name, ok, detail):
    print(f"STEP\t{name}\t{'OK' if ok else 'FAILED'}\t{detail}", flush=True)


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url, data=None, headers=None):
        """(final url, status, body text); redirects are followed like a browser."""
        req = urllib.request.Request(url, data=data, headers={"Accept-Language": "zh-hans", **(headers or {})})
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.geturl(), response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.geturl(), exc.code, exc.read().decode("utf-8", "replace")

    def get(self, url):
        return self.request(url)

    def post(self, url, fields, files=None, referer=None):
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        return self.request(url, data=body, headers={"Content-Type": content_type, "Referer": referer or url})

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                  f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def csrf_token(page):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise StepFailed("no CSRF token in the page")
    return found.group(1)


def path_of(url):
    return urllib.parse.urlsplit(url).path


# --- the upload: three new members in the ledger's import format (members/ledger_columns.py) ------------------

HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "人员类别", "所在党支部", "手机号码", "入党日期", "转正日期",
           "人员类型", "所在区"]
NAMES = ["司马演练", "欧阳演练", "诸葛演练"]


def citizen_id(birth, male, rng):
    """A valid GB 11643 number: region, birth date, order code (odd for men), check digit."""
    order = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"110105{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "?")  # stdnum ignores the last character (the check digit's place)


def ledger_file(rng):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for i, name in enumerate(NAMES):
        birth = datetime.date(1975 + i * 5, 3 + i, 10 + i)
        sheet.append([name, citizen_id(birth, True, rng), "男", birth.isoformat(), "正式党员", "东部片区支部",
                      f"139{rng.randrange(10**8):08d}", f"{birth.year + 25}-07-01", f"{birth.year + 26}-07-01",
                      "在京工作定居", "朝阳区"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the replica's statement log (log_statement=all, log_line_prefix 'db=%d app=%a ') --------------------------

APP = "taizhang"  # the application_name scale_drill.sh gives the servers' connections (DATABASE_*_URL)


def log_size(path):
    with open(path, "rb") as f:
        return f.seek(0, io.SEEK_END)


def statements_since(path, offset, database):
    """Statements logged on the replica since ``offset`` by the application (not by psql/psycopg checks)."""
    with open(path, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    marker = f"db={database} app={APP} "
    return [line.split("statement: ", 1)[1] for line in text.splitlines()
            if marker in line and "statement: " in line]


def xact_count(dsn, database):
    with psycopg.connect(dsn, autocommit=True, application_name="drill-check") as conn:
        return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                            [database]).fetchone()[0]


# --- the drill --------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="instance A, e.g. http://127.0.0.1:8101")
    parser.add_argument("--b", required=True, help="instance B, e.g. http://127.0.0.1:8102")
    parser.add_argument("--user", default="shuji")
    parser.add_argument("--password", default="Taizhang@2026")
    parser.add_argument("--primary", required=True, help="libpq URL of the primary's drill database")
    parser.add_argument("--replica", required=True, help="libpq URL of the replica's drill database")
    parser.add_argument("--replica-log", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--timeout", type=int, default=120, help="seconds to wait for the worker")
    args = parser.parse_args()
    a, b = args.a.rstrip("/"), args.b.rstrip("/")
    browser = Browser()
    rng = random.Random()
    state = {}

    def login():
        _url, status, page = browser.get(f"{a}/accounts/login/")
        url, status, page = browser.post(f"{a}/accounts/login/", {
            "csrfmiddlewaretoken": csrf_token(page), "username": args.user, "password": args.password,
        })
        if status != 200 or path_of(url) != "/" or not browser.cookie("sessionid"):
            raise StepFailed(f"ended on {path_of(url)} ({status})")
        return f"{args.user} signed in on A ({a}), session cookie set, landed on /"

    def ledger_on_b():
        url, status, page = browser.get(f"{b}/members/")
        if status != 200 or path_of(url) != "/members/":
            raise StepFailed(f"B answered {status} at {path_of(url)}: the session is not shared")
        return f"the same cookie opens the ledger on B ({b}/members/, 200): sessions are in Redis"

    def upload_on_a():
        _url, _status, page = browser.get(f"{a}/members/import/")
        url, status, page = browser.post(f"{a}/members/import/", {"csrfmiddlewaretoken": csrf_token(page)}, files={
            "file": ("drill-ledger.xlsx", ledger_file(rng),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        })
        found = re.fullmatch(r"/members/import/(\d+)/", path_of(url))
        if status != 200 or not found:
            raise StepFailed(f"upload ended on {path_of(url)} ({status})")
        state["run"] = int(found.group(1))
        return f"drill-ledger.xlsx ({len(NAMES)} new members) uploaded on A: import run {state['run']}, check queued"

    def wait_for(base, marker, failure_markers=('id="import-failed"', 'id="import-interrupted"')):
        deadline = time.monotonic() + args.timeout
        started = time.monotonic()
        while time.monotonic() < deadline:
            _url, status, page = browser.get(f"{base}/members/import/{state['run']}/")
            if any(m in page for m in failure_markers):
                raise StepFailed(f"the run failed: {html.unescape(re.sub(r'<[^>]+>', ' ', page))[:200]}")
            if status == 200 and marker in page:
                return page, time.monotonic() - started
            time.sleep(1)
        raise StepFailed(f"no {marker} within {args.timeout} s: is the worker running?")

    def dry_run_on_b():
        page, waited = wait_for(b, 'id="commit-button"')
        state["page"] = page
        if "disabled" in page.split('id="commit-button"')[0].rsplit("<button", 1)[1]:
            raise StepFailed("the dry run found nothing to import")
        return f"B shows the worker's dry run after {waited:.1f} s: {len(NAMES)} rows to import"

    def commit_on_b():
        url, status, page = browser.post(f"{b}/members/import/{state['run']}/commit/",
                                         {"csrfmiddlewaretoken": csrf_token(state["page"])},
                                         referer=f"{b}/members/import/{state['run']}/")
        if status != 200 or path_of(url) != f"/members/import/{state['run']}/":
            raise StepFailed(f"commit ended on {path_of(url)} ({status})")
        return "commit posted on B (CSRF token from B's page, cookie from A's sign-in)"

    def result_on_a():
        page, waited = wait_for(a, 'id="import-done"')
        done = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.split('id="import-done"', 1)[1])))
        _url, status, ledger = browser.get(f"{a}/members/?q=" + urllib.parse.quote("演练"))
        missing = [n for n in NAMES if n not in ledger]
        if missing:
            raise StepFailed(f"not in A's ledger: {', '.join(missing)}")
        done = done.strip(" >").split("。")[0]
        return f"A shows the worker's result after {waited:.1f} s (“{done}”) and its ledger lists all {len(NAMES)}"

    def replica_caught_up():
        deadline = time.monotonic() + 30
        started = time.monotonic()
        while True:
            with psycopg.connect(args.replica, autocommit=True, application_name="drill-check") as conn:
                standby = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                found = conn.execute("SELECT count(*) FROM members_member WHERE name = ANY(%s)", [NAMES]).fetchone()[0]
                lag = conn.execute("SELECT now() - pg_last_xact_replay_timestamp()").fetchone()[0]
            if not standby:
                raise StepFailed("port of the replica is not a standby")
            if found == len(NAMES):
                return (f"the {len(NAMES)} imported members are on the standby (in recovery) "
                        f"{time.monotonic() - started:.1f} s after A showed them; last replayed transaction "
                        f"{lag.total_seconds():.2f} s old")
            if time.monotonic() > deadline:
                raise StepFailed(f"only {found} of {len(NAMES)} imported members replayed on the replica")
            time.sleep(0.5)

    def report_from_replica():
        before_log, before_xacts = log_size(args.replica_log), xact_count(args.replica, args.database)
        url, status, page = browser.get(f"{a}/reports/activities/")
        if status != 200 or path_of(url) != "/reports/activities/":
            raise StepFailed(f"the activity report answered {status} at {path_of(url)}")
        time.sleep(0.5)  # the statement log is written by the server process; give it a moment
        statements = statements_since(args.replica_log, before_log, args.database)
        tables = sorted({t for s in statements for t in re.findall(r'"((?:members|activities|organisation)_\w+)"', s)})
        deadline = time.monotonic() + 15
        while xact_count(args.replica, args.database) <= before_xacts + 1 and time.monotonic() < deadline:
            time.sleep(1)  # pg_stat_database is flushed by the server within ~1-10 s
        xacts = xact_count(args.replica, args.database) - before_xacts - 1  # minus our own first count
        if not statements or not tables:
            raise StepFailed("no statement of the report reached the replica")
        return (f"/reports/activities/ on A: {len(statements)} SELECTs logged on the replica "
                f"({', '.join(tables[:5])}{', …' if len(tables) > 5 else ''}); replica transactions +{xacts}")

    def ledger_not_from_replica():
        before_log = log_size(args.replica_log)
        url, status, _page = browser.get(f"{b}/members/")
        time.sleep(0.5)
        statements = statements_since(args.replica_log, before_log, args.database)
        if status != 200 or statements:
            raise StepFailed(f"status {status}; {len(statements)} statements on the replica")
        return "the ledger (not marked use_replica) ran no statement on the replica"

    steps = [
        ("sign in on A", login),
        ("continue on B with the same session", ledger_on_b),
        ("upload a ledger import on A", upload_on_a),
        ("worker's dry run seen on B", dry_run_on_b),
        ("commit the import on B", commit_on_b),
        ("worker's result seen on A", result_on_a),
        ("replica replayed the import", replica_caught_up),
        ("report read from the replica", report_from_replica),
        ("ledger read from the primary", ledger_not_from_replica),
    ]
    failed = False
    for name, step in steps:
        if failed:
            report(name, False, "skipped (an earlier step failed)")
            continue
        try:
            report(name, True, step())
        except Exception as exc:  # any failure is a FAILED line with its reason, not a traceback
            failed = True
            report(name, False, f"{type(exc).__name__}: {exc}" if not isinstance(exc, StepFailed) else str(exc))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
