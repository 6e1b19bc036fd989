"""Django settings for Custos, read only from environment variables (see README, "Configuration").

Two run modes share this file. With no variables set Custos runs embedded: SQLite under
``$CUSTOS_HOME`` (default ``./var``), files under ``$CUSTOS_HOME/media``, a durable SQLite-backed job
queue, and an in-memory channel layer. Setting ``DATABASE_URL``, ``REDIS_URL`` and
``CELERY_BROKER_URL`` switches each part to its scaled counterpart.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import (
    ConfigError,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    env_url,
    persisted_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
CUSTOS_HOME = env_path("CUSTOS_HOME", Path.cwd() / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = persisted_secret("SECRET_KEY", CUSTOS_HOME / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ("localhost", "127.0.0.1", "[::1]", "testserver"))
# How many reverse proxies of ours stand in front (their X-Forwarded-For hop is the client address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")

# --- Run mode -------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{CUSTOS_HOME / 'custos.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{CUSTOS_HOME / 'queue.sqlite3'}",
    schemes=("amqp", "amqps", "pyamqp", "redis", "rediss", "sqla+sqlite", "sqla+postgresql", "memory"),
)
EMBEDDED_QUEUE = CELERY_BROKER_URL.startswith("sqla+sqlite")
# `custos serve` starts a worker and the scheduler beside the server unless this is turned off.
EMBEDDED_WORKER = env_bool("CUSTOS_EMBEDDED_WORKER", EMBEDDED_QUEUE)
# `custos serve` restarts its embedded worker when it dies, waiting 1 s, then twice as long after each
# quick death, at most this many seconds.
CUSTOS_WORKER_RESTART_MAX_BACKOFF = env_int("CUSTOS_WORKER_RESTART_MAX_BACKOFF", 60, minimum=1, maximum=3600)

# Threads of each server process that run (synchronous) Django views. Views are CPU-bound Python: more
# threads only contend for the GIL (pipelines page of 50 under wrk -c16: 1 thread 140 req/s, 2 threads 128,
# 4 threads 100). Two keep one slow request (a large download to a slow client) from holding the process.
HTTP_THREADS = env_int("CUSTOS_HTTP_THREADS", 2, minimum=1, maximum=256)

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "django_celery_results",
    # core
    "custos.kernel",
    "custos.identity",
    "custos.orgs",
    "custos.audit",
    "custos.jobs",
    "custos.events",
    "custos.alerts",
    "custos.devices",
    "custos.ml",
    "custos.reports",
    "custos.billing",
    "custos.ops",
    "custos.api",
    # domains
    "custos.modules.pipelines",
    "custos.modules.twin",
    "custos.modules.plm",
    "custos.modules.quality",
    "custos.modules.bugs",
    # the operator console (pages over the services and selectors above)
    "custos.console",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "custos.api.middleware.RequestIdMiddleware",
    "custos.ops.middleware.RequestMetricsMiddleware",
    "custos.api.middleware.BodySizeLimitMiddleware",
    "custos.ops.middleware.MetricsAccessMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
APPEND_SLASH = False  # every route answers both slash forms itself; redirects break POST

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["ENGINE"] = "custos.ops.db.sqlite3"  # the same backend, with query metrics (custos/ops/db)
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["CONN_MAX_AGE"] = 0 if _db["NAME"] == ":memory:" else _db["CONN_MAX_AGE"]
    _db["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
else:
    _db["ENGINE"] = "django_prometheus.db.backends.postgresql"
    # A psycopg connection pool per process (Django 5.1+): no connect per request. Django requires
    # CONN_MAX_AGE 0 with a pool. CONN_HEALTH_CHECKS makes the pool check a connection (an empty query,
    # one round trip) before handing it out, so after a database restart or failover the connections it
    # kept are replaced instead of failing one request each (bench/faults.py cuts them in scaled mode).
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = env_bool("DB_POOL_CHECK", True)
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
        "max_size": env_int("DB_POOL_MAX_SIZE", 8, minimum=1),
        "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer -------------------------------------------------------------------
if REDIS_URL:
    CACHES: dict[str, dict[str, object]] = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    # Shared by every process on the machine (server workers, job worker), unlike local memory: diskcache's
    # SQLite files (WAL), where an increment is one atomic transaction of microseconds, so rate-limit
    # counters are exact across processes (Django's file cache rewrote and renamed a file per write).
    CACHES = {
        "default": {
            "BACKEND": "custos.ops.cache.EmbeddedCache",  # diskcache.DjangoCache, connections kept open
            "LOCATION": str(CUSTOS_HOME / "cache"),
            "SHARDS": 4,
            "DATABASE_TIMEOUT": 0.25,  # seconds a writer waits for another process's write
            "OPTIONS": {"size_limit": 256 * 1024 * 1024},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Jobs (Celery) --------------------------------------------------------------------------
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Embedded queue: a message whose worker died is redelivered once its lease is this old (custos/jobs/broker.py).
QUEUE_VISIBILITY_TIMEOUT = env_int("CUSTOS_QUEUE_VISIBILITY_TIMEOUT", 60, minimum=2, maximum=86400)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"polling_interval": 0.2, "visibility_timeout": QUEUE_VISIBILITY_TIMEOUT} if EMBEDDED_QUEUE else {}
)
CELERY_TASK_DEFAULT_QUEUE = env_str("CUSTOS_QUEUE", "celery")
# Defaults for beat (DatabaseScheduler copies them into its tables; schedules are also created at run time).
CELERY_BEAT_SCHEDULE = {
    "prune-event-relay": {"task": "custos.events.prune_relay", "schedule": 300.0},
    # a job committed by a process that died before queueing it would otherwise stay PENDING for ever
    "requeue-unqueued-jobs": {"task": "custos.jobs.requeue_unqueued", "schedule": 60.0},
    "prune-readings": {"task": "devices.prune_readings", "schedule": 3600.0},
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Files ----------------------------------------------------------------------------------
MEDIA_ROOT = env_path("MEDIA_ROOT", CUSTOS_HOME / "media")
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = CUSTOS_HOME / "static"  # `custos manage collectstatic` fills it; WhiteNoise also serves from apps
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "custos.console.finders.VendorFinder",  # console/node_modules (pinned, installed by make install)
]
WHITENOISE_AUTOREFRESH = DEBUG
STORAGE_BACKEND = env_str("CUSTOS_STORAGE", "local", choices=("local", "s3"))
if STORAGE_BACKEND == "s3":
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ConfigError("AWS_STORAGE_BUCKET_NAME is required when CUSTOS_STORAGE=s3")
    AWS_S3_ENDPOINT_URL = env_url("AWS_S3_ENDPOINT_URL", "", schemes=("http", "https")) or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024  # the SQAL sensor frames are ~140 KB; CAD files stream
# JSON (and form) request bodies: refused with 413 above this size before they are read, and with 400
# when nested deeper than CUSTOS_MAX_JSON_DEPTH levels (custos.api.parsers). Uploads keep their limit.
CUSTOS_MAX_JSON_BODY_BYTES = env_int("CUSTOS_MAX_JSON_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
CUSTOS_MAX_JSON_DEPTH = env_int("CUSTOS_MAX_JSON_DEPTH", 64, minimum=2, maximum=512)
# Paged lists of a whole PostgreSQL table estimated at this many rows or more report the planner's
# estimate instead of running COUNT(*); 0 always counts exactly (custos.api.pagination.bounded_count).
CUSTOS_EXACT_COUNT_LIMIT = env_int("CUSTOS_EXACT_COUNT_LIMIT", 100_000, minimum=0)

# Uploaded rasters (pipeline imagery) are refused on what their header declares, before any pixel is read.
PIPELINE_MAX_RASTER_WIDTH = env_int("PIPELINE_MAX_RASTER_WIDTH", 30_000, minimum=16)
PIPELINE_MAX_RASTER_HEIGHT = env_int("PIPELINE_MAX_RASTER_HEIGHT", 30_000, minimum=16)
PIPELINE_MAX_RASTER_PIXELS = env_int("PIPELINE_MAX_RASTER_PIXELS", 121_000_000, minimum=256)  # a Sentinel-2 tile
PIPELINE_MAX_RASTER_BANDS = env_int("PIPELINE_MAX_RASTER_BANDS", 8, minimum=1, maximum=64)
PIPELINE_MAX_RASTER_DECOMPRESSED_BYTES = env_int("PIPELINE_MAX_RASTER_DECOMPRESSED_BYTES", 1024**3, minimum=1024)
PIPELINE_MAX_RASTER_BLOCK_BYTES = env_int("PIPELINE_MAX_RASTER_BLOCK_BYTES", 32 * 1024**2, minimum=1024)

# Twin readings ingestion: rows and bytes of one request.
DEVICES_INGEST_MAX_ROWS = env_int("DEVICES_INGEST_MAX_ROWS", 10_000, minimum=1)
DEVICES_INGEST_MAX_BODY_BYTES = env_int("DEVICES_INGEST_MAX_BODY_BYTES", 8 * 1024 * 1024, minimum=1024)
# Retention (pruned by the periodic tasks): an Idempotency-Key's first answer is replayed for at least this
# many hours; stored device health history (the dashboard's performanceData) is kept this many days.
DEVICES_IDEMPOTENCY_WINDOW_HOURS = env_int("DEVICES_IDEMPOTENCY_WINDOW_HOURS", 24, minimum=1)
TWIN_HEALTH_RETENTION_DAYS = env_int("TWIN_HEALTH_RETENTION_DAYS", 90, minimum=2)
# Readings older than this many days are deleted every hour (0 keeps them for ever).
DEVICES_READINGS_RETENTION_DAYS = env_int("DEVICES_READINGS_RETENTION_DAYS", 365, minimum=0)

# Firmware images (sqal OTA): the largest file accepted, and a campaign's default halt criteria (a
# started wave whose failure rate passes the threshold, after at least min(attempts, wave size) results).
FIRMWARE_MAX_BYTES = env_int("FIRMWARE_MAX_MB", 16, minimum=1, maximum=1024) * 1024 * 1024
FIRMWARE_OTA_FAILURE_THRESHOLD_PERCENT = env_int("FIRMWARE_OTA_FAILURE_THRESHOLD_PERCENT", 20, minimum=0, maximum=100)
FIRMWARE_OTA_HALT_MIN_ATTEMPTS = env_int("FIRMWARE_OTA_HALT_MIN_ATTEMPTS", 5, minimum=1, maximum=100_000)
# MQTT ingestion (`custos mqtt`, started by `custos serve` when set), e.g. mqtt://127.0.0.1:1883;
# unset by default. Messages are stored in batches of at most MQTT_BATCH_SIZE or every MQTT_BATCH_MILLISECONDS.
MQTT_URL = env_url("MQTT_URL", "", schemes=("mqtt", "mqtts", "tcp", "ssl"))
MQTT_BATCH_SIZE = env_int("MQTT_BATCH_SIZE", 500, minimum=1, maximum=10_000)
MQTT_BATCH_MILLISECONDS = env_int("MQTT_BATCH_MILLISECONDS", 200, minimum=10, maximum=60_000)
# How long the broker keeps the bridge's session (and queues QoS 1 messages) while it is away.
MQTT_SESSION_EXPIRY_SECONDS = env_int("MQTT_SESSION_EXPIRY_SECONDS", 3600, minimum=0, maximum=7 * 86400)
# Socket.IO `dashboard_update`: every this many seconds while the `dashboard_updates` room has members.
SOCKETIO_DASHBOARD_INTERVAL = env_int("SOCKETIO_DASHBOARD_INTERVAL", 5, minimum=1, maximum=3600)

# /metrics: open to these networks (comma-separated CIDRs; default loopback only), or to any caller
# sending "Authorization: Bearer $METRICS_TOKEN" when a token is set. Anyone else gets a 404.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ("127.0.0.0/8", "::1/128"))
METRICS_TOKEN = env_str("METRICS_TOKEN")


def _networks(name: str, values: list[str]) -> None:
    import ipaddress

    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ConfigError(f"{name} is invalid: {value!r} is not an IP network") from None


_networks("METRICS_ALLOWED_NETWORKS", METRICS_ALLOWED_NETWORKS)
FILE_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------
_email = env_str("EMAIL_BACKEND", "file", choices=("file", "console", "smtp", "locmem"))
EMAIL_BACKEND = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}[_email]
EMAIL_FILE_PATH = str(CUSTOS_HOME / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set only one")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Custos <noreply@custos.local>")

# --- Identity -------------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Password-reset and e-mail-confirmation tokens: single use, valid this long.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_MINUTES", 60, minimum=5) * 60
# Where the links in account e-mails point (the front end's reset/confirm pages).
CUSTOS_FRONTEND_URL = env_str("CUSTOS_FRONTEND_URL", "http://localhost:3000")
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_KB", 2048, minimum=16) * 1024
# Cookie clients (twin) on an allowed origin send their cookies and the X-CSRF-TOKEN double submit.
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "x-csrf-token",
    "x-organization",
)

# A rotated refresh token presented again within this many seconds is refused without ending the
# session (two tabs refreshing at once); later, it revokes the session (theft detection).
JWT_REUSE_LEEWAY_SECONDS = env_int("JWT_REUSE_LEEWAY_SECONDS", 30, minimum=0, maximum=3600)
# The enginel document's limits per user or API key (counted in the shared cache by every process).
ENGINEL_RATE_LIMIT_PER_HOUR = env_int("ENGINEL_RATE_LIMIT_PER_HOUR", 1000, minimum=1)
ENGINEL_RATE_LIMIT_PER_MINUTE = env_int("ENGINEL_RATE_LIMIT_PER_MINUTE", 100, minimum=1)

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "ISSUER": env_str("JWT_ISSUER", "custos"),
    "AUDIENCE": env_str("JWT_AUDIENCE", "custos-api"),
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 60, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer", "Token"),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# --- Billing (Stripe) -----------------------------------------------------------------------
# Without STRIPE_SECRET_KEY checkout answers 503; without STRIPE_WEBHOOK_SECRET the webhook does.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
if STRIPE_SECRET_KEY and not STRIPE_SECRET_KEY.startswith(("sk_", "rk_")):
    raise ConfigError("STRIPE_SECRET_KEY is invalid: expected a secret or restricted key (sk_… or rk_…)")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
if STRIPE_WEBHOOK_SECRET and not STRIPE_WEBHOOK_SECRET.startswith("whsec_"):
    raise ConfigError("STRIPE_WEBHOOK_SECRET is invalid: expected a signing secret (whsec_…)")
STRIPE_API_BASE = env_url("STRIPE_API_BASE", "https://api.stripe.com", schemes=("http", "https"))
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 20, minimum=1, maximum=120)
STRIPE_WEBHOOK_TOLERANCE = 300  # seconds: older signatures are rejected (replay protection)
BILLING_CURRENCY = env_str("BILLING_CURRENCY", "usd")
if len(BILLING_CURRENCY) != 3 or not BILLING_CURRENCY.isalpha() or not BILLING_CURRENCY.islower():
    raise ConfigError(f"BILLING_CURRENCY={BILLING_CURRENCY!r} is invalid: expected an ISO code such as usd")
# What can be bought. "price" is a Stripe Price id; when empty the session carries the amount itself
# (price_data). "credits" is granted per purchase (payment) or per paid billing period (subscription).
BILLING_PRODUCTS = {
    "credits_100": {
        "name": "100 credits",
        "mode": "payment",
        "credits": 100,
        "unit_amount": 1000,
        "price": env_str("STRIPE_PRICE_CREDITS_100"),
    },
    "credits_500": {
        "name": "500 credits",
        "mode": "payment",
        "credits": 500,
        "unit_amount": 4500,
        "price": env_str("STRIPE_PRICE_CREDITS_500"),
    },
    "pro_monthly": {
        "name": "Custos Pro (monthly)",
        "mode": "subscription",
        "credits": 1000,
        "unit_amount": 2900,
        "interval": "month",
        "price": env_str("STRIPE_PRICE_PRO_MONTHLY"),
    },
}

# --- REST framework and schema --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["custos.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "custos.api.parsers.ORJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "custos.identity.authentication.CustosJWTAuthentication",
        "custos.identity.authentication.ApiKeyAuthentication",
        "custos.identity.authentication.CookieJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "auth_login": env_str("THROTTLE_AUTH_LOGIN", "20/min"),
        "auth_register": env_str("THROTTLE_AUTH_REGISTER", "10/hour"),
        "auth_recovery": env_str("THROTTLE_AUTH_RECOVERY", "5/hour"),
        "auth_refresh": env_str("THROTTLE_AUTH_REFRESH", "60/min"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "custos.api.filtering.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "custos.api.pagination.PipelinePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "custos.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Custos API",
    "DESCRIPTION": "One platform serving the pipeline, access, twin, enginel and sqal APIs.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a field named "status" with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "PipelineStatusEnum": "custos.modules.pipelines.choices.PipelineStatus",
        "AnalysisResultStatusEnum": "custos.modules.pipelines.choices.ResultStatus",
        "AlertStatusEnum": "custos.alerts.choices.AlertStatus",
        "SeverityEnum": "custos.alerts.choices.Severity",
        "PlmDesignStatusEnum": "custos.modules.plm.choices.DesignStatus",
        "PlmReviewStatusEnum": "custos.modules.plm.choices.ReviewStatus",
        "PlmMarkupStatusEnum": "custos.modules.plm.choices.MarkupStatus",
        "PlmSeverityEnum": "custos.modules.plm.choices.Severity",
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOG_FORMAT = env_str("LOG_FORMAT", "json", choices=("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "custos.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- Custos ---------------------------------------------------------------------------------
CUSTOS_ADMIN_EMAIL = env_str("CUSTOS_ADMIN_EMAIL")
CUSTOS_ADMIN_PASSWORD = env_str("CUSTOS_ADMIN_PASSWORD")
CUSTOS_SHARED_DIR = env_path("CUSTOS_SHARED_DIR", BASE_DIR.parent / "shared")
SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"] = ["custos.api.schema.drop_alternate_paths"]
