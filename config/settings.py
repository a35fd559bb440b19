"""Taizhang settings: everything comes from environment variables with safe local defaults.

Production (TAIZHANG_ENV=production) refuses to start with DEBUG on, the default secret key or the
default field-encryption keys.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env, env_bool, env_int, env_list

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

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DJANGO_DEBUG must be off")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("DJANGO_SECRET_KEY must be set to a long random value")
    if FIELD_ENCRYPTION_KEY == DEFAULT_FIELD_KEY:
        problems.append("TAIZHANG_FIELD_KEY must be set")
    if FIELD_HASH_KEY == DEFAULT_HASH_KEY:
        problems.append("TAIZHANG_HASH_KEY must be set")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))

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
    "django_tasks_db",
    "taizhang.core",
    "taizhang.accounts",
    "taizhang.organisation",
    "taizhang.members",
    "taizhang.activities",
    "taizhang.points",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "taizhang.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# Security policy (DOMAIN_RULES.md "Security"); settings, not constants.
LOCKOUT_FAILURES = env_int("TAIZHANG_LOCKOUT_FAILURES", 5)
LOCKOUT_MINUTES = env_int("TAIZHANG_LOCKOUT_MINUTES", 30)
IDLE_TIMEOUT_MINUTES = env_int("TAIZHANG_IDLE_TIMEOUT_MINUTES", 30)
ADMIN_IDLE_TIMEOUT_MINUTES = env_int("TAIZHANG_ADMIN_IDLE_TIMEOUT_MINUTES", 15)
SESSION_ABSOLUTE_HOURS = env_int("TAIZHANG_SESSION_ABSOLUTE_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
AUDIT_RETENTION_DAYS = env_int("TAIZHANG_AUDIT_RETENTION_DAYS", 365)
ELDERLY_AGE = env_int("TAIZHANG_ELDERLY_AGE", 60)
MIN_JOIN_AGE = 18
COMMITTEE_FOUNDED = env("TAIZHANG_COMMITTEE_FOUNDED", "2017-09-01")
CHECKIN_BEFORE_MINUTES = env_int("TAIZHANG_CHECKIN_BEFORE_MINUTES", 20)
CHECKIN_AFTER_MINUTES = env_int("TAIZHANG_CHECKIN_AFTER_MINUTES", 20)
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
CONTENT_ALLOWED_EXTENSIONS = tuple(e.lower().lstrip(".") for e in env_list(
    "TAIZHANG_CONTENT_ALLOWED_EXTENSIONS",
    ["jpg", "jpeg", "png", "gif", "webp", "pdf", "docx", "doc", "xlsx", "xls", "pptx", "txt"],
))

if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

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
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "WARNING")},
}
