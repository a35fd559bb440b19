"""Settings for ``benchmarks/bench.py`` only: the project's settings plus Django's admin, so the benchmark can time
the framework's own peer page (the admin changelist of Member on the same data). The application never installs
the admin; nothing but the benchmark imports this module."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

# SimpleAdminConfig: no autodiscover, only the Member admin registered in bench_urls.
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin.apps.SimpleAdminConfig"]
ROOT_URLCONF = "bench_urls"

# the API's per-user rate limit would answer the timed requests with 429
API_RATE_LIMIT = "1000000/min"
