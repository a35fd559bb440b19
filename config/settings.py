"""Taizhang settings: everything comes from environment variables with safe local defaults.

Production (TAIZHANG_ENV=production) refuses to start with DEBUG on, the default secret key, unset host
names or missing/malformed field-encryption keys: one line on stderr says what to set (config/env.py
``refuse``), never a traceback.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from config.env import env, env_bool, env_int, env_list, hex_key_problem, refuse

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENT = env("TAIZHANG_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"

DEFAULT_SECRET_KEY = "dev-insecure-taizhang-secret-key-change-me"
DEFAULT_FIELD_KEY = "00112233445566778899aabbccddeeff"
DEFAULT_HASH_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

SECRET_KEY = env("DJANGO_SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Personal data at rest: SM4-GCM key (32 hex chars = 128 bits) and HMAC-SM3 key for exact lookups.
# Deliberately separate from SECRET_KEY so rotating one never touches the other.
FIELD_ENCRYPTION_KEY = env("TAIZHANG_FIELD_KEY", DEFAULT_FIELD_KEY)
FIELD_HASH_KEY = env("TAIZHANG_HASH_KEY", DEFAULT_HASH_KEY)

_key_problems = [
    p for p in (
        hex_key_problem("TAIZHANG_FIELD_KEY", FIELD_ENCRYPTION_KEY, 32,
                        "python3 -c 'import secrets; print(secrets.token_hex(16))'"),
        hex_key_problem("TAIZHANG_HASH_KEY", FIELD_HASH_KEY, 64,
                        "python3 -c 'import secrets; print(secrets.token_hex(32))'"),
    ) if p
]
if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DJANGO_DEBUG must be off: set DJANGO_DEBUG=0")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("DJANGO_SECRET_KEY must be set to a long random value (40 characters or more)")
    if not env("DJANGO_ALLOWED_HOSTS") or "*" in ALLOWED_HOSTS:
        problems.append("DJANGO_ALLOWED_HOSTS must list the site's host names, e.g. taizhang.example.cn (not *)")
    if FIELD_ENCRYPTION_KEY == DEFAULT_FIELD_KEY:
        problems.append("TAIZHANG_FIELD_KEY must be set (32 hex characters, not the development default)")
    if FIELD_HASH_KEY == DEFAULT_HASH_KEY:
        problems.append("TAIZHANG_HASH_KEY must be set (64 hex characters, not the development default)")
    problems += _key_problems
    if problems:
        refuse(problems, prefix="Refusing to start in production (TAIZHANG_ENV=production)")
elif _key_problems:
    refuse(_key_problems)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "django_tasks",
    "taizhang.core",
    "taizhang.accounts",
    "taizhang.organisation",
    "taizhang.members",
    "taizhang.activities",
    "taizhang.points",
    "taizhang.finance",
    "taizhang.care",
    "taizhang.places",
    "taizhang.reports",  # reads every app; nothing reads it
    "taizhang.api",  # the JSON API under /api/v1/ (django-ninja); may read every app, nothing reads it
    "django_tasks_db",  # after the project's apps: taizhang.members overrides its db_worker command
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # answers static files itself: nothing below sees them
    "taizhang.core.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx, before the middleware that answers htmx itself
    "taizhang.accounts.middleware.SessionTimeoutMiddleware",
    "taizhang.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Selects written out in Python, the same HTML as Django's widget templates (taizhang/core/renderers.py)
FORM_RENDERER = "taizhang.core.renderers.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "taizhang.accounts.context_processors.roles",
                "taizhang.reports.context_processors.notices",  # the bell: unread notices
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db' / 'taizhang.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", None)} if env("TEST_DATABASE_NAME", None) else {}
# A streaming read replica of the primary (PostgreSQL hot standby) for the report pages: with this setting
# the views marked use_replica() (taizhang/core/routers.py) read from it, everything else stays on default.
# In tests the alias is a TEST MIRROR of default, so no second server is needed. Unset: nothing changes.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
DATABASE_ROUTERS = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["taizhang.core.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background jobs (long imports/exports): Django's tasks API with the database backend, so a committee
# needs no extra server. `manage.py db_worker` runs them (`make run` starts one next to gunicorn).
TASKS_BACKEND = env("TAIZHANG_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": TASKS_BACKEND, "QUEUES": ["default"]}}
# Periodic tasks (issue 14): (dotted path of a task, every N seconds). The worker (`db_worker`) enqueues each
# when due; the due time lives in the database (core.PeriodicRun), so several workers enqueue it once.
PERIODIC_TASKS = [
    ("taizhang.reports.tasks.send_reminders_task", env_int("TAIZHANG_REMINDERS_EVERY_SECONDS", 3600)),
    # the activity tallies of the month just ended (read live until then): activities.tally_projection
    ("taizhang.activities.tasks.advance_tally_projection_task", env_int("TAIZHANG_TALLIES_EVERY_SECONDS", 3600)),
]
PERIODIC_CHECK_SECONDS = env_int("TAIZHANG_PERIODIC_CHECK_SECONDS", 30)

# activities.MemberMonthTally's covering index INCLUDEs its counts on PostgreSQL (an index-only read of a period);
# SQLite has no INCLUDE and builds the plain index, which is all a single committee needs: not worth a warning
# on every `check`, `migrate` and `runserver`.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# E-mail (reminders): printed on the console unless an SMTP host is given.
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "")
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                    else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "taizhang@localhost")
# The address before the links of e-mailed reminders (the notices page uses the request's own).
SITE_URL = env("TAIZHANG_SITE_URL", "")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "taizhang.accounts.validators.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Security policy (DOMAIN_RULES.md "Security"): the defaults of the policy the security admin edits on
# 安全策略 (taizhang/accounts/policy.py); read through current_policy(), never directly.
LOCKOUT_FAILURES = env_int("TAIZHANG_LOCKOUT_FAILURES", 5)
LOCKOUT_MINUTES = env_int("TAIZHANG_LOCKOUT_MINUTES", 30)
IDLE_TIMEOUT_MINUTES = env_int("TAIZHANG_IDLE_TIMEOUT_MINUTES", 30)
ADMIN_IDLE_TIMEOUT_MINUTES = env_int("TAIZHANG_ADMIN_IDLE_TIMEOUT_MINUTES", 15)
SESSION_ABSOLUTE_HOURS = env_int("TAIZHANG_SESSION_ABSOLUTE_HOURS", 12)
PASSWORD_MIN_LENGTH = env_int("TAIZHANG_PASSWORD_MIN_LENGTH", 8)
ADMIN_PASSWORD_MIN_LENGTH = env_int("TAIZHANG_ADMIN_PASSWORD_MIN_LENGTH", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
AUDIT_RETENTION_DAYS = env_int("TAIZHANG_AUDIT_RETENTION_DAYS", 365)
ELDERLY_AGE = env_int("TAIZHANG_ELDERLY_AGE", 60)
# The oldest age band of the statistics reports (70 and over; DOMAIN_RULES "Members": some schemes exempt 70+)
REPORT_OLD_AGE = env_int("TAIZHANG_REPORT_OLD_AGE", 70)
# Care (issue 11): a year's newspaper list counts the members aged ELDERLY_AGE+ on this day of the year before
# ("MM-DD", default 1 December); the preview page lets staff choose another day.
CARE_SUBSCRIPTION_REFERENCE = env("TAIZHANG_CARE_SUBSCRIPTION_REFERENCE", "12-01")
# 党员之家 reading corner (issue 13): a loan is due this many days after it went out.
PLACES_LOAN_DAYS = env_int("TAIZHANG_PLACES_LOAN_DAYS", 30)
# Lost contact (DOMAIN_RULES "Flow"): warn after this many months without contact (staff record the loss at 6).
CONTACT_WARNING_MONTHS = env_int("TAIZHANG_CONTACT_WARNING_MONTHS", 5)
LOST_CONTACT_MONTHS = env_int("TAIZHANG_LOST_CONTACT_MONTHS", 6)
# Worklist (issue 14; DOMAIN_RULES): consider a formal transfer after this many months away from Beijing;
# probation lasts this many months from joining; a study item without a month is due this many days after it
# is published; the worklist looks at study items of the last N days and visit plans starting within N days.
TRANSFER_CONSIDER_MONTHS = env_int("TAIZHANG_TRANSFER_CONSIDER_MONTHS", 6)
PROBATION_MONTHS = env_int("TAIZHANG_PROBATION_MONTHS", 12)
STUDY_READ_DAYS = env_int("TAIZHANG_STUDY_READ_DAYS", 7)
STUDY_WORKLIST_DAYS = env_int("TAIZHANG_STUDY_WORKLIST_DAYS", 90)
CARE_VISIT_AHEAD_DAYS = env_int("TAIZHANG_CARE_VISIT_AHEAD_DAYS", 30)
# Reminders: an activity is reminded this many hours ahead, the study day this many days ahead.
REMINDER_ACTIVITY_HOURS = env_int("TAIZHANG_REMINDER_ACTIVITY_HOURS", 48)
REMINDER_STUDY_DAY_DAYS = env_int("TAIZHANG_REMINDER_STUDY_DAY_DAYS", 3)
MIN_JOIN_AGE = 18
COMMITTEE_FOUNDED = env("TAIZHANG_COMMITTEE_FOUNDED", "2017-09-01")
CHECKIN_BEFORE_MINUTES = env_int("TAIZHANG_CHECKIN_BEFORE_MINUTES", 20)
CHECKIN_AFTER_MINUTES = env_int("TAIZHANG_CHECKIN_AFTER_MINUTES", 20)
# Points (积分): a committee's defaults until it saves its own 积分设置. The threshold sits above the
# baseline, so a member who took part in nothing all year (and keeps just the baseline) is below it.
POINTS_ANNUAL_BASELINE = env_int("TAIZHANG_POINTS_ANNUAL_BASELINE", 60)
POINTS_THRESHOLD = env_int("TAIZHANG_POINTS_THRESHOLD", 65)
# Party dues: warn when a member has this many consecutive months unpaid (six count as leaving the party).
DUES_WARNING_MONTHS = env_int("TAIZHANG_DUES_WARNING_MONTHS", 5)
# The QR code on the check-in screen changes; a scanned (or forwarded) code works for this long.
CHECKIN_TOKEN_MINUTES = env_int("TAIZHANG_CHECKIN_TOKEN_MINUTES", 3)
# Bulk reveal: more than REVEAL_LIMIT full numbers shown to one user within REVEAL_WINDOW_MINUTES are
# refused and raise a security alert.
REVEAL_LIMIT = env_int("TAIZHANG_REVEAL_LIMIT", 20)
REVEAL_WINDOW_MINUTES = env_int("TAIZHANG_REVEAL_WINDOW_MINUTES", 10)
STUDY_DAY_OF_MONTH = env_int("TAIZHANG_STUDY_DAY_OF_MONTH", 12)
STUDY_DAY_SKIP_HOLIDAYS = env_bool("TAIZHANG_STUDY_DAY_SKIP_HOLIDAYS", False)
# "next_monday": a study day on Saturday or Sunday moves to the following Monday; "none": it stays.
STUDY_DAY_WEEKEND_SHIFT = env("TAIZHANG_STUDY_DAY_WEEKEND_SHIFT", "next_monday")
# Attachments of reflections / discussion notes and study items (心得体会、讨论记录、学习材料).
CONTENT_MAX_FILE_MB = env_int("TAIZHANG_CONTENT_MAX_FILE_MB", 10)
CONTENT_MAX_FILES_PER_NOTE = env_int("TAIZHANG_CONTENT_MAX_FILES_PER_NOTE", 5)
# Spreadsheet imports (ledger and external scores): refused before loading beyond these limits; uploaded
# files (full ID numbers) are deleted once imported or abandoned, and purged after the retention period.
IMPORT_MAX_ROWS = env_int("TAIZHANG_IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_COLUMNS = env_int("TAIZHANG_IMPORT_MAX_COLUMNS", 200)
IMPORT_MAX_UNCOMPRESSED_MB = env_int("TAIZHANG_IMPORT_MAX_UNCOMPRESSED_MB", 200)
IMPORT_FILE_RETENTION_DAYS = env_int("TAIZHANG_IMPORT_FILE_RETENTION_DAYS", 7)
IMPORT_STALE_MINUTES = env_int("TAIZHANG_IMPORT_STALE_MINUTES", 10)
# Exports: a download of more rows than this runs as a background job (a progress page, then a download
# link for the user who asked); its file is kept in storage this many days (``purge_export_files``). A job
# whose worker has not reported for EXPORT_STALE_MINUTES is shown as failed.
EXPORT_BACKGROUND_ROWS = env_int("TAIZHANG_EXPORT_BACKGROUND_ROWS", 20_000)
EXPORT_FILE_RETENTION_DAYS = env_int("TAIZHANG_EXPORT_FILE_RETENTION_DAYS", 3)
EXPORT_STALE_MINUTES = env_int("TAIZHANG_EXPORT_STALE_MINUTES", 10)
CONTENT_ALLOWED_EXTENSIONS = tuple(e.lower().lstrip(".") for e in env_list(
    "TAIZHANG_CONTENT_ALLOWED_EXTENSIONS",
    ["jpg", "jpeg", "png", "gif", "webp", "pdf", "docx", "doc", "xlsx", "xls", "pptx", "txt"],
))

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Reverse proxies in front of gunicorn whose X-Forwarded-For entries are trusted for the client address in the
# audit log (taizhang/core/audit.py client_ip): 1 behind nginx (production), 0 when clients reach gunicorn.
TRUSTED_PROXIES = env_int("TAIZHANG_TRUSTED_PROXIES", 1 if PRODUCTION else 0)

# HSTS (Strict-Transport-Security): browsers then refuse plain HTTP to this host. Django's SecurityMiddleware
# sends it on HTTPS responses only (nginx terminates TLS and sets X-Forwarded-Proto), so it is on by default
# in production and off in development. One year, the usual value once HTTPS works; includeSubDomains
# unless the host name is a parent of other sites still served over plain HTTP.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp), in every environment so a violation shows up in development too.
# Scripts only from our own static files: no inline <script>, no on*= handlers, no eval (htmx is configured
# without it in base.html). Styles: <style> elements only with the per-request nonce (style-src-elem);
# style="" attributes stay allowed (style-src-attr) because the templates use them for layout and they
# cannot run code; browsers without the CSP3 -elem/-attr directives fall back to style-src. img-src data:
# for the SVG icons inside Bootstrap's CSS. TAIZHANG_CSP_REPORT_ONLY=1 only reports violations (to try a
# change of the front end on a live site), it does not block them.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF, "'unsafe-inline'"],
    "style-src-elem": [SELF, NONCE],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": [SELF, "data:"],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if env_bool("TAIZHANG_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
    CONTENT_SECURITY_POLICY = None
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The JSON API (taizhang/api, issue 15): personal access tokens live at most API_TOKEN_MAX_DAYS; each token
# (or session user) may make API_RATE_LIMIT requests ("<number>/<s|min|h|day>", counted in the cache: Redis
# in production); a list answers API_PAGE_SIZE rows unless asked for more, at most API_PAGE_SIZE_MAX.
API_TOKEN_MAX_DAYS = env_int("TAIZHANG_API_TOKEN_MAX_DAYS", 90)
API_RATE_LIMIT = env("TAIZHANG_API_RATE_LIMIT", "120/min")
API_PAGE_SIZE = env_int("TAIZHANG_API_PAGE_SIZE", 20)
API_PAGE_SIZE_MAX = env_int("TAIZHANG_API_PAGE_SIZE_MAX", 100)

# Uploaded files (import files, later attachments) go through Django's storage API; on several hosts
# point this at shared storage.
MEDIA_ROOT = Path(env("TAIZHANG_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"  # never served publicly: downloads go through views that check permissions

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules" / "swagger-ui-dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403) is one line with the user and the path, not the exception's traceback.
    "filters": {"forbidden_one_line": {"()": "taizhang.core.logs.ForbiddenOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["forbidden_one_line"]}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")},
}
