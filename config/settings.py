"""One settings module, driven by environment variables.

DATABASE_URL   database (default: SQLite file var/db.sqlite3)
CROSS_TENANT_DATABASE_URL  the same PostgreSQL database as the cross-tenant role (BYPASSRLS)
REDIS_URL      Celery broker and result backend (default: the filesystem broker in var/broker)
SECRET_KEY     required when DEBUG is off
DEBUG          "1" for development (default), "0" for production
ALLOWED_HOSTS  comma-separated
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# The secrets that encrypt each tenant's seal private key, comma-separated, newest first: the newest
# encrypts, every one listed decrypts (each row names its key id). To rotate, put a new secret first,
# run `manage.py rotate_seal_keys`, then drop the old one. Default: SECRET_KEY, as before the list.
SEAL_KEYS = env_list("SEAL_KEYS", "") or [SECRET_KEY]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenancy.apps.TenancyConfig",
    "contracts",
    "sla",
    "orders",
    "confirmations",
    "billing",
    "reviews",
    "disputes",
    "integrations.webhooks",
    "integrations.idempotency",
    "integrations.mail",
    "integrations.accounting",
    "search",
    "demo",
]

MIDDLEWARE = [
    "config.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.ApiRequestLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenancy.middleware.TenantMiddleware",
    "tenancy.preferences.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.tenancy",
                "tenancy.notification_context.notifications",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
# Persistent connections (checked before reuse): a new PostgreSQL connection per request costs more
# than the request. Safe with row-level security: the tenant is set per statement (tenancy.rls).
CONN_MAX_AGE = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")} if os.environ.get("SQLITE_TEST_FILE") else {}
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# The hot lists' statements, compiled once per process, are also prepared once per connection
# (tenancy.prepared): PostgreSQL then skips planning them on every request. 0 turns it off (e.g. behind
# a pooler in transaction mode, where a connection's prepared statements are not the session's).
DATABASE_PREPARED_STATEMENTS = os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") != "0"
if USES_POSTGRES:
    # RLS settings are prefixed to each statement (tenancy.rls); a server-side cursor's
    # DECLARE cannot carry that prefix, and transaction-mode poolers cannot keep one either.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # The lists' queries are index ranges of a few dozen rows; JIT compilation (triggered by the
    # planner's cost estimate on big tables) would add tens of milliseconds to each.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

# The API's hot lists compile their statement once per process (tenancy.api_rows); under pytest each
# reuse is compiled again and compared, so that a key missing something the statement depends on fails.
API_LIST_STATEMENTS_VERIFY = env_bool("API_LIST_STATEMENTS_VERIFY", "pytest" in sys.modules)

# Cross-tenant work (the SLA sweep, public verification) connects as a role of its own, with
# BYPASSRLS and the application role's privileges; the application's role has no way past its
# tenant's rows (tenancy.db_router). Same database as DATABASE_URL, another user. Unset (or on
# SQLite) cross-tenant work uses the default connection — on PostgreSQL that is refused outside
# tests. Under pytest cross-tenant work shares the test's connection, so that it sees the test's
# uncommitted rows; the isolation tests switch to the real second connection.
CROSS_TENANT_DATABASE_URL = os.environ.get("CROSS_TENANT_DATABASE_URL", "")
CROSS_TENANT_SHARED_CONNECTION = env_bool("CROSS_TENANT_SHARED_CONNECTION", "pytest" in sys.modules)
if USES_POSTGRES and CROSS_TENANT_DATABASE_URL:
    _cross = dj_database_url.parse(CROSS_TENANT_DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)
    if any(_cross[key] != DATABASES["default"][key] for key in ("ENGINE", "NAME", "HOST", "PORT")):
        raise ImproperlyConfigured("CROSS_TENANT_DATABASE_URL must name the database of DATABASE_URL "
                                   "(same host, port and name), as another role.")
    _cross["DISABLE_SERVER_SIDE_CURSORS"] = True
    _cross.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    _cross["TEST"] = {"MIRROR": "default"}  # the test database, as this role
    DATABASES["cross_tenant"] = _cross
DATABASE_ROUTERS = ["tenancy.db_router.CrossTenantRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- uploaded files -------------------------------------------------------------------------
# Order attachments. No MEDIA_URL is served: files go out only through the order download views,
# which check the tenant and the side (never expose this directory from the web server).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
ORDER_ATTACHMENT_MAX_BYTES = int(os.environ.get("ORDER_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenancy.api_auth.TenantApiPermission"],
    # DRF's JSON renderer writing plain JSON with orjson, the same bytes (tenancy.api_render)
    "DEFAULT_RENDERER_CLASSES": [
        "tenancy.api_render.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "tenancy.api_input.ApiJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "tenancy.api_input.ApiFilterBackend",
        "tenancy.api_input.ApiSearchFilter",
        "tenancy.api_input.ApiOrderingFilter",
    ],
    # per API key (or session user) and tenant, reads and writes apart (integrations.idempotency)
    "DEFAULT_THROTTLE_CLASSES": ["integrations.idempotency.throttling.ApiRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "tenancy.api_rows.ListPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenancy.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles read REMOTE_ADDR, which TrustedProxyMiddleware has already set from the trusted proxies.
    "NUM_PROXIES": 0,
}
# Mixed into tenancy.api_base.TenantViewSet, the base of every API viewset: every POST takes an
# Idempotency-Key and every answer carries the rate-limit headers.
API_VIEWSET_HOOKS = ["integrations.idempotency.hooks.IdempotentWritesMixin"]
SPECTACULAR_SETTINGS = {
    "TITLE": "Service-contract platform API",
    "DESCRIPTION": "Clients, providers, contracts and their transitions; client orders and incidents with "
    "their SLA clocks, breaches, SLA policies, business calendars and force majeure. "
    "Authenticate with `Authorization: Bearer <api key>`. Every POST takes an `Idempotency-Key` header "
    "(safe retries: the stored answer comes back marked `Idempotent-Replayed: true`). Requests are rate-limited "
    "per API key, reads and writes apart; every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and "
    "`RateLimit-Reset`, and a 429 carries `Retry-After`. A GET takes the query parameters it documents "
    "(and `format`); any other is a 400 naming it, so a mistyped filter never answers the whole list. "
    "A JSON body takes the fields its request documents (`additionalProperties: false`): any other name is a 400 "
    "naming it, never dropped while the answer says 200 — except the fields of the resource as the API answers "
    "it (`id`, `state`, …), which are ignored, so that an object read may be sent back with a field changed.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "tenancy.api_base.closed_request_bodies"],
    # Schema generation only calls `.none()` on it; the default `objects` fails closed with no tenant.
    "DEFAULT_QUERY_MANAGER": "_base_manager",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {"ContractStateEnum": "contracts.models.ContractState",
                            "InvoiceStateEnum": "billing.models.InvoiceState",
                            "ReviewStateEnum": "reviews.models.ReviewState",
                            "ReviewKindEnum": "reviews.models.ReviewKind",
                            "ActionItemStateEnum": "reviews.models.ActionItemState",
                            "DisputeStateEnum": "disputes.models.DisputeState",
                            "DisputeKindEnum": "disputes.models.DisputeKind", "DisputeSideEnum": "disputes.models.Side",
                            "AmendmentStateEnum": "contracts.models.AmendmentState",
                            "RoleEnum": "contracts.models.ContractRoleKind", "MemberRoleEnum": "tenancy.roles.Role",
                            "LanguageEnum": "config.settings.LANGUAGES"},
}

# --- rate limits and idempotent writes (integrations.idempotency) -----------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")  # also Celery's broker (below)
# Throttle counters live in the "throttle" cache: Redis (REDIS_URL) shared by every process; on the
# embedded default, local memory, so each web process (make demo runs two) counts on its own. The
# "default" cache (the dashboard's trend) stays in local memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "throttle"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}
    ),
}
RATE_LIMIT_CACHE = "throttle"
RATE_LIMIT_NAMESPACE = ""  # prefixed to every counter's key (tests give each test its own)
# Requests per minute per API key (or per signed-in user without a key), reads (GET, HEAD, OPTIONS)
# and writes separately; a tenant's own limits are set in the admin (Rate limits).
RATE_LIMIT_READS_PER_MINUTE = int(os.environ.get("RATE_LIMIT_READS_PER_MINUTE", 600))
RATE_LIMIT_WRITES_PER_MINUTE = int(os.environ.get("RATE_LIMIT_WRITES_PER_MINUTE", 120))
# Failed sign-ins: at most this many per account and per client address in the window, then refused
# until the window ends. A successful sign-in clears that account's count only.
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", 5))
LOGIN_FAILURES_PER_IP = int(os.environ.get("LOGIN_FAILURES_PER_IP", 20))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60))
# Idempotency-Key on POST: a stored answer is replayed for 24 hours; a request that has held its key
# for longer than the in-flight timeout without answering (its process died) no longer blocks it.
IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60
IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS = 10 * 60

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
# Workers that lose nothing. A task's message is acknowledged when the task ends (ACKS_LATE), so a
# worker that dies mid-task leaves it unacknowledged: a killed pool process is noticed by its worker,
# which gives the message back at once (REJECT_ON_WORKER_LOST); a whole worker that vanishes (kill -9,
# a lost machine) is noticed by Redis only when the message has stayed unacknowledged for the
# visibility timeout, after which any other worker gets it. That timeout must exceed the longest a
# message is legitimately held unacknowledged, or Redis hands a running task to a second worker:
#   - run time: no task runs longer than its hard time limit — 6 minutes by default (renders and
#     seals take seconds, the sweep under one), 30 for the month-end invoice build of every tenant
#     (about 34 ms per contract: 10,000 contracts in 6 minutes; the next hourly run finishes what a
#     cut-short one left, it is idempotent);
#   - waiting: a retried render or seal is held by a worker until its countdown ends, at most
#     10 minutes (confirmations.tasks: retry_backoff_max) and then runs at most 6. No task may use a
#     longer countdown or ETA (use beat instead), and a worker reserves one message per process.
# So the longest hold is 30 minutes, and the timeout is that plus 15 minutes: 45 minutes.
CELERY_TASK_SOFT_TIME_LIMIT = 5 * 60
CELERY_TASK_TIME_LIMIT = 6 * 60
CELERY_TASK_ANNOTATIONS = {
    "billing.tasks.build_due_invoices": {"soft_time_limit": 25 * 60, "time_limit": 30 * 60},
}
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 45 * 60))  # tests shrink it
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    _quick = CELERY_VISIBILITY_TIMEOUT < 60
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # how often a worker looks for messages held past the timeout: once a minute (each second
        # when a test shrinks the timeout to seconds)
        "unacked_restore_interval": 1 if _quick else 10,
        "unacked_restore_throttle": 1 if _quick else 6,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    for sub in ("in", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'results'}"
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
# Named queues, so that workers can be scaled out per kind of work (docs/SCALING.md). Unrouted
# tasks go to the default queue `celery`; `make worker` consumes every queue (WORKER_QUEUES).
CELERY_TASK_ROUTES = {
    "sla.tasks.sweep": {"queue": "sweep"},
    "confirmations.tasks.render_act": {"queue": "documents"},
    "confirmations.tasks.seal_act": {"queue": "documents"},
    "billing.tasks.render_invoice_pdf": {"queue": "documents"},
    "sla.tasks.notify_clocks": {"queue": "notifications"},
    "sla.tasks.fan_out_notifications": {"queue": "notifications"},
    "tenancy.mail.send_outbound": {"queue": "notifications"},
    "integrations.webhooks.*": {"queue": "webhooks"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# a worker that loses the broker connection stops its running tasks: their messages go to another
# worker anyway (they were never acknowledged), so finishing them here would run them twice
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "sla.tasks.sweep", "schedule": 60.0},
    "tenancy-link-audit-chains": {"task": "tenancy.tasks.link_audit_chains", "schedule": 60.0},
    "contracts-expire-ended": {
        "task": "contracts.tasks.expire_ended_contracts",
        "schedule": 15 * 60.0,
    },
    "confirmations-deem-overdue-acts": {
        "task": "confirmations.tasks.deem_overdue_acts",
        "schedule": 15 * 60.0,
    },
    # acts sent without a PDF or signed without a seal (a worker died, retries ran out): queue again
    "confirmations-repair-documents": {
        "task": "confirmations.tasks.repair_documents",
        "schedule": 5 * 60.0,
    },
    # hourly, so that each tenant's invoice day is caught soon after its local midnight
    "billing-build-due-invoices": {"task": "billing.tasks.build_due_invoices", "schedule": 60 * 60.0},
    # hourly: a tenant's new day (its own time zone) is picked up soon after its midnight
    "contracts-generate-obligation-occurrences": {
        "task": "contracts.tasks.generate_obligation_occurrences", "schedule": 60 * 60.0,
    },
    "contracts-obligation-alerts": {"task": "contracts.tasks.obligation_alerts", "schedule": 15 * 60.0},
    # amendments agreed for a date that has come (hourly: each tenant's own midnight), and renewals
    "contracts-apply-due-amendments": {"task": "contracts.tasks.apply_due_amendments", "schedule": 60 * 60.0},
    "contracts-renewals": {"task": "contracts.tasks.renewals", "schedule": 60 * 60.0},
    # hourly: each tenant's day starts at its own midnight; both are idempotent (unique constraints)
    "reviews-create-due": {"task": "reviews.tasks.create_due_reviews", "schedule": 60 * 60.0},
    "reviews-remind": {"task": "reviews.tasks.remind_reviews", "schedule": 60 * 60.0},
    "reviews-count-compliance": {"task": "reviews.tasks.count_compliance", "schedule": 10 * 60.0},
    # hourly: overdue dispute stages escalate, resolved compensations are credited (both idempotent)
    "disputes-escalate-and-settle": {"task": "disputes.tasks.escalate_and_settle", "schedule": 60 * 60.0},
    # outgoing mail whose message was lost (broker down at commit, a worker died): queue it again
    "tenancy-mail-requeue-stale": {"task": "tenancy.mail.requeue_stale", "schedule": 10 * 60.0},
    # incoming mail from the IMAP mailbox (a no-op unless INBOUND_IMAP_HOST is set)
    "mail-poll-imap": {"task": "integrations.mail.tasks.poll_imap", "schedule": 60.0},
    # webhook attempts now due: the retry schedule's long waits, and attempts a dead worker left
    "webhooks-deliver-due": {"task": "integrations.webhooks.tasks.deliver_due", "schedule": 60.0},
    # hourly: idempotency keys past their 24 hours are deleted (a lookup ignores them already)
    "idempotency-purge-expired-keys": {"task": "integrations.idempotency.tasks.purge_expired_keys",
                                       "schedule": 60 * 60.0},
}

# --- webhooks ---------------------------------------------------------------------------------
# Slugs of the tenants whose endpoints may be on private, loopback or link-local addresses (an
# on-premises receiver); every other tenant's webhooks go to public addresses only (SSRF).
WEBHOOK_ALLOW_PRIVATE_TENANTS = env_list("WEBHOOK_ALLOW_PRIVATE_TENANTS", "")
# An endpoint whose every delivery failed for this many days is disabled and its administrators told.
WEBHOOK_DISABLE_AFTER_DAYS = int(os.environ.get("WEBHOOK_DISABLE_AFTER_DAYS", "5"))

# --- email ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@contracts.localhost")
# Deep links in e-mails are absolute: this is the site's address as users reach it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Outgoing mail (tenancy.mail): one Celery task per message, retried on SMTP errors with exponential
# backoff (30 s, 1, 2, 4, 8 min: within the 10-minute countdown the visibility timeout allows).
OUTBOUND_MAIL_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_MAIL_MAX_ATTEMPTS", 6))
# Incoming mail (integrations.mail). Each tenant's address is plus-addressed on this one:
# inbound+<tenant slug>@domain, and replies to a notification about an order inbound+<slug>+o-<token>@domain.
# Empty: no inbound address is offered and notifications carry no Reply-To.
INBOUND_MAIL_ADDRESS = os.environ.get("INBOUND_MAIL_ADDRESS", "inbound@contracts.localhost")
INBOUND_MAIL_MAX_BYTES = int(os.environ.get("INBOUND_MAIL_MAX_BYTES", 25 * 1024 * 1024))
# The mailbox the beat task polls (unset host: no polling). Processed messages move to the
# processed folder; messages that name no tenant to the unrouted one (kept, never deleted).
INBOUND_IMAP_HOST = os.environ.get("INBOUND_IMAP_HOST", "")
INBOUND_IMAP_PORT = int(os.environ.get("INBOUND_IMAP_PORT", 993))
INBOUND_IMAP_SSL = env_bool("INBOUND_IMAP_SSL", True)
INBOUND_IMAP_USER = os.environ.get("INBOUND_IMAP_USER", "")
INBOUND_IMAP_PASSWORD = os.environ.get("INBOUND_IMAP_PASSWORD", "")
INBOUND_IMAP_FOLDER = os.environ.get("INBOUND_IMAP_FOLDER", "INBOX")
INBOUND_IMAP_PROCESSED_FOLDER = os.environ.get("INBOUND_IMAP_PROCESSED_FOLDER", "Processed")
INBOUND_IMAP_UNROUTED_FOLDER = os.environ.get("INBOUND_IMAP_UNROUTED_FOLDER", "Unrouted")

# --- security (production mode) -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# How many reverse proxies stand in front of the app and append to X-Forwarded-For; 0 = none, the
# peer's address (REMOTE_ADDR) is the client's. Set it to exactly the proxies you run: one more and
# a client could choose its own address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",  # no inline scripts or handlers: behaviour lives in static/js
    "style-src": "'self' 'unsafe-inline'",  # style attributes (clock bars) and htmx's indicator style
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
CONTENT_SECURITY_POLICY_PATH_OVERRIDES: dict[str, dict[str, str]] = {}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)
# Request size: Django refuses form data beyond DATA_UPLOAD_MAX_MEMORY_SIZE (files aside); the API
# refuses JSON beyond API_JSON_MAX_BYTES and any body beyond API_MAX_REQUEST_BYTES (413, JSON).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
API_JSON_MAX_BYTES = int(os.environ.get("API_JSON_MAX_BYTES", 1024 * 1024))
API_MAX_REQUEST_BYTES = int(os.environ.get("API_MAX_REQUEST_BYTES", 11 * ORDER_ATTACHMENT_MAX_BYTES))
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # SECURE_COOKIES=0 only for plain-HTTP on localhost (`make demo`); behind TLS they stay secure
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
