"""Settings of the ITSM product: one module, every value from the environment.

Defaults give an embedded set-up that needs no server (SQLite, a filesystem Celery broker, e-mail
written to files). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and SMTP.
See README.md for the full table.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from itsm.env import env_bool, env_float, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ITSM_VAR_DIR", str(BASE_DIR / "var")))
# Runtime files (beat schedule, embedded broker, mail files) live here whatever the broker: beat
# dies at start without it, and `worker -B` would go on without any periodic sweep.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# pytest sets PYTEST_VERSION; the test suite runs with DEBUG off like production.
TESTING = "PYTEST_VERSION" in os.environ

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production-0123456789abcdef"
    else:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off (or set SECRET_KEY_FILE).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if (DEBUG or TESTING) else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "core",
    "notifications",
    "slm",
    "incidents",
    "knowledge",
    "problems",
    "changes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "core.middleware.RejectNulMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout into the sign-in page with a retry time.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): every script, style, image and font from this origin only;
# no inline script, no inline event handler, no eval (htmx runs with allowEval off, see base.html),
# no inline style (htmx's indicator <style> is switched off; dynamic widths are classes). The API
# docs pages (Swagger UI, Redoc) inject their own styles: they alone allow inline style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF, "data:"],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"
ASGI_APPLICATION = "itsm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
            # |when, |day and |clock: the one date format of each language, on every template.
            "builtins": ["core.templatetags.dates"],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# The development server starts a thread per request: a persistent connection per thread would
# stay open for DB_CONN_MAX_AGE seconds each (several dev servers exhausted max_connections), so
# it closes them after each request unless DB_CONN_MAX_AGE is set explicitly.
_DEV_SERVER = len(sys.argv) > 1 and sys.argv[1] in {"runserver", "rundev"}
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if _DEV_SERVER else 60, minimum=0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The embedded default is shared by runserver and the worker: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if not TESTING:
        # Without Redis the memory cache is per process, so each web process would count API
        # throttles alone: they use a file cache under the var folder, shared by all processes.
        CACHES["throttle"] = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "throttle"),
        }
# The cache the API throttles count in (core.api.throttling): shared by every process.
API_THROTTLE_CACHE = "throttle" if "throttle" in CACHES else "default"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing demo passwords with PBKDF2 dominated the run time of user-heavy tests.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in throttling (django-axes): after LOGIN_RATE_LIMIT failures for one username from one
# client address, that combination is refused for LOGIN_RATE_WINDOW_SECONDS (restarted by every
# further failure). State lives in the database, shared by every web process; /admin/login/ is
# covered because axes watches django.contrib.auth.authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Reverse proxies in front of the application that append to X-Forwarded-For; 0 = none, the
# socket address is the client. Set it to the real number of hops, or clients can forge addresses.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_FAILURE_LIMIT = env_int("LOGIN_RATE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("LOGIN_RATE_WINDOW_SECONDS", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.signin.client_ip"
AXES_LOCKOUT_CALLABLE = "core.signin.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_HTTP_RESPONSE_CODE = 429
# No row per successful sign-in (it grows without bound); failures are kept until they expire.
AXES_DISABLE_ACCESS_LOG = True

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en") or "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} must be one of: en, sv")
LOCALE_PATHS = [BASE_DIR / "locale"]
LOCALE_PATHS.append(BASE_DIR / "incidents" / "major_locale")  # major-incident strings
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm") or "UTC"
# One unambiguous display format per language ("8 Dec 2026, 14:05" / "2026-12-08 14:05"): core.dates.
FORMAT_MODULE_PATH = ["itsm.formats"]
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
ATTACHMENT_ALLOWED_TYPES = env_list(
    "ATTACHMENT_ALLOWED_TYPES",
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".pdf",
        ".txt",
        ".log",
        ".csv",
        ".docx",
        ".xlsx",
        ".pptx",
        ".zip",
        ".eml",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "IT Service Desk <servicedesk@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Notifications outbox ---------------------------------------------------------------------
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
# Back-off: base * 2**(attempt-1) seconds, capped. Tests shorten the base to seconds.
NOTIFY_RETRY_BASE_SECONDS = env_float("NOTIFY_RETRY_BASE_SECONDS", 30.0)
NOTIFY_RETRY_MAX_SECONDS = env_float("NOTIFY_RETRY_MAX_SECONDS", 3600.0)
# A row claimed by a worker that died is free again after this lease. Delivery is at-least-once:
# a worker killed after the SMTP server accepted a message and before the row was marked sent
# re-sends it (same Message-ID) once the lease has run out. The lease therefore only has to
# outlast one send, whose every SMTP step is bounded by EMAIL_TIMEOUT: three timeouts by default.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
NOTIFY_LEASE_SECONDS = env_int("NOTIFY_LEASE_SECONDS", 3 * EMAIL_TIMEOUT, minimum=1)
if NOTIFY_LEASE_SECONDS <= EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"NOTIFY_LEASE_SECONDS={NOTIFY_LEASE_SECONDS} must be longer than EMAIL_TIMEOUT={EMAIL_TIMEOUT}: "
        "a second worker would send a message that is still being sent"
    )

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Otherwise kombu writes the exchange table to ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Creates the schedule file's folder (a `--schedule` path in a fresh volume) before opening it.
CELERY_BEAT_SCHEDULER = "itsm.celery:Scheduler"
# A row that fails in a periodic sweep is set aside for this long (doubling per failure, capped),
# logged and listed in Django admin (Sweep failures), while the sweep carries on with the rest.
SWEEP_FAILURE_RETRY_SECONDS = env_int("SWEEP_FAILURE_RETRY_SECONDS", 300, minimum=1)
SWEEP_FAILURE_RETRY_MAX_SECONDS = env_int("SWEEP_FAILURE_RETRY_MAX_SECONDS", 3600, minimum=1)
# Periodic sweeps; each app adds its own entries here. The sweeps are what guarantees
# correctness: task messages only add promptness.
CELERY_BEAT_SCHEDULE = {
    "notifications-deliver-due": {
        "task": "notifications.tasks.deliver_due_notifications",
        "schedule": env_float("NOTIFY_SWEEP_SECONDS", 30.0),
    },
    "changes-remind-pending-approvals": {
        "task": "changes.tasks.remind_pending_approvals",
        "schedule": 900.0,
    },
    "incidents-major-sweep": {
        "task": "incidents.major.sweep",
        "schedule": env_float("MAJOR_SWEEP_SECONDS", 30.0),
    },
    "incidents-auto-close": {
        "task": "incidents.tasks.auto_close_resolved",
        "schedule": env_float("INCIDENT_AUTO_CLOSE_SWEEP_SECONDS", 900.0),
    },
    "slm-sweep-timers": {
        "task": "slm.tasks.sweep_timers",
        "schedule": env_float("SLA_SWEEP_SECONDS", 60.0),
    },
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Size, nesting and member limits on JSON and form bodies (core.api.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "core.api.parsers.FormParser",
        "core.api.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Per user (per client address when anonymous); 429 with Retry-After beyond the rate.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonThrottle",
        "core.api.throttling.UserReadThrottle",
        "core.api.throttling.UserWriteThrottle",
        "core.api.throttling.UserCreateThrottle",
    ],
    # The anonymous rate keys on the client address: trust X-Forwarded-For only through the same
    # number of proxies as the sign-in throttle (None would take the header as sent, spoofable).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON", "60/min"),
        "user_read": env_rate("API_THROTTLE_READ", "1200/min"),
        "user_write": env_rate("API_THROTTLE_WRITE", "120/min"),
        "user_create": env_rate("API_THROTTLE_CREATE", "30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM API",
    "DESCRIPTION": "REST API of the ITSM product: incidents, problems, changes, service levels, knowledge.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc are served from the sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by several fields, or field names used by several apps ("state");
    # impact and urgency are one set.
    "ENUM_NAME_OVERRIDES": {
        "ChangeStateEnum": "changes.choices.ChangeState",
        "ChangeApprovalStateEnum": "changes.choices.ApprovalState",
        "ChangeRiskEnum": "changes.choices.Risk",
        "KnowledgeArticleStateEnum": "knowledge.choices.ArticleState",
        "TimelineKindEnum": "core.choices.TimelineKind",
        "SlaAgreementKindEnum": "slm.choices.AgreementKind",
        "ImpactUrgencyEnum": "incidents.choices.Impact",
        "IncidentStateEnum": "incidents.choices.State",
        "HoldReasonEnum": "incidents.choices.HoldReason",
        "ResolutionCodeEnum": "incidents.choices.ResolutionCode",
        "ContactChannelEnum": "incidents.choices.ContactChannel",
        "MajorStateEnum": "incidents.choices.MajorState",
    },
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not TESTING)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not TESTING)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not TESTING)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if TESTING else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging: structured JSON lines to stdout -------------------------------------------------
LOG_LEVEL = (env_str("LOG_LEVEL", "INFO") or "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain" if env_bool("LOG_PLAIN", False) else "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failures and lockouts are warnings; the INFO lines (every sign-in) are noise.
        "axes": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- Product settings -------------------------------------------------------------------------
INCIDENT_AUTO_CLOSE_DAYS = env_int("INCIDENT_AUTO_CLOSE_DAYS", 7, minimum=0)
# Change enablement: e-mailed approval links expire after this many days; approvers who have
# not decided are reminded every this many hours (0 = no reminders).
CHANGE_APPROVAL_LINK_MAX_AGE_DAYS = env_int("CHANGE_APPROVAL_LINK_MAX_AGE_DAYS", 7, minimum=1)
CHANGE_APPROVAL_REMINDER_HOURS = env_int("CHANGE_APPROVAL_REMINDER_HOURS", 24, minimum=0)
# Major incidents: default status-update cadence, and how long an acknowledge link stays valid.
MAJOR_DEFAULT_CADENCE_MINUTES = env_int("MAJOR_DEFAULT_CADENCE_MINUTES", 30, minimum=1)
MAJOR_ACK_LINK_MAX_AGE_SECONDS = env_int("MAJOR_ACK_LINK_MAX_AGE_SECONDS", 7 * 24 * 3600, minimum=60)

# Knowledge base: the owner is reminded to review a published article after this many days
# (0 = no default review date); a reader re-opening an article within the dedupe window is not
# counted again; a report-form reading is a deflection when the reader submits no incident
# within the deflection window after it.
KB_REVIEW_INTERVAL_DAYS = env_int("KB_REVIEW_INTERVAL_DAYS", 365, minimum=0)
KB_VIEW_DEDUPE_MINUTES = env_int("KB_VIEW_DEDUPE_MINUTES", 30, minimum=0)
KB_DEFLECTION_WINDOW_MINUTES = env_int("KB_DEFLECTION_WINDOW_MINUTES", 30, minimum=1)
CELERY_BEAT_SCHEDULE["knowledge-review-reminders"] = {
    "task": "knowledge.tasks.remind_review_due",
    "schedule": env_float("KB_REVIEW_REMINDER_SECONDS", 6 * 3600.0),
}

# Problem management: trend detection compares incidents created within the window (days) and
# proposes clusters of at least MIN_SIZE similar ones (short descriptions with a TF-IDF cosine
# similarity of at least SIMILARITY). Administrators can override these in Django admin.
PROBLEM_TREND_WINDOW_DAYS = env_int("PROBLEM_TREND_WINDOW_DAYS", 14, minimum=1)
PROBLEM_TREND_MIN_SIZE = env_int("PROBLEM_TREND_MIN_SIZE", 3, minimum=2)
PROBLEM_TREND_SIMILARITY = env_float("PROBLEM_TREND_SIMILARITY", 0.35)
if not 0 < PROBLEM_TREND_SIMILARITY <= 1:
    raise ImproperlyConfigured(f"PROBLEM_TREND_SIMILARITY={PROBLEM_TREND_SIMILARITY} must be in (0, 1]")
# Distinct OpenAPI enum names for the problems API's choice sets (merged, not replaced).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ProblemStateEnum": "problems.choices.State",
        "ProblemResolutionCodeEnum": "problems.choices.ResolutionCode",
        "ProblemTaskStateEnum": "problems.choices.TaskState",
        "ProblemTaskTypeEnum": "problems.choices.TaskType",
        "ProblemTaskCloseCodeEnum": "problems.choices.TaskCloseCode",
        "ProblemAudienceEnum": "problems.choices.Audience",
        "ProblemCandidateStatusEnum": "problems.choices.CandidateStatus",
        "ProblemCandidateGroupKindEnum": "problems.choices.GroupKind",
        "ImpactUrgencyEnum": "incidents.choices.Impact",
    }
)
from celery.schedules import crontab  # noqa: E402  (kept next to the one entry that needs it)

CELERY_BEAT_SCHEDULE["problems-detect-trends"] = {
    "task": "problems.tasks.detect_trends",
    "schedule": crontab(hour=3, minute=15),
}
# SLA timers: the sweep period (seconds) and exact-time ETA checks for what falls due before it.
SLA_SWEEP_SECONDS = env_float("SLA_SWEEP_SECONDS", 60.0)
SLA_ETA_TASKS = env_bool("SLA_ETA_TASKS", True)
# Calendars with a country keep this year's and the next HOLIDAY_YEARS_AHEAD years' public
# holidays loaded (on save and by this task; each year once).
HOLIDAY_YEARS_AHEAD = env_int("HOLIDAY_YEARS_AHEAD", 1, minimum=0)
CELERY_BEAT_SCHEDULE["slm-load-public-holidays"] = {
    "task": "slm.tasks.load_public_holidays",
    # Monthly rather than once a year: a beat that is down on one day costs nothing.
    "schedule": crontab(minute=30, hour=2, day_of_month=1),
}
