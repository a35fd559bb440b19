#!/usr/bin/env bash
# Start Taizhang the way a server runs it (called by `make run`, after `make install assets messages`):
# migrate, load the demo organisation if the database is empty, collect static files, then gunicorn.
# Running it again never duplicates data. Environment: see README.md (DATABASE_URL, REDIS_URL, PORT, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
PY="$VENV/bin/python"
if [ ! -x "$PY" ] || [ ! -x "$VENV/bin/gunicorn" ]; then
    echo "Dependencies are missing: run 'make run' (or 'make install assets messages') first." >&2
    exit 1
fi

export DJANGO_SETTINGS_MODULE=config.settings
# Serve like production (collected, hashed static files via whitenoise; no debug pages) while keeping the
# development defaults for keys, so a laptop starts with no configuration.
export DJANGO_DEBUG="${DJANGO_DEBUG:-0}"
export PYTHONUNBUFFERED=1

echo "==> 迁移数据库 / applying migrations"
"$PY" manage.py migrate --noinput

# "empty" = no login and no committee yet; anything else is somebody's data and is left alone.
db_state=$("$PY" - <<'PY'
import django
django.setup()
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model

if settings.PRODUCTION:
    print("production")
else:
    populated = get_user_model().objects.exists()
    try:
        populated = populated or apps.get_model("organisation", "Committee").objects.exists()
    except LookupError:
        pass
    print("populated" if populated else "empty")
PY
)

case "$db_state" in
    empty)
        echo "==> 数据库为空，载入演示组织 / empty database: loading the demo organisation"
        PY="$PY" bash scripts/load_demo.sh
        ;;
    production)
        echo "==> TAIZHANG_ENV=production: demo data is never loaded"
        ;;
    *)
        echo "==> 数据库已有数据，跳过演示数据 / database already has data: demo data not loaded"
        ;;
esac

echo "==> 收集静态文件 / collecting static files"
"$PY" manage.py collectstatic --noinput --verbosity 1

# The banner is printed by gunicorn (gunicorn.conf.py: when_ready) once the server is listening.
TAIZHANG_BANNER=$("$PY" - <<'PY'
import runpy
import unicodedata

import django

django.setup()
from django.contrib.auth import get_user_model

FALLBACK = [
    ("shuji", "党委书记"),
    ("dongbu", "东部片区支部书记"),
    ("zhongbu", "中部片区支部书记"),
    ("xibu", "西部片区支部书记"),
    ("xuexi", "学习委员"),
    ("dangyuan", "党员"),
    ("xitong", "系统管理员"),
    ("anquan", "安全管理员"),
    ("shenji", "审计管理员"),
    ("shangji", "上级党组织（只看汇总）"),
    ("caiwu", "财务（经费、捐款）"),
]
password = "Taizhang@2026"
try:
    from taizhang.members import demo

    logins = [(str(item[0]), str(item[1])) for item in demo.DEMO_LOGINS]
    password = getattr(demo, "DEMO_PASSWORD", password)
except Exception:  # the demo module is optional here; fall back to the documented logins
    logins = FALLBACK

existing = set(get_user_model().objects.filter(username__in=[u for u, _ in logins]).values_list("username", flat=True))
logins = [(u, r) for u, r in logins if u in existing]

bind = runpy.run_path("gunicorn.conf.py")["bind"][0]
if bind.startswith("unix:"):
    url = bind
else:
    host, _, port = bind.rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0", "[::]", "::") else host
    url = f"http://{host}:{port}/"


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text, cells):
    return text + " " * (cells - width(text))


rule = "=" * 64
lines = ["", rule, "  台账 Taizhang 已启动 / is running", "", f"  打开 / open:  {url}", ""]
if logins:
    w_user = max(width("用户名 user"), *(width(u) for u, _ in logins))
    w_role = max(width("角色 role"), *(width(r) for _, r in logins))
    lines.append(f"  演示账号 / demo logins (密码 password: {password})")
    lines.append("  " + pad("用户名 user", w_user) + "  角色 role")
    lines.append("  " + "-" * w_user + "  " + "-" * w_role)
    lines += ["  " + pad(u, w_user) + "  " + pad(r, w_role).rstrip() for u, r in logins]
else:
    lines.append("  (no demo logins in this database: it already held data, so load_demo was not run)")
lines += ["", "  Ctrl-C 停止 / stops the server", rule, ""]
print("\n".join(lines))
PY
)
export TAIZHANG_BANNER

echo "==> 启动后台任务进程 / starting the background worker (long imports and exports)"
"$VENV/bin/python" manage.py db_worker --queue-name default --no-reload &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null || true' EXIT INT TERM

echo "==> 启动 gunicorn / starting gunicorn"
"$VENV/bin/gunicorn" --config gunicorn.conf.py
