"""Settings classes. Values come from the environment (DESIGN §5 env contract).

Whatever the class, a variable of the env contract that is set wins: ``DATABASE_URL``
switches to PostgreSQL, ``REDIS_URL`` to a real Redis with separate worker processes.
Unset, the embedded defaults apply (SQLite in ``instance/``, an in-process Redis
stand-in with a worker thread, and the sandbox fakes of Meta and OpenAI).
"""

from __future__ import annotations

import os
from datetime import timedelta

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
# A fixed development key so a fresh clone can run without setup. Never valid in production.
DEFAULT_ENCRYPTION_KEY = "ZGV2LW9ubHktY2xpY2twcm8ta2V5LWRvLW5vdC11c2U="


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BaseConfig:
    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled by load_config (instance path)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL: str | None = None
    CLICKPRO_ENCRYPTION_KEYS = DEFAULT_ENCRYPTION_KEY
    META_GRAPH_URL = "https://graph.facebook.com"
    META_API_VERSION = "v23.0"
    META_APP_SECRET: str | None = None
    META_VERIFY_TOKEN: str | None = None
    META_HTTP_TIMEOUT = 15.0
    OPENAI_BASE_URL = "https://api.openai.com/v1"
    OPENAI_TIMEOUT = 30.0
    # Embedded mode: in-process Redis stand-in, worker + scheduler threads, sandbox mounted.
    EMBEDDED = True
    SANDBOX_ENABLED = True
    RQ_ASYNC = True
    RQ_DEFAULT_TIMEOUT = 600
    TEMPLATE_SYNC_INTERVAL_S = 300
    CAMPAIGN_WATCHDOG_INTERVAL_S = 30
    # Plugins loaded by the factory, in this order (module names under clickpro.plugins
    # or entry points of the ``clickpro.plugins`` group).
    PLUGINS: tuple[str, ...] = ("optout", "ai_reply")
    BABEL_DEFAULT_LOCALE = "pt_BR"
    BABEL_DEFAULT_TIMEZONE = "America/Sao_Paulo"
    LANGUAGES = ("pt_BR", "en")
    MAX_CONTENT_LENGTH = 110 * 1024 * 1024
    IMPORT_MAX_BYTES = 100 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Sign-in (clickpro/blueprints/auth/throttle.py): per address and per (account,
    # address) throttles over a moving window, and an account-wide lock in the database
    # kept above the per-account throttle so one address can never lock an e-mail out.
    LOGIN_THROTTLE_WINDOW_MINUTES = 15
    LOGIN_THROTTLE_PER_IP = 50  # attempts per window from one address, any account
    LOGIN_THROTTLE_PER_ACCOUNT = 5  # attempts per window on one account from one address
    LOGIN_MAX_FAILURES = 20  # wrong passwords (from anywhere) that lock the account
    LOGIN_LOCK_MINUTES = 15
    RATELIMIT_ENABLED = True  # Flask-Limiter; storage = REDIS_URL when set, else memory
    MEMBER_INVITATION_DAYS = 7  # a pending member invitation expires after this
    SOCKETIO_MESSAGE_QUEUE: str | None = None
    # Socket.IO server mode: None = "gevent" under gunicorn's gevent worker, else "threading".
    SOCKETIO_ASYNC_MODE: str | None = None
    SOCKETIO_MAX_PER_IP = 50  # open Socket.IO connections per client address and web process
    # Tuning knobs (code reads them with these same defaults; listed here to be found).
    CAMPAIGN_RATE_HEADROOM = 0.02  # space slots 2% under the rate: late sends never trip 130429
    CAMPAIGN_MAX_DISPATCHERS = 4  # dispatcher jobs per campaign (one per worker)
    CAMPAIGN_DISPATCH_SLICE_S = 300  # a dispatcher job hands its worker back after this
    CAMPAIGN_HEARTBEAT_TIMEOUT_S = 20  # watchdog restarts a dispatcher silent for longer
    CAMPAIGN_UNKNOWN_AFTER_S = 600  # rows left SENDING by a dead worker become UNKNOWN
    WEBHOOK_FASTPATH = True  # plain-WSGI ack of POST /webhook (same code as the Flask view)
    WEBHOOK_DRAIN_JOBS = 2
    WEBHOOK_MAX_ATTEMPTS = 8
    WEBHOOK_RETRY_BASE_S = 30
    WEBHOOK_RETRY_MAX_DELAY_S = 3600
    WEBHOOK_MAX_BODY_BYTES = 4 * 1024 * 1024  # 413 past this, Content-Length or chunked
    WEBHOOK_MAX_JSON_DEPTH = 32  # 400 past this nesting (Meta's payloads nest ~8 levels)
    SCHEDULER_RECONCILE_INTERVAL_S = 180  # periodic jobs re-checked (Redis flush/restart)
    META_MEDIA_MAX_BYTES = 100 * 1024 * 1024  # largest media downloaded from Meta
    IMPORT_UPLOAD_DIR: str | None = None  # default: instance/uploads
    IMPORT_BATCH_SIZE = 5000
    IMPORT_PREFETCH = True
    IMPORT_JOB_TIMEOUT = 3 * 3600
    IMPORT_CLIENT_QUOTA_BYTES = 500 * 1024 * 1024  # stored, not yet imported uploads per client
    IMPORT_UNSTARTED_TTL_H = 6  # uploads never started are deleted after this
    IMPORT_PREVIEW_MAX_COLUMNS = 200  # the mapping screen reads at most this many columns
    IMPORT_MAX_CELL_CHARS = 4096  # a longer cell refuses the file
    IMPORT_XLSX_MAX_SHARED_STRINGS = 2_000_000  # openpyxl loads them all, even read-only
    # Outbound webhooks may reach loopback/private networks (an n8n or ERP on the LAN):
    # operator setting CLICKPRO_OUTBOUND_WEBHOOK_ALLOW_PRIVATE, off by default.
    OUTBOUND_WEBHOOK_ALLOW_PRIVATE = False
    OUTBOUND_WEBHOOK_FAILING_AFTER = 3  # consecutive failures before an endpoint backs off
    OUTBOUND_WEBHOOK_ENDPOINT_MAX_BACKOFF_S = 3600
    TESTING = False
    DEBUG = False


class DevelopmentConfig(BaseConfig):
    DEBUG = False  # the embedded runner owns reloading; debug off keeps one process


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    SANDBOX_ENABLED = False
    RQ_ASYNC = False
    PLUGINS = ("optout", "ai_reply")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SERVER_NAME = None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    EMBEDDED = False
    SANDBOX_ENABLED = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

ENV_CONTRACT = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CLICKPRO_ENCRYPTION_KEYS",
    "META_GRAPH_URL",
    "META_API_VERSION",
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "OPENAI_BASE_URL",
)


def env_overrides() -> dict:
    """The env contract's variables that are set, translated to config keys."""
    overrides: dict = {}
    for name in ENV_CONTRACT:
        value = _env(name)
        if value is None:
            continue
        if name == "DATABASE_URL":
            overrides["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(value)
        else:
            overrides[name] = value
    if "REDIS_URL" in overrides:
        overrides["EMBEDDED"] = False
    if "META_GRAPH_URL" in overrides or "OPENAI_BASE_URL" in overrides:
        overrides["SANDBOX_ENABLED"] = _env_bool("CLICKPRO_SANDBOX", False)
    if _env("CLICKPRO_SOCKETIO_MAX_PER_IP") is not None:
        overrides["SOCKETIO_MAX_PER_IP"] = int(_env("CLICKPRO_SOCKETIO_MAX_PER_IP", "50"))
    if _env("CLICKPRO_OUTBOUND_WEBHOOK_ALLOW_PRIVATE") is not None:
        overrides["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = _env_bool(
            "CLICKPRO_OUTBOUND_WEBHOOK_ALLOW_PRIVATE", False
        )
    if _env("CLICKPRO_PLUGINS") is not None:
        overrides["PLUGINS"] = tuple(
            p.strip() for p in _env("CLICKPRO_PLUGINS", "").split(",") if p.strip()
        )
    return overrides


def selected_config_name() -> str:
    return (_env("CLICKPRO_ENV") or _env("FLASK_ENV") or "development").lower()
