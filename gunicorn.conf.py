"""Gunicorn settings for Taizhang — used by ``make run`` and, behind nginx, in production.

Environment:
  TAIZHANG_BIND     full bind address, e.g. ``0.0.0.0:8000`` or ``unix:/run/taizhang/gunicorn.sock``
  PORT              port (or ``host:port``) when TAIZHANG_BIND is not set; default 127.0.0.1:8000
  WEB_CONCURRENCY   worker processes (default 2); the web tier is stateless, so add hosts to scale out
  GUNICORN_TIMEOUT  seconds before a silent worker is restarted (default 60)
"""

import os
import sys


def _bind():
    explicit = os.environ.get("TAIZHANG_BIND", "").strip()
    if explicit:
        return explicit
    port = os.environ.get("PORT", "").strip() or "8000"
    return port if ":" in port else f"127.0.0.1:{port}"


wsgi_app = "config.wsgi:application"
bind = [_bind()]
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
proc_name = "taizhang"
control_socket_disable = True  # gunicornc is not used; the socket would land in $HOME and clash between instances
accesslog = "-"
errorlog = "-"
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server):
    """Read Django's settings in the master, before any worker starts: a configuration that production
    refuses (config/env.py ``refuse``) then stops gunicorn with its one line, instead of every worker
    failing in turn."""
    import importlib

    importlib.import_module(os.environ.get("DJANGO_SETTINGS_MODULE") or "config.settings")


def when_ready(server):
    """Print the banner prepared by scripts/run.sh once the socket is listening."""
    banner = os.environ.get("TAIZHANG_BANNER")
    if banner:
        print(banner, file=sys.stdout, flush=True)
