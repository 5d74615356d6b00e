"""Settings for the CDMO Partnership Portal, all driven by the environment.

Embedded mode (no variables set) runs on SQLite and a filesystem broker. Production sets
DEBUG=0 and must then provide SECRET_KEY and ALLOWED_HOSTS; DATABASE_URL and REDIS_URL switch
to PostgreSQL and Redis.
"""

import datetime
import hashlib
import hmac
import sys
import zoneinfo
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from portal import bounds
from portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)
# Under pytest the test switches are on even when PORTAL_TESTING is not exported: pytest-django
# imports these settings before any conftest could set it.
_IN_PYTEST = "pytest" in sys.modules
TESTING = env_bool("PORTAL_TESTING", default=_IN_PYTEST)
# The test switches (an MD5 password hasher, the development SECRET_KEY, plain static files and
# cookies without `Secure`) must never reach a server: outside DEBUG only pytest's own process
# may have them (pytest-django imports these settings with DEBUG off).
if TESTING and not DEBUG and not _IN_PYTEST:
    raise ImproperlyConfigured(
        "PORTAL_TESTING=1 is refused when DEBUG is off: it switches on test shortcuts (an MD5 "
        "password hasher, the development SECRET_KEY, insecure cookies). Unset it in "
        "production; for local commands set DEBUG=1 instead."
    )

_DEV_SECRET = "insecure-embedded-mode-key-never-use-in-production-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", default=_DEV_SECRET if (DEBUG or TESTING) else None)
if not (DEBUG or TESTING) and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "portal",
    "programs",
    "governance",
    "deviations",
    "comms",
    "integrations",
    "people",
    "onboarding",
    "outcomes",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: ends idle, too old and closed accounts' sessions.
    "portal.session_limits.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Django's pool (psycopg 3) replaces persistent connections; it must stay at 0.
        _db["CONN_MAX_AGE"] = 0
        _db["OPTIONS"] = {
            "pool": {
                "min_size": env_int("DB_POOL_MIN", 1),
                "max_size": env_int("DB_POOL_MAX", 20),  # WSGI threads + stream threads
                "timeout": 10,
            }
        }
    elif _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["OPTIONS"] = {}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "portal.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Writers from web threads and the worker queue for the lock instead of failing.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
_db.setdefault("TEST", {})
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Audit trail ----------------------------------------------------------------------------
# The audit chains are HMAC-SHA256 under a key the database never sees (docs/audit-trail.md), so
# that an account that can write to the database cannot rewrite history and recompute the chain.
# Production needs its own key: rotating SECRET_KEY (sessions, tokens in links) must not touch
# the audit trail, and the other way round. Without DEBUG or the test switch it is required; with
# them it is derived from SECRET_KEY, so that `make run` needs no configuration (the embedded
# SECRET_KEY is public, so there the key shows the mechanism, not a secret).
_derived_chain_key = hmac.new(
    SECRET_KEY.encode(), b"portal.audit.chain-key", hashlib.sha256
).hexdigest()
AUDIT_CHAIN_KEY = env_str(
    "AUDIT_CHAIN_KEY", default=_derived_chain_key if (DEBUG or TESTING) else None
)
if not (DEBUG or TESTING) and (len(AUDIT_CHAIN_KEY) < 32 or AUDIT_CHAIN_KEY == SECRET_KEY):
    raise ImproperlyConfigured(
        "AUDIT_CHAIN_KEY must be at least 32 random characters, and not the SECRET_KEY."
    )
# Retired chain keys, oldest first: they verify the entries they signed, and sign nothing new.
AUDIT_CHAIN_OLD_KEYS = env_list("AUDIT_CHAIN_OLD_KEYS", [])
# Checkpoints: signed copies of every chain's head, appended every 15 minutes by a beat task (and
# after migrating) to this file and to the log; keep it where the database's users cannot write.
AUDIT_CHECKPOINT_FILE = Path(
    env_str("AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit" / "checkpoints.jsonl"))
)

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
# What keeps two portals on one Redis database apart: their cache keys and the beat lock.
CACHE_PREFIX = env_str("CACHE_PREFIX", "portal")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_PREFIX,
        },
        # Answers kept under the program versions they were built at (the status, lists, the
        # program overview; portal/api/conditional.py): a cache of their own, which can be
        # emptied or moved to another Redis without touching throttles and counters.
        "answers": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("ANSWERS_CACHE_URL", REDIS_URL),
            "KEY_PREFIX": f"{CACHE_PREFIX}-answers",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "answers": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "a"},
    }

EVENTS_CHANNEL = env_str("EVENTS_CHANNEL", "portal:events")
# How far back the change feed (GET /api/v1/events/) replays; an older cursor is a 410. The
# events themselves stay: they are the programs' history.
CHANGE_FEED_RETENTION_DAYS = env_int("CHANGE_FEED_RETENTION_DAYS", 90)
# What the live streams read (an `EventSource`, portal.streams): wired by name, since the core
# imports no domain app.
LIVE_EVENT_SOURCE = "programs.live_source.ProgramEvents"
# Live stream (/events/) timings; see portal/streams.py.
LIVE_HEARTBEAT_SECONDS = env_int("LIVE_HEARTBEAT_SECONDS", 15)
# Without Redis (embedded mode) streams poll the Event table: half a second keeps a sponsor's
# page within a second of the PM's commit, at one small indexed query per open tab.
LIVE_POLL_SECONDS = env_int("LIVE_POLL_MS", 500) / 1000

if REDIS_URL:
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    # Embedded mode: kombu's filesystem transport needs no server.
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Where tasks go (and a worker listens) unless told otherwise, those that tasks send included
# (a fan-out sends its emails' task): tests give each worker its own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat's leader lock (portal/beat.py): of two beats started by mistake one sends, the other
# stands by and takes over within this many seconds (and a third) of the leader's death.
BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 30)
BEAT_LOCK_KEY = f"{CACHE_PREFIX}:beat-leader"

# --- Notifications (docs/notifications.md) -----------------------------------------------
# How often beat sweeps for lost hand-offs and due digests.
NOTIFICATION_SWEEP_SECONDS = env_int("NOTIFICATION_SWEEP_SECONDS", 60)
# An outbox claim older than this has lapsed: its worker is presumed dead and another may send.
# Longer than any send takes (EMAIL_TIMEOUT), or a slow send could be repeated.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
# A message that failed this many times is left alone, with its last error (see the admin).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
# The sweep leaves rows this young to the task that was enqueued for them.
OUTBOX_GRACE_SECONDS = env_int("OUTBOX_GRACE_SECONDS", 30)

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is not under test; Argon2 stays the production hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Leaked or guessable passwords, from a list shipped with the portal (no network).
    {"NAME": "portal.passwords.BreachedPasswordValidator"},
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The CDMO site's calendar: business-day windows (deviations, escalations, action items) count
# its working days (Monday to Friday) in its time zone and skip its holidays (ISO dates).
SITE_TIME_ZONE = env_str("SITE_TIME_ZONE", "Europe/London")
if SITE_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"SITE_TIME_ZONE must be an IANA time zone, got {SITE_TIME_ZONE!r}.")
SITE_HOLIDAYS = env_list("SITE_HOLIDAYS", [])
for _day in SITE_HOLIDAYS:
    try:
        _holiday = datetime.date.fromisoformat(_day)
    except ValueError:
        raise ImproperlyConfigured(
            f"SITE_HOLIDAYS must be comma-separated YYYY-MM-DD dates, got {_day!r}."
        ) from None
    if not bounds.EARLIEST_DATE <= _holiday <= bounds.LATEST_DATE:
        raise ImproperlyConfigured(f"SITE_HOLIDAYS must be dates {bounds.WINDOW}, got {_day!r}.")

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Files built by background jobs (reports, exports, inspection bundles). Web and workers must
# share it: in docker-compose it is a named volume mounted by both.
JOB_FILES_DIR = Path(env_str("JOB_FILES_DIR", str(VAR_DIR / "jobs")))
# A list export with more rows than this is built by a Celery task (a job with progress)
# instead of answering at once.
EXPORT_SYNC_LIMIT = env_int("EXPORT_SYNC_LIMIT", 5000)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # a hung SMTP server must not hold a worker forever
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CDMO Portal <portal@northbridge.example>")

# What else hears each event of the activity stream, in the notifications fan-out's transaction
# (comms.services.notifications): functions taking `event_ids`.
ACTIVITY_STREAM_CONSUMERS = ["integrations.services.deliveries.webhook_deliveries_queue"]

# --- Webhooks and reply by email (integrations/; docs/webhooks.md, docs/reply-by-email.md) ---
# Plain http only for development; private, loopback and link-local targets only when allowed
# (tests, a closed on-premises installation): integrations/targets.py.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_TRIES = env_int("WEBHOOK_MAX_TRIES", 8)  # waits 30 s, 1, 2, 4 … 32 min: about an hour
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 6 * 3600)
WEBHOOK_SWEEP_GRACE_SECONDS = env_int("WEBHOOK_SWEEP_GRACE_SECONDS", 60)
WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 20)
WEBHOOK_PAUSE_AFTER_SECONDS = env_int("WEBHOOK_PAUSE_AFTER_SECONDS", 24 * 3600)
# Replies by email: signed reply-to addresses at this domain (empty: no Reply-To, no replies).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "")
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 1_000_000)
# Postmark's inbound webhook, through django-anymail: its basic-auth "user:password".
INBOUND_EMAIL_WEBHOOK_SECRET = env_str("INBOUND_EMAIL_WEBHOOK_SECRET", "")
# A self-hosted mailbox read every minute over IMAP (empty host: not read).
INBOUND_IMAP_HOST = env_str("INBOUND_IMAP_HOST", "")
INBOUND_IMAP_PORT = env_int("INBOUND_IMAP_PORT", 993)
INBOUND_IMAP_SSL = env_bool("INBOUND_IMAP_SSL", default=True)
INBOUND_IMAP_USER = env_str("INBOUND_IMAP_USER", "")
INBOUND_IMAP_PASSWORD = env_str("INBOUND_IMAP_PASSWORD", "")
INBOUND_IMAP_MAILBOX = env_str("INBOUND_IMAP_MAILBOX", "INBOX")
INBOUND_IMAP_BATCH = env_int("INBOUND_IMAP_BATCH", 100)
INBOUND_IMAP_TIMEOUT_SECONDS = env_int("INBOUND_IMAP_TIMEOUT_SECONDS", 30)

# --- Security -------------------------------------------------------------------------------
SECURE = not (DEBUG or TESTING) and env_bool("SECURE_COOKIES", default=True)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
# Sessions (docs/accounts.md): idle and absolute limits, enforced by
# portal.session_limits; the cookie lives no longer than the absolute limit.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SECURE_SSL_REDIRECT = SECURE and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "portal.api.authentication.TokenScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "user": env_str("API_THROTTLE_USER", "600/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CDMO Partnership Portal API",
    "DESCRIPTION": (
        "Program status, updates and (as they land) milestones, deviations and KPIs for "
        "sponsors' own systems. Authenticate with `Authorization: Token <key>` (or a signed-in "
        "browser session); this documentation and the schema (`/api/v1/schema/`) need sign-in "
        "too. Records are addressed by reference (program code), never by database id. Errors "
        'share one shape: `{"error": {"code", "message", "fields"}}`. Values have bounds, stated '
        f"on each field: dates {bounds.WINDOW} (date-times read in UTC); titles and names one "
        "line of printable text (no control characters, line breaks or tabs); longer text may "
        "hold line breaks and tabs but no other control characters; amounts are decimal strings "
        "of at most 12 digits before the point and 2 after. A value outside them is a 400 naming "
        "the field.\n\n"
        "**Asking again cheaply.** The status and every list send an `ETag`: send it back as "
        "`If-None-Match` and an unchanged answer is a `304` without a body. The change feed "
        "`GET /api/v1/events/?after=<cursor>` gives what happened since a cursor, deletions and "
        "cancellations as tombstones, and every list takes `updated_after`. See docs/api-sync.md."
        "\n\n"
        "**Tokens and their limits.** A sponsor lead creates tokens on Settings → API tokens "
        "(an operator with `manage.py create_api_token EMAIL`). Each token has: an **expiry** "
        "(the end of a chosen day, site time; 90 days by default, at most a year); a **scope**, "
        "read only (GET, HEAD and OPTIONS; any other method is a 403 with the code "
        "`read_only_token`) or read and write (the owner's own permissions decide, as for a "
        "session); and optionally a set of **programs**: the token then sees only those, and "
        "another program, even of the same sponsor, is a 404. A token is refused with a 401 "
        "whose message says why when it has expired, was revoked, or when its owner may no "
        "longer use the portal (deactivated, or past their access end date), from the next "
        "request on. The last use (time and client address) is kept to the minute and shown to "
        "the sponsor lead, who sees and revokes every token of the organisation."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.conditional_answers",
    ],
    # Several records have a `status` with its own choices: name each set after its model.
    "ENUM_NAME_OVERRIDES": {
        "ProgramStatusEnum": "programs.models.Program.Status",
        "MembershipRoleEnum": "portal.models.Membership.Role",
        "MeetingStatusEnum": "governance.models.Meeting.Status",
        "ActionItemStatusEnum": "governance.models.ActionItem.Status",
        "RiskStatusEnum": "governance.models.Risk.Status",
        "WorkstreamStatusEnum": "programs.models.Workstream.Status",
        "ChangeOrderStatusEnum": "programs.models.ChangeOrder.Status",
        "DeviationStatusEnum": "deviations.models.Deviation.Status",
        "DeviationClassificationEnum": "deviations.models.Deviation.Classification",
        "CAPAStatusEnum": "deviations.models.CAPA.Status",
        "CAPAKindEnum": "deviations.models.CAPA.Kind",
        "RootCauseCategoryEnum": "deviations.models.RootCause.Category",
        "WorkstreamKindEnum": "programs.models.Workstream.Kind",
        "EventKindEnum": "programs.models.Event.Kind",
        "UpdateCategoryEnum": "comms.models.Update.Category",
        "SignatureMeaningEnum": "portal.models.Signature.Meaning",
        "WebhookEndpointStatusEnum": "integrations.models.WebhookEndpoint.Status",
        "WebhookDeliveryStatusEnum": "integrations.models.WebhookDelivery.Status",
        # Every record a sponsor could see carries the one audience of portal.access.
        "AudienceEnum": "portal.access.Audience",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Single sign-on per sponsor (docs/single-sign-on.md) ------------------------------------
# Each sponsor organisation may have its own OpenID Connect provider: an allauth SocialApp
# (provider "openid_connect", provider_id "sso-<slug>") linked from portal.OrganisationSso and
# kept on the portal's single sign-on page by CDMO administrators. Only invited people link:
# portal.sso.adapter refuses any sign-in that does not match an open account of the provider's
# own organisation, and never creates an account. portal.sso.backends refuses password sign-in
# to members of an organisation whose single sign-on is mandatory.
INSTALLED_APPS += [
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]
MIDDLEWARE += ["allauth.account.middleware.AccountMiddleware"]  # allauth.account requires it
AUTHENTICATION_BACKENDS = [
    "portal.sso.backends.SingleSignOnRequiredBackend",  # first: stops password sign-in
    # Django's ModelBackend, refusing closed accounts (portal.account_state) with a reason.
    "portal.backends.OpenAccountBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SECURE else "http"
SOCIALACCOUNT_ADAPTER = "portal.sso.adapter.SingleSignOnAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
# The provider confirmed the email (the adapter requires `email_verified`); the portal does not
# ask again. Matching by email is the adapter's own, stricter rule, never allauth's.
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("SSO_REQUESTS_TIMEOUT", 10)
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
# A provider's issuer must be https, except for development and a closed test installation.
SSO_ALLOW_HTTP = env_bool("SSO_ALLOW_HTTP", default=DEBUG)

# --- Account lifecycle (docs/accounts.md) ---------------------------------------------------
# Password reset by email (allauth's views under /accounts/password/reset/): the link is
# single-use (the token covers the password hash) and expires after PASSWORD_RESET_TIMEOUT.
# The answer to a reset request is the same whether or not the address has an account, and
# nothing is mailed to an address without one (accounts are invitation-only).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False  # sign in afterwards, with the second factor if any
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Nobody signs up: an address is verified by the invitation that reached it
# (portal.identity.mark_email_verified) or, for accounts older than allauth, by migration.
# "optional" while other ways of creating accounts (seed_demo, the admin, bench commands)
# do not mark addresses verified: "mandatory" would stop those accounts at allauth's sign-in.
# allauth's own email page (changing one's address) is not mounted: addresses change through
# the CDMO's administrators only.
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CDMO Portal] "
# --- Multi-factor authentication (docs/accounts.md, issue 11) -------------------------------
# allauth.mfa: an authenticator app (TOTP), security keys (WebAuthn) and recovery codes, kept on
# the pages under /accounts/2fa/. Every change and every failed code is an authentication entry
# in the audit trail (portal.auth_events).
INSTALLED_APPS += ["allauth.mfa", "django.contrib.humanize"]  # its templates use humanize
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
# A second factor required for CDMO users, sponsor leads and members of organisations that ask
# for it (portal.second_factor): on by default in production, off in the embedded mode and the
# test suite (whose tests of the rule turn it on), so that the demo logins need the password only.
MFA_ENFORCED = env_bool("MFA_ENFORCED", default=not (DEBUG or TESTING))
MIDDLEWARE.insert(
    MIDDLEWARE.index("portal.session_limits.SessionLimitsMiddleware") + 1,
    "portal.second_factor.SecondFactorRequiredMiddleware",
)
MFA_TOTP_ISSUER = "CDMO Partnership Portal"
# One 30-second step either side of the server's, for a phone's clock drift and a code typed as
# it changes (RFC 6238 §5.2 recommends allowing for one).
MFA_TOTP_TOLERANCE = 1
# Accounts come from invitations sent to their email: the address is the one the portal knows.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# fido2 treats http://localhost as insecure: allowed for development and the test suite only.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or TESTING

# --- Sign-in through allauth (docs/accounts.md) ---------------------------------------------
# The portal's sign-in page is allauth's login view, so that allauth.mfa's stage asks for the
# second factor after the password. The portal's throttle (portal.throttle) is the one rule for
# repeated failures: allauth's own login rate limits are off. Accounts come from invitations:
# the adapter closes signup.
ACCOUNT_ADAPTER = "portal.account_adapter.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "portal.forms.ThrottledAllauthLoginForm"}
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
# Confirming one's identity again (before a second factor changes): the password, or the second
# factor; never a code by email (those pages are not served).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_SESSION_REMEMBER = True  # no "remember me" box: the session lasts as Django's settings say
