"""One environment-driven settings module (12-factor).

Every value that differs between a laptop and production comes from an environment variable with a safe
local default: SQLite under ``var/`` and an embedded, server-less Celery broker (kombu's filesystem
transport) so that ``make run`` needs nothing but Python.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-change-me-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin theme (django-unfold) and its integrations come before django.contrib.admin to take its templates.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "django_celery_results",
    "core",
    "accounts",
    "contacts",
    "conversions",
    "reporting",
    "compat",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a refused (locked-out) login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server, the worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file, not shared-cache memory: concurrency tests need real locking with a busy timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# Persistent connections: each web and worker process keeps its connection this many seconds instead of opening one
# per request (a PostgreSQL connection costs a backend process and several milliseconds: a large share of a small
# request). Health checks test a kept connection before the first query of each request or task, so one that a
# restarted PostgreSQL dropped is replaced instead of failing the request. Opening SQLite is free: 0 there.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DATABASE_CONN_MAX_AGE", default=0 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 60
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache every process shares: the API's rate limits and failed-authentication counts live here, so N web
# processes enforce one limit. Locally a directory under var/ (shared by the processes of one machine); in
# production Redis, e.g. CACHE_URL=redis://redis:6379/1 (Django's own Redis backend).
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "admin:login"

# --- Security -----------------------------------------------------------------------------------------------------
# Every warning of `manage.py check --deploy` has its setting here, read from the environment. The defaults suit
# plain-HTTP local development; docs/operations.md lists the production environment, and
# tests/test_deploy_checks.py runs `check --deploy` with exactly that environment.
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https.")
# Behind a TLS-terminating proxy that sets this header (and strips it from clients): the request is HTTPS.
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is REMOTE_ADDR (the header,
# which any client can send, is ignored). The login lockout and the API's failed-authentication limit count per
# client address, so this must match the deployment (accounts.security.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Admin login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins of one username from one address,
# that pair is refused (429, the lockout page) for LOGIN_COOLOFF_MINUTES, even with the right password; a failed
# attempt during the lockout starts the cool-off again. `manage.py axes_reset` unlocks everyone early.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",  # refuses locked-out logins before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_ENABLE_ADMIN = False  # attempts are read and reset with manage.py axes_list_attempts / axes_reset
AXES_VERBOSE = False

# Content-Security-Policy (django-csp). Scripts come only from this site, never inline; the admin theme's
# Alpine.js evaluates its x-data/x-on attributes ('unsafe-eval'), and the admin theme, htmx and Swagger UI set
# inline styles ('unsafe-inline' for styles only). tests/test_csp_browser.py proves the admin and the API docs
# run in Chromium with no violation.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_EVAL],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env("CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = env("CSP_REPORT_URI")

# --- REST API -----------------------------------------------------------------------------------------------------
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="6000/minute")
# Failed API-key authentications per client address; beyond it every key-bearing request from that address is a
# 429 until the count falls below the rate again (accounts.authentication).
API_AUTH_FAILURE_RATE = env("API_AUTH_FAILURE_RATE", default="20/minute")
# A full batch (1000 conversions, every field at its limit) is about 32 MB of JSON; Django's default is 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=40 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasOrganizationApiKey"],
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.EnvelopeAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_THROTTLE_RATE},
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Conversion management API",
    "DESCRIPTION": "The system of record for marketing conversions and the revenue they bring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "WebhookEndpointKindEnum": "webhooks.models.WebhookEndpoint.Kind",
        # The same choices on several fields (a conversion's model, an explanation's model; a touchpoint's kind,
        # an explained touchpoint's kind) are one enum; Topmail's drop-in takes only its three models.
        "AttributionModelEnum": "accounts.models.AttributionModel",
        "TouchpointKindEnum": "conversions.models.Touchpoint.Kind",
        "TopmailAttributionModelEnum": "compat.topmail.serializers.TOPMAIL_ATTRIBUTION_MODELS",
    },
}

# --- Celery -------------------------------------------------------------------------------------------------------
CELERY_QUEUE_DIR = VAR_DIR / "celery-queue"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_QUEUE_DIR.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "store_processed": False,
        "polling_interval": 0.2,
        "control_folder": str(VAR_DIR / "celery-control"),
    }
else:
    # Seconds before a message taken by a worker that died without acknowledging it is delivered again.
    # The sweep that finds such messages runs about every interval × throttle seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds after which a follow-up the broker took but no worker finished is sent again (core.models.FollowUp):
# a message lost with a Redis restarted without its data, or held by a dead worker, is redone, not lost.
FOLLOW_UP_LEASE_SECONDS = env.int("FOLLOW_UP_LEASE_SECONDS", default=300)

# Conversions revalued per transaction when a rate changes (bounded so a task never holds long locks).
REVALUATION_CHUNK_SIZE = env.int("REVALUATION_CHUNK_SIZE", default=2000)

# Webhooks (docs/webhooks.md). Hosts, addresses or CIDR ranges webhooks may reach although not public (and over
# plain http); the key the endpoint secrets are derived from; the retry schedule.
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])
WEBHOOK_SIGNING_KEY = env("WEBHOOK_SIGNING_KEY", default=SECRET_KEY)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_PERIOD_SECONDS = env.int("WEBHOOK_RETRY_PERIOD_SECONDS", default=3 * 86400)
WEBHOOK_SEND_LEASE_SECONDS = env.int("WEBHOOK_SEND_LEASE_SECONDS", default=60)

# --- Logging ------------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; failed logins and lockouts are WARNINGs.
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": env("AXES_LOG_LEVEL", default="WARNING")}},
}

REST_FRAMEWORK["EXCEPTION_HANDLER"] = "core.api.envelope.exception_handler"
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "core.api.envelope.EnvelopePagination"

# The tenant, as the kernel (core/) sees it: named here like AUTH_USER_MODEL, so core never imports accounts.
TENANT_MODEL = "accounts.Organization"
TENANT_MEMBERSHIP_MODEL = "accounts.Membership"

# The admin theme (django-unfold): assets are served from the package's static files, nothing from a CDN.
UNFOLD = {
    "SITE_TITLE": "Conversion management",
    "SITE_HEADER": "Conversion management",
    "SITE_SUBHEADER": "Marketing revenue and attribution",
    "SITE_URL": "/",
    "SITE_SYMBOL": "insights",
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": "/static/core/favicon.svg"}],
    "STYLES": ["/static/core/admin.css"],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    # The admin home (admin:index) is the reporting dashboard: reporting/dashboard/, templates/admin/index.html.
    "DASHBOARD_CALLBACK": "reporting.dashboard.dashboard_callback",
    "SIDEBAR": {"show_search": False, "show_all_applications": False, "navigation": "config.admin_navigation.sidebar"},
}
FORMAT_MODULE_PATH = ["config.formats"]
LOGIN_REDIRECT_URL = "/admin/"  # the admin is the only site people log in to
