"""Settings for Locaux Communs, read from the environment (see .env.example).

Defaults are safe for production: DEBUG is off and SECRET_KEY is required unless DEBUG is on.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.database import postgresql_timeouts
from config.env import env_bool, env_int, env_list, env_str, load_env_file
from config.schedule import beat_schedule
from config.storage import media_storages

BASE_DIR = Path(__file__).resolve().parent.parent
load_env_file(BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Demo accounts (password "demo") may only be created where this is on.
DEMO_MODE = env_bool("DEMO_MODE", default=DEBUG)
# Serve the site from this machine as `make run` does: over plain HTTP (no HTTPS redirect, no
# secure-only cookies), static files from their sources (no collectstatic) and photos from
# MEDIA_ROOT. On by default with DEBUG; `make run` turns it on with DEBUG off, so the demo shows
# the product's own 404/403/500 pages. Never in production (a reverse proxy serves media there).
LOCAL_SERVE = env_bool("LOCAL_SERVE", default=DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "schedule",
    "axes",
    "simple_history",
    "core",
    "accounts",
    "spaces",
    "bookings",
    "calls",
    "payments",
    "seasons",
    "reports",
    "integrations",
    "api",
    "portal",
]

MIDDLEWARE = [
    # First: the request id and the one log line per request cover every answer below.
    "core.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (CSRF, sessions, uploads): an oversized body is refused
    # from its Content-Length, unread.
    "core.middleware.RequestBodyLimitMiddleware",
    # Answers asked several times per request (permission questions) computed once.
    "core.memo.RequestMemoMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.SessionIdleTimeoutMiddleware",
    # Puts the signed-in user on the field history of web, API and admin changes.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# Field history (sites, spaces, tariffs, channels, criteria, closures, scores, organisations):
# reverting from the admin would bypass the services' checks, so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True

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
                "django.template.context_processors.i18n",
                "portal.context_processors.platform",
            ],
        },
    },
    {
        # Plain-text e-mails: no HTML escaping ("Réunion d'équipe", not "d&#x27;équipe").
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

# Database: SQLite file by default (demo, development); PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5)  # seconds
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 30)  # seconds
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers, so "check then write" is safe on SQLite;
    # WAL lets readers go on while one writer works.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # A database that accepts connections and never answers must not hold a worker until
    # gunicorn kills it: connecting gives up after DATABASE_CONNECT_TIMEOUT seconds, a statement
    # is cancelled after DATABASE_STATEMENT_TIMEOUT (the error page and /healthz then answer).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        postgresql_timeouts(
            connect_timeout=DATABASE_CONNECT_TIMEOUT, statement_timeout=DATABASE_STATEMENT_TIMEOUT
        )
    )
    # Prepared statements, only for the queries that ask for them (core/compiled.py: a room's
    # lock when booking it, found by primary key): psycopg prepares nothing by itself (the
    # threshold is never reached; Django's own cursors bind on the client and never prepare).
    # Off (false) behind a connection pooler in transaction mode, which cannot keep them.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2**31 - 1
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared cache: Redis in production (CACHE_URL, or REDIS_URL), so that every gunicorn worker
# and app server counts the same login failures and request rates; local memory otherwise
# (the SQLite demo needs no Redis, and runs in one process).
CACHE_URL = env_str("CACHE_URL") or env_str("REDIS_URL")
CACHES = {
    "default": (
        {
            # Django's RedisCache, reading as empty while Redis is down (core/cache.py).
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            # A cache that does not answer must not freeze the login page either.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Background jobs (config/celery.py): Celery with Redis as broker and result store. Without a
# broker the tasks run in-process at once (eager): the SQLite demo needs no Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "memory://"
_BROKER_SET = CELERY_BROKER_URL != "memory://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if _BROKER_SET else None
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not _BROKER_SET)
CELERY_TASK_EAGER_PROPAGATES = False
# A booking request's notifications and e-mails are written by a worker right after the commit
# (bookings/models/messages.py), from a row the request writes in its transaction; without a
# worker (eager jobs: the SQLite demo, the tests) they are written in the request's transaction.
BOOKING_MESSAGES_AFTER_COMMIT = env_bool(
    "BOOKING_MESSAGES_AFTER_COMMIT", default=not CELERY_TASK_ALWAYS_EAGER
)
CELERY_TIMEZONE = "Europe/Paris"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# A task is acknowledged once it has run, so a worker killed mid-task leaves it to another; every
# task is idempotent (docs/architecture.md, "Jobs").
CELERY_TASK_ACKS_LATE = True
# A running job shows as STARTED in the result store (monitoring; the two-worker test).
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that does not answer must not hold a request: publishing gives up after a few seconds
# (the outbox keeps the message; the next sweep sends it).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = beat_schedule()
# The worker logs through LOGGING above (JSON lines with the job's request id), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

AUTH_USER_MODEL = "accounts.User"
# django-axes refuses a login once an account or an address has failed too often.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the signed-in user by a compiled query (issue 18).
    "accounts.backends.UserBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login lockout (django-axes, counters in the shared cache): LOGIN_FAILURE_LIMIT failures for
# one account, or from one address, lock it for LOGIN_COOLOFF_MINUTES (counted from the last
# failure). The handler reserves each attempt before the password is checked, so concurrent
# attempts cannot all slip past the limit (accounts/lockout.py).
AXES_HANDLER = "accounts.lockout.ReservingCacheHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts don't prolong it
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.login_username"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_ip"
AXES_VERBOSE = False  # no banner at start-up; failures are still logged
# Behind a reverse proxy, the client's address is the N-th from the right of X-Forwarded-For
# (N = the number of proxies that append to it); 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Public forms other than login (core/ratelimit.py): "<count>/<second|minute|hour|day>" per
# client address (or per account for signed-in forms).
RATE_LIMITS = {
    "signup": env_str("SIGNUP_RATE", "10/hour"),
    "invitation": env_str("INVITATION_RATE", "30/hour"),
    "unsubscribe": env_str("UNSUBSCRIBE_RATE", "60/hour"),
    # Deleting one's account asks for the password: a stolen session must not guess it.
    "account-erase": env_str("ACCOUNT_ERASE_RATE", "10/hour"),
    # The forms that e-mail a link to any address typed (per client address): a bot must not
    # turn them into a way to flood a mailbox.
    "password_reset": env_str("PASSWORD_RESET_RATE", "5/hour"),
    "confirmation_resend": env_str("CONFIRMATION_RESEND_RATE", "5/hour"),
    # Password and e-mail changes, per account: each checks the current password.
    "account_change": env_str("ACCOUNT_CHANGE_RATE", "10/hour"),
    # The availability widget, public and framed by communes' websites: per visitor's address,
    # like the API's anonymous throttle (API_ANON_RATE), which reads the same availability.
    "widget": env_str("WIDGET_RATE", "120/minute"),
    # A room's planning as a PDF (issue 17), public for a published room: each one is rendered
    # (a fraction of a second of CPU), so per account or visitor's address.
    "door_pdf": env_str("DOOR_PDF_RATE", "30/minute"),
    # Requests with a bad API token (unknown, expired, revoked, malformed), per client address:
    # guessing is hopeless (256 random bits), but each miss costs a database read.
    "api_token_invalid": env_str("API_TOKEN_INVALID_RATE", "30/minute"),
}
# A password reset link works once, for a day (Django's default is 3 days); the sign-up and
# change-of-address links last 3 days (accounts/tokens.py). The e-mails and pages say so.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

# Idle sessions end after SESSION_IDLE_TIMEOUT seconds without a request: a signed-in session's
# expiry is pushed forward at most once a minute (core.middleware.SessionIdleTimeoutMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_TIMEOUT", 2 * 60 * 60)
# Django's database sessions, read by a compiled query (accounts/sessions.py, issue 18).
SESSION_ENGINE = "accounts.sessions"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Structures' documents (statutes, insurance…) live outside the web root and are served
# only through a permission-checked view.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    # Photos ("default") and documents ("private"): on disk, or in an S3-compatible bucket when
    # S3_BUCKET is set (config/storage.py).
    **media_storages(private_root=PRIVATE_MEDIA_ROOT),
    "staticfiles": {
        # Production serves hashed, compressed files (needs collectstatic); tests, DEBUG and
        # LOCAL_SERVE don't (whitenoise then serves them from their sources).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=not LOCAL_SERVE)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = LOCAL_SERVE
WHITENOISE_AUTOREFRESH = LOCAL_SERVE
# Request bodies (core.middleware.RequestBodyLimitMiddleware): refused with a 413 above
# REQUEST_BODY_MAX_BYTES, or above UPLOAD_BODY_MAX_BYTES on the upload URLs (photos: 5 MB each,
# documents: 10 MB). The reverse proxy should refuse them first (docs/deploy.md).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 2 * 1024 * 1024)
UPLOAD_BODY_MAX_BYTES = env_int("UPLOAD_BODY_MAX_BYTES", 12 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Map tiles: an empty value shows the map without a background layer (offline use, tests).
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")

# Card payments: each collecting owner sets its own Stripe keys (admin, PaymentChannel). These
# two only move Stripe's addresses, for tests against localstripe (a fake Stripe server).
STRIPE_API_BASE = env_str("STRIPE_API_BASE")  # empty: https://api.stripe.com
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Locaux Communs <ne-pas-repondre@localhost>")
# Every e-mail names who runs the platform and how to reach them (a person reads this address).
OPERATOR_NAME = env_str("OPERATOR_NAME", "Communauté d'agglomération de la Porte du Hainaut")
CONTACT_EMAIL = env_str("CONTACT_EMAIL", "contact@localhost")
CONTACT_PHONE = env_str("CONTACT_PHONE")
# A mail server that accepts the connection and never answers must not hold a worker forever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# The mail outbox (core/mail.py): a message the server refused is tried again after
# MAIL_RETRY_DELAY seconds, doubled at each attempt up to MAIL_RETRY_DELAY_MAX, and marked failed
# after MAIL_MAX_ATTEMPTS. A claim older than MAIL_CLAIM_TIMEOUT seconds (a worker that died
# while sending) is taken again: keep it well above EMAIL_TIMEOUT.
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)
MAIL_RETRY_DELAY = env_int("MAIL_RETRY_DELAY", 60)
MAIL_RETRY_DELAY_MAX = env_int("MAIL_RETRY_DELAY_MAX", 6 * 60 * 60)
MAIL_CLAIM_TIMEOUT = env_int("MAIL_CLAIM_TIMEOUT", 10 * 60)

# Outgoing webhooks (integrations/): a delivery the receiver did not accept (2xx) is tried again
# after WEBHOOK_RETRY_DELAYS seconds, one step per failed attempt; after the last step it has
# failed, and WEBHOOK_PAUSE_AFTER consecutive failures of an endpoint pause it (its owner is
# mailed). Only https URLs, on public addresses, unless the two switches below (development and
# tests with a local receiver; never in production). WEBHOOK_TIMEOUT: seconds for connect and
# for read.
WEBHOOK_RETRY_DELAYS = [60, 5 * 60, 30 * 60, 2 * 60 * 60, 12 * 60 * 60]
WEBHOOK_PAUSE_AFTER = env_int("WEBHOOK_PAUSE_AFTER", 10)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
WEBHOOK_CLAIM_TIMEOUT = env_int("WEBHOOK_CLAIM_TIMEOUT", 5 * 60)

# Retention (accounts.services.retention, the daily `apply_retention` job), in days.
# Accounts whose address was never confirmed: erased (deleted when nothing points at them).
RETENTION_UNCONFIRMED_ACCOUNT_DAYS = env_int("RETENTION_UNCONFIRMED_ACCOUNT_DAYS", 365)
# Sent (or given-up) e-mails of the outbox: they hold addresses and bodies.
RETENTION_SENT_MAIL_DAYS = env_int("RETENTION_SENT_MAIL_DAYS", 183)
# Notifications the person has read.
RETENTION_READ_NOTIFICATION_DAYS = env_int("RETENTION_READ_NOTIFICATION_DAYS", 365)
# Failed-login and connection records (django-axes tables): one year, as for connection data
# (LCEN art. 6, décret 2021-1363).
RETENTION_SECURITY_LOG_DAYS = env_int("RETENTION_SECURITY_LOG_DAYS", 365)
# Invitations never accepted, counted from when they expired (they hold an address).
RETENTION_EXPIRED_INVITATION_DAYS = env_int("RETENTION_EXPIRED_INVITATION_DAYS", 90)

# Security: strict unless served locally (DEBUG or LOCAL_SERVE); a proxy in front terminates TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not LOCAL_SERVE)
SESSION_COOKIE_SECURE = not LOCAL_SERVE
CSRF_COOKIE_SECURE = not LOCAL_SERVE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if LOCAL_SERVE else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL_SERVE
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not LOCAL_SERVE)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A load balancer probes /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Browser features no page uses (the map does not locate the visitor); the card payment page
# allows Stripe's payment request (core.middleware.permissions_policy).
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    # First the bearer token (integrators, issue 14): it alone answers 401 with a challenge,
    # and only to a request that sent one (api/authentication.py); then the browser's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON bounded in depth and size (a deeply nested body was a RecursionError, a 500).
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # The browsable API only in development: production answers JSON alone.
    # DRF's JSON, encoded by orjson (api/renderers.py: the same bytes, ~10× faster).
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    # Counters in the shared cache; 429 with Retry-After. Booking creation has its own scope.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        "api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "120/minute"),
        "user": env_str("API_USER_RATE", "600/minute"),
        "booking_create": env_str("API_BOOKING_CREATE_RATE", "30/hour"),
        "season_plan": env_str("API_SEASON_PLAN_RATE", "20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Locaux Communs API",
    "DESCRIPTION": "Inventaire des locaux partagés du territoire et leurs réservations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "QuestionKindEnum": "bookings.models.QuestionKind",
        "BookingFileKindEnum": "bookings.models.BookingFileKind",
        "SiteStatusEnum": "spaces.models.SiteStatus",
        "SpaceStatusEnum": "spaces.models.SpaceStatus",
        "OrganisationKindEnum": "accounts.models.OrganisationKind",
        "DocumentKindEnum": "accounts.models.DocumentKind",
        "SpaceKindEnum": "spaces.models.SpaceKind",
        "WebhookEventTypeEnum": "integrations.models.EventType",
        "WebhookDeliveryStatusEnum": "integrations.models.DeliveryStatus",
        "CalendarFeedScopeEnum": "bookings.models.CalendarFeed.Scope",
        "CommentSideEnum": "bookings.models.CommentSide",
        "ScopeEnum": "accounts.models.ApiTokenScope",  # the name it had before the feeds
        "PaymentChannelKindEnum": "payments.models.ChannelKind",
        "SeasonCampaignStatusEnum": "seasons.models.CampaignStatus",
        "SeasonWishStatusEnum": "seasons.models.WishStatus",
    },
}

# Logs on standard error: JSON lines in production (one per request and per job, with the request
# id; core/logging.py), plain text in development. LOG_FORMAT=json|text overrides.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # WeasyPrint reports every rendering step at INFO.
        **{name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
        # Celery's "Task … succeeded: <its return value>": the job line replaces it, without
        # the value (which may hold personal data).
        "celery.app.trace": {"level": "WARNING"},
        # boto3 and the HTTP client under it print request headers (the S3 access key id,
        # signatures) at DEBUG: never below WARNING, whatever LOG_LEVEL says.
        **{name: {"level": "WARNING"} for name in ("boto3", "botocore", "s3transfer", "urllib3")},
    },
}
