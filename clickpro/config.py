"""Settings: one typed table, every setting from the environment (DESIGN §5 env contract).

Every setting the code reads is one :class:`Setting` row of :data:`SETTINGS` (name, type,
default, secret flag, one line of help). Code reads ``current_app.config["NAME"]`` and
never repeats a default. Values come, later ones winning, from:

1. the table's defaults, then the environment class (``CLICKPRO_ENV``: development,
   testing, production) which changes a few of them;
2. the env contract names (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``,
   ``META_GRAPH_URL``…, see :data:`ENV_CONTRACT`);
3. ``CLICKPRO_<NAME>`` for any setting (Flask's ``from_prefixed_env``: values are parsed
   as JSON, so ``30`` is a number and ``["a","b"]`` a list; anything else is a string);
4. the mapping passed to ``create_app`` (tests, scripts).

Then every value is coerced to its declared type (``"30"`` → 30, ``3.0`` → 3 for an int,
``"on"`` → True, ``"a,b"`` → ("a", "b")); a value that does not fit stops the start with
:class:`SettingError` naming the variable. ``clickpro config`` prints the result, secrets
masked. Whatever the class, ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to a
real Redis with separate worker processes; unset, the embedded defaults apply (SQLite in
``instance/``, an in-process Redis stand-in with a worker thread, the sandbox fakes of
Meta and OpenAI).

Adding a setting: one row in :data:`SETTINGS` (the test of this table fails on a key the
code reads that is not declared here).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Config

log = logging.getLogger(__name__)

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"
# A fixed development key so a fresh clone can run without setup. Never valid in production.
DEFAULT_ENCRYPTION_KEY = "ZGV2LW9ubHktY2xpY2twcm8ta2V5LWRvLW5vdC11c2U="
ENV_PREFIX = "CLICKPRO"
MB = 1024 * 1024


class SettingError(ValueError):
    """A setting's value does not fit its declared type (the message names the variable)."""


@dataclass(frozen=True)
class Setting:
    """One setting. ``type`` is what the code gets: bool, int, float, str, tuple (of str),
    dict, timedelta (from seconds) or object (set by code only, e.g. an httpx transport).
    ``secret``: masked by ``clickpro config`` ("url": only the password of a URL)."""

    name: str
    type: type
    default: Any
    help: str
    secret: bool | str = False
    nullable: bool = False

    @property
    def env_name(self) -> str:
        """The environment variable: ``CLICKPRO_<NAME>`` (a CLICKPRO_ name is itself)."""
        if self.name.startswith(ENV_PREFIX + "_"):
            return self.name
        return f"{ENV_PREFIX}_{self.name}"


S = Setting
SETTINGS: tuple[Setting, ...] = (
    # --- the process and its secrets
    S("ENV_NAME", str, "development", "environment class (set it with CLICKPRO_ENV)"),
    S("SECRET_KEY", str, DEFAULT_SECRET_KEY, "session signing key (env: SECRET_KEY)", True,
      nullable=True),
    S("CLICKPRO_ENCRYPTION_KEYS", str, DEFAULT_ENCRYPTION_KEY,
      "comma-separated Fernet keys for stored secrets; the first encrypts", True, nullable=True),
    S("SQLALCHEMY_DATABASE_URI", str, None,
      "database URL (env: DATABASE_URL); unset: SQLite in instance/", "url", nullable=True),
    S("PASSWORD_HASH_METHOD", str, "scrypt",
      "password hash under TESTING only (cheap parameters for the suite); always scrypt else"),
    S("SQLALCHEMY_ENGINE_OPTIONS", dict, {"pool_pre_ping": True}, "SQLAlchemy engine options"),
    S("REDIS_URL", str, None,
      "Redis URL (env: REDIS_URL); unset: in-process stand-in", "url", nullable=True),
    S("EMBEDDED", bool, True,
      "one process: Redis stand-in, worker and scheduler threads (off when REDIS_URL is set)"),
    S("SANDBOX_ENABLED", bool, True,
      "mount the Meta/OpenAI sandbox in embedded mode (CLICKPRO_SANDBOX when URLs are set)"),
    S("DEMO", bool, False, "seed the demo logins and data (env: CLICKPRO_DEMO)"),
    S("PLUGINS", tuple, ("optout", "ai_reply", "flows"),
      "plugins loaded in this order (modules in clickpro.plugins or entry points)"),
    S("TESTING", bool, False, "Flask testing mode"),
    S("DEBUG", bool, False, "Flask debug mode (the embedded runner owns reloading)"),
    S("SERVER_NAME", str, None, "Flask SERVER_NAME", nullable=True),
    S("PREFERRED_URL_SCHEME", str, "http", "scheme of external URLs"),
    # --- Meta and OpenAI
    S("META_GRAPH_URL", str, "https://graph.facebook.com", "Graph API base URL"),
    S("META_API_VERSION", str, "v23.0", "Graph API version"),
    S("META_APP_SECRET", str, None,
      "app secret checking X-Hub-Signature-256 on /webhook", True, nullable=True),
    S("META_VERIFY_TOKEN", str, None,
      "token of Meta's webhook verification (GET /webhook)", True, nullable=True),
    S("META_HTTP_TIMEOUT", float, 15.0, "seconds per Graph API request"),
    S("META_HTTP_TRANSPORT", object, None, "httpx transport for Graph (tests, sandbox)",
      nullable=True),
    S("META_MEDIA_MAX_BYTES", int, 100 * MB, "largest media downloaded from Meta"),
    S("OPENAI_BASE_URL", str, "https://api.openai.com/v1", "OpenAI API base URL"),
    S("OPENAI_TIMEOUT", float, 30.0, "seconds per OpenAI request"),
    S("OPENAI_HTTP_TRANSPORT", object, None, "httpx transport for OpenAI (tests, sandbox)",
      nullable=True),
    # --- jobs
    S("RQ_ASYNC", bool, True, "run jobs in workers (off: inline, tests)"),
    S("RQ_DEFAULT_TIMEOUT", int, 600, "seconds a job may run unless it says otherwise"),
    S("TEMPLATE_SYNC_INTERVAL_S", int, 300, "periodic template sync, seconds"),
    S("TEMPLATE_SYNC_BUDGET_S", float, 120.0, "one client's template sync stops after this"),
    S("TEMPLATE_SYNC_MAX", int, 5000, "templates read per client and sync"),
    S("CAMPAIGN_WATCHDOG_INTERVAL_S", int, 30, "campaign watchdog period, seconds"),
    S("SCHEDULER_RECONCILE_INTERVAL_S", int, 180,
      "periodic jobs re-checked (Redis flush/restart), seconds"),
    # --- web, sessions, sign-in
    S("BABEL_DEFAULT_LOCALE", str, "pt_BR", "default language"),
    S("BABEL_DEFAULT_TIMEZONE", str, "America/Sao_Paulo", "default time zone"),
    S("LANGUAGES", tuple, ("pt_BR", "en"), "languages offered"),
    S("MAX_CONTENT_LENGTH", int, 110 * MB, "largest request body, bytes"),
    S("WTF_CSRF_ENABLED", bool, True, "CSRF protection of forms"),
    S("WTF_CSRF_TIME_LIMIT", int, None, "CSRF token lifetime, seconds (none: the session's)",
      nullable=True),
    S("SESSION_COOKIE_HTTPONLY", bool, True, "session cookie hidden from JS"),
    S("SESSION_COOKIE_SAMESITE", str, "Lax", "session cookie SameSite"),
    S("SESSION_COOKIE_SECURE", bool, False, "session cookie over HTTPS only"),
    S("REMEMBER_COOKIE_HTTPONLY", bool, True, "remember-me cookie hidden from JS"),
    S("REMEMBER_COOKIE_SECURE", bool, False, "remember-me cookie over HTTPS only"),
    S("PERMANENT_SESSION_LIFETIME", timedelta, timedelta(hours=12), "session lifetime, seconds"),
    # Sign-in (clickpro/blueprints/auth/throttle.py): per address and per (account,
    # address) throttles over a moving window, and an account-wide lock in the database
    # kept above the per-account throttle so one address can never lock an e-mail out.
    S("LOGIN_THROTTLE_WINDOW_MINUTES", int, 15, "sign-in throttle window, minutes"),
    S("LOGIN_THROTTLE_PER_IP", int, 50, "sign-in attempts per window from one address"),
    S("LOGIN_THROTTLE_PER_ACCOUNT", int, 5,
      "sign-in attempts per window on one account from one address"),
    S("LOGIN_MAX_FAILURES", int, 20, "wrong passwords (from anywhere) that lock the account"),
    S("LOGIN_LOCK_MINUTES", int, 15, "account lock, minutes"),
    S("RATELIMIT_ENABLED", bool, True, "Flask-Limiter throttles on"),
    S("RATELIMIT_STORAGE_URI", str, None, "Flask-Limiter storage (unset: REDIS_URL or memory)",
      "url", nullable=True),
    S("RATELIMIT_STRATEGY", str, "moving-window", "Flask-Limiter strategy"),
    S("RATELIMIT_KEY_PREFIX", str, "clickpro", "Flask-Limiter key prefix"),
    S("MEMBER_INVITATION_DAYS", int, 7, "a pending member invitation expires after this"),
    # Passwords, reset links and outgoing e-mail (clickpro/services/accounts/passwords.py,
    # clickpro/services/mail/): SMTP_URL unset sends nothing, except in embedded mode where
    # mails are written to MAIL_DIR and listed on /_dev/mail.
    S("PASSWORD_MIN_LENGTH", int, 8, "shortest password accepted anywhere one is set"),
    S("PASSWORD_RESET_MINUTES", int, 60, "a password reset link expires after this"),
    S("PASSWORD_RESET_THROTTLE_WINDOW_MINUTES", int, 60, "reset requests window, minutes"),
    S("PASSWORD_RESET_THROTTLE_PER_IP", int, 10, "reset requests per window from one address"),
    S("PASSWORD_RESET_THROTTLE_PER_ACCOUNT", int, 3,
      "reset requests per window for one e-mail from one address"),
    S("PUBLIC_URL", str, None,
      "base URL of links in e-mails, e.g. https://clickpro.example.com (unset: the request's"
      " host, outside production)", nullable=True),
    S("SMTP_URL", str, None,
      "smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; unset: no SMTP", "url",
      nullable=True),
    S("SMTP_TIMEOUT_S", float, 15.0, "seconds per SMTP connection and command"),
    S("MAIL_FROM", str, "ClickPro <no-reply@clickpro.local>", "sender of outgoing e-mail"),
    S("MAIL_DIR", str, None, "embedded mode writes mails here (unset: instance/mail)",
      nullable=True),
    S("MAIL_SUPPRESS", bool, False, "render mails but send none (the testing class)"),
    S("MAIL_MAX_ATTEMPTS", int, 5, "delivery attempts of one e-mail"),
    S("MAIL_RETRY_BASE_S", int, 30, "first e-mail retry delay, seconds (doubles)"),
    S("API_RATE_PER_S", float, 10.0, "REST API requests per second and token"),
    S("API_RATE_BURST", int, 20, "REST API burst per token"),
    S("API_IDEMPOTENCY_TTL_S", int, 24 * 3600, "Idempotency-Key answers kept, seconds"),
    S("METRICS_TOKEN", str, None, "bearer token of GET /metrics (unset: /metrics is a 404)",
      True, nullable=True),
    # Two-factor sign-in (clickpro/blueprints/auth/two_factor.py); off for super admins in
    # the development (demo) and testing classes only, so the demo logins work at once.
    S("TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN", bool, True,
      "super admins must enroll TOTP before anything else (development/testing: off)"),
    S("TWO_FACTOR_ISSUER", str, "ClickPro", "issuer name shown by authenticator apps"),
    S("TWO_FACTOR_PENDING_SECONDS", int, 300,
      "time to type the code after the password, seconds"),
    S("TWO_FACTOR_MAX_ATTEMPTS", int, 5,
      "wrong codes per account per LOGIN_THROTTLE_WINDOW_MINUTES before a pause"),
    S("AUDIT_PAGE_SIZE", int, 50, "audit log entries per page"),
    S("AUDIT_EXPORT_MAX_ROWS", int, 100_000, "rows of one audit log CSV export"),
    # --- live inbox (Socket.IO)
    S("SOCKETIO_MESSAGE_QUEUE", str, None, "Socket.IO message queue URL (unset: REDIS_URL)",
      "url", nullable=True),
    S("SOCKETIO_ASYNC_MODE", str, None,
      "Socket.IO mode (unset: gevent under gunicorn's gevent worker, else threading)",
      nullable=True),
    S("SOCKETIO_MAX_PER_IP", int, 50, "open Socket.IO connections per address and process"),
    S("SOCKETIO_CHANNEL", str, "clickpro-socketio", "Socket.IO Redis channel"),
    S("SOCKETIO_CORS_ORIGINS", tuple, (), "extra origins allowed to open Socket.IO"),
    S("REALTIME_DISABLED", bool, False, "emit no Socket.IO events"),
    # --- campaigns
    S("CAMPAIGN_RATE_HEADROOM", float, 0.04,
      "space slots this share under the rate: late sends never trip 130429"),
    S("CAMPAIGN_MAX_DISPATCHERS", int, 4, "dispatcher jobs per campaign (one per worker)"),
    S("CAMPAIGN_DISPATCH_SLICE_S", int, 300, "a dispatcher job hands its worker back after this"),
    S("CAMPAIGN_SEND_THREADS", int, 32, "concurrent sends per dispatcher"),
    S("CAMPAIGN_FAILURE_WINDOW", int, 50, "last sends looked at by the failure auto-pause"),
    S("CAMPAIGN_FAILURE_SHARE", float, 0.5, "failed share of that window that pauses"),
    S("CAMPAIGN_HEARTBEAT_TIMEOUT_S", int, 20, "watchdog restarts a dispatcher silent longer"),
    S("CAMPAIGN_UNKNOWN_GRACE_S", int, 60,
      "a row left SENDING by a dead dispatcher becomes UNKNOWN this long after its lease "
      "expired without a status webhook, seconds"),
    S("CAMPAIGN_PREPARE_TIMEOUT_S", int, 3600,
      "longest run of the job that materializes a started campaign's rows, seconds"),
    S("CAMPAIGN_AUTO_RETRY_131049_H", float, None,
      "the watchdog re-queues 131049 failures by itself once Meta's back-off (12 h, then "
      "24 h) has passed and they are at least this many hours old (unset: off)",
      nullable=True),
    # --- webhooks from Meta
    S("WEBHOOK_FASTPATH", bool, True, "plain-WSGI ack of POST /webhook"),
    S("WEBHOOK_GROUP_COMMIT", bool, True, "acks share commits (PostgreSQL group commit)"),
    S("WEBHOOK_DRAIN_JOBS", int, 2, "parallel webhook processing jobs"),
    S("WEBHOOK_FOLLOWUPS_QUEUE", bool, True,
      "an inbound message's slow receivers (cycles, routing, flows, AI, outbound webhooks, "
      "media) run as jobs on the followups queue while a worker serves it (else in the "
      "processing worker, after the live events)"),
    S("WEBHOOK_MAX_ATTEMPTS", int, 8, "processing attempts of one delivery"),
    S("WEBHOOK_RETRY_BASE_S", int, 30, "first processing retry delay, seconds (doubles)"),
    S("WEBHOOK_RETRY_MAX_DELAY_S", int, 3600, "longest processing retry delay, seconds"),
    S("WEBHOOK_MAX_BODY_BYTES", int, 4 * MB, "413 past this, Content-Length or chunked"),
    S("WEBHOOK_MAX_JSON_DEPTH", int, 32, "400 past this nesting (Meta's nest ~8 levels)"),
    # --- AI replies
    S("AI_DEBOUNCE_S", float, 4.0, "wait for a burst of messages to end, seconds"),
    S("AI_DEBOUNCE_MAX_S", float, 30.0, "answer anyway once the oldest waits this long"),
    S("AI_MAX_ATTEMPTS", int, 3, "OpenAI attempts per reply"),
    S("AI_RETRY_BASE_S", float, 2.0, "first OpenAI retry delay, seconds (doubles)"),
    S("AI_RETRY_MAX_S", float, 60.0, "longest OpenAI retry delay, seconds"),
    # OpenAI standard-tier prices per 1M tokens, as listed in Mar/Apr 2026 (h6): override
    # with CLICKPRO_AI_MODEL_PRICES='{"model": {"input": 0.4, "output": 1.6}}'.
    S("AI_MODEL_PRICES", dict, {"gpt-4.1": {"input": 2.0, "output": 8.0},
                                "gpt-4.1-mini": {"input": 0.4, "output": 1.6},
                                "gpt-4.1-nano": {"input": 0.1, "output": 0.4}},
      "AI reply cost: {model: {input, output}} per 1M tokens"),
    S("AI_PRICE_CURRENCY", str, "USD", "currency of AI_MODEL_PRICES"),
    S("AI_KNOWLEDGE_SCORE_THRESHOLD", float, 0.5,
      "knowledge results scoring below this (0-1) count as nothing found: the AI hands off"),
    S("AI_MONTHLY_BUDGET", float, 0.0, "default monthly AI budget per client (0: none)"),
    # --- contact imports
    S("IMPORT_MAX_BYTES", int, 100 * MB, "largest import file"),
    S("IMPORT_UPLOAD_DIR", str, None, "where uploads wait (unset: instance/uploads)",
      nullable=True),
    S("IMPORT_BATCH_SIZE", int, 5000, "rows written per batch"),
    S("IMPORT_PREFETCH", bool, True, "read the next batch while writing one"),
    S("IMPORT_JOB_TIMEOUT", int, 3 * 3600, "seconds an import job may run"),
    S("IMPORT_CLIENT_QUOTA_BYTES", int, 500 * MB, "stored, not yet imported uploads per client"),
    S("IMPORT_UNSTARTED_TTL_H", int, 6, "uploads never started are deleted after this, hours"),
    S("IMPORT_ABANDONED_AFTER_S", int, 24 * 3600,
      "an upload never mapped is deleted with its empty list after this, seconds"),
    S("IMPORT_PREVIEW_MAX_COLUMNS", int, 200, "the mapping screen reads at most this many"),
    S("IMPORT_MAX_CELL_CHARS", int, 4096, "a longer cell refuses the file"),
    S("IMPORT_XLSX_MAX_SHARED_STRINGS", int, 2_000_000, "openpyxl loads them all, even read-only"),
    # --- inbound media kept by ClickPro (Meta's media URLs expire)
    S("MEDIA_STORE", str, None,
      "where inbound media is kept: s3://bucket/prefix (S3-compatible, needs the 's3' extra);"
      " unset: the filesystem at MEDIA_DIR", nullable=True),
    S("MEDIA_DIR", str, None, "filesystem media store (unset: instance/media)", nullable=True),
    S("MEDIA_S3_ENDPOINT_URL", str, None,
      "endpoint of an S3-compatible service (MinIO, R2…); unset: AWS", "url", nullable=True),
    S("MEDIA_RETENTION_DAYS", int, 90, "stored media is deleted this many days after the fetch"),
    S("MEDIA_RETENTION_INTERVAL_S", int, 3600, "how often expired media is deleted, seconds"),
    S("MEDIA_TRANSCRIBE", bool, True, "transcribe inbound audio with the client's OpenAI key"),
    S("MEDIA_TRANSCRIBE_MODEL", str, "gpt-4o-mini-transcribe", "OpenAI transcription model"),
    # --- contacts (the web form and the API refuse more, with the limit in the message)
    S("CONTACT_ATTRIBUTE_MAX_CHARS", int, 1000, "longest value of one contact attribute"),
    S("CONTACT_MAX_ATTRIBUTES", int, 50, "most custom attributes one contact may have"),
    # --- outbound webhooks (the clients' own URLs)
    S("OUTBOUND_WEBHOOK_ALLOW_PRIVATE", bool, False,
      "outbound webhooks may reach loopback/private networks (an n8n or ERP on the LAN)"),
    S("OUTBOUND_WEBHOOK_FAILING_AFTER", int, 3, "consecutive failures before an endpoint backs off"),
    S("OUTBOUND_WEBHOOK_ENDPOINT_MAX_BACKOFF_S", int, 3600, "longest endpoint back-off, seconds"),
    S("OUTBOUND_WEBHOOK_TIMEOUT_S", float, 5.0, "seconds per delivery"),
    S("OUTBOUND_WEBHOOK_MAX_ATTEMPTS", int, 5, "attempts per delivery"),
    S("OUTBOUND_WEBHOOK_BACKOFF_S", float, 10.0, "first retry delay, seconds (doubles)"),
    S("OUTBOUND_WEBHOOK_TRANSPORT", object, None, "httpx transport for deliveries (tests)",
      nullable=True),
)  # fmt: skip
del S
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_ENV_NAME: dict[str, Setting] = {s.env_name: s for s in SETTINGS}

# Variables with the CLICKPRO_ prefix that are not settings of the app (read elsewhere).
NOT_SETTINGS = frozenset(
    {
        "CLICKPRO_ENV",  # picks the environment class
        "CLICKPRO_SANDBOX",  # keeps the sandbox on when META_GRAPH_URL/OPENAI_BASE_URL are set
        # gunicorn (config/gunicorn.conf.py)
        "CLICKPRO_BIND",
        "CLICKPRO_THREADS",
        "CLICKPRO_WORKER_CONNECTIONS",
        "CLICKPRO_TIMEOUT",
        "CLICKPRO_LOG_LEVEL",
        "CLICKPRO_ACCESS_LOG",
        "PROMETHEUS_MULTIPROC_DIR",  # read by prometheus_client itself (clickpro/metrics.py)
    }
)

# The env contract: names without the prefix, kept working exactly (README's table).
ENV_CONTRACT: dict[str, str] = {
    "SECRET_KEY": "SECRET_KEY",
    "CLICKPRO_ENCRYPTION_KEYS": "CLICKPRO_ENCRYPTION_KEYS",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "META_GRAPH_URL": "META_GRAPH_URL",
    "META_API_VERSION": "META_API_VERSION",
    "META_APP_SECRET": "META_APP_SECRET",
    "META_VERIFY_TOKEN": "META_VERIFY_TOKEN",
    "OPENAI_BASE_URL": "OPENAI_BASE_URL",
}


def _defaults(**changes: Any) -> dict[str, Any]:
    unknown = set(changes) - set(BY_NAME)
    if unknown:
        raise SettingError(f"undeclared settings in an environment class: {sorted(unknown)}")
    return changes


class BaseConfig:
    """The table's defaults (the environment classes below change a few)."""


for _s in SETTINGS:
    setattr(BaseConfig, _s.name, _s.default)
del _s


class DevelopmentConfig(BaseConfig):
    pass


class TestingConfig(BaseConfig):
    pass


class ProductionConfig(BaseConfig):
    pass


for _cls, _changes in (
    (DevelopmentConfig, _defaults(TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN=False)),
    (
        TestingConfig,
        _defaults(ENV_NAME="testing", TESTING=True, WTF_CSRF_ENABLED=False,
                  SANDBOX_ENABLED=False, RQ_ASYNC=False, SQLALCHEMY_ENGINE_OPTIONS={},
                  MAIL_SUPPRESS=True, TWO_FACTOR_REQUIRED_FOR_SUPER_ADMIN=False,
                  PASSWORD_HASH_METHOD="scrypt:1024:8:1"),
    ),
    (
        ProductionConfig,
        _defaults(ENV_NAME="production", EMBEDDED=False, SANDBOX_ENABLED=False,
                  SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                  PREFERRED_URL_SCHEME="https"),
    ),
):  # fmt: skip
    for _name, _value in _changes.items():
        setattr(_cls, _name, _value)
del _cls, _changes

CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def _env(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return value if value not in (None, "") else None


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def selected_config_name(environ: Mapping[str, str] | None = None) -> str:
    return (_env("CLICKPRO_ENV", environ) or _env("FLASK_ENV", environ) or "development").lower()


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from the environment: the env contract, then ``CLICKPRO_<NAME>``.

    Values are coerced to their declared types here, so an error names the variable.
    """
    environ = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    for var, name in ENV_CONTRACT.items():
        value = _env(var, environ)
        if value is not None:
            overrides[name] = coerce(BY_NAME[name], value, source=var, raw=value)
    prefixed = Config("")
    prefixed.from_prefixed_env(ENV_PREFIX, loads=_loads)
    for key, value in prefixed.items():
        var = f"{ENV_PREFIX}_{key}"
        if var in NOT_SETTINGS or value in (None, ""):
            continue
        setting = BY_ENV_NAME.get(var)
        if setting is None:
            if "__" not in var:  # nested keys (A__B) are Flask's own dict syntax
                log.warning("%s is not a ClickPro setting; ignored (see `clickpro config`)", var)
            continue
        overrides[setting.name] = coerce(setting, value, source=var, raw=environ.get(var))
    if "REDIS_URL" in overrides and "EMBEDDED" not in overrides:
        overrides["EMBEDDED"] = False
    if ("META_GRAPH_URL" in overrides or "OPENAI_BASE_URL" in overrides) and (
        "SANDBOX_ENABLED" not in overrides
    ):
        overrides["SANDBOX_ENABLED"] = _truthy(_env("CLICKPRO_SANDBOX", environ) or "")
    return overrides


def _loads(text: str) -> Any:
    """JSON when it parses (numbers stay numbers), the text itself otherwise."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def coerce(
    setting: Setting, value: Any, *, source: str | None = None, raw: str | None = None
) -> Any:
    """``value`` as the setting's declared type, or :class:`SettingError` naming ``source``
    (the variable) and showing ``raw`` (its text, when it came from the environment)."""
    try:
        return _coerce(setting, value)
    except (TypeError, ValueError) as exc:
        where = source or setting.name
        shown = raw if raw is not None else value
        raise SettingError(
            f"{where}={shown!r}: {setting.name} expects {_type_label(setting)} ({exc})"
        ) from None


def _type_label(setting: Setting) -> str:
    label = {bool: "true/false", int: "an integer", float: "a number", str: "a string",
             tuple: "a list (JSON or comma-separated)", dict: "a JSON object",
             timedelta: "seconds", object: "an object"}[setting.type]  # fmt: skip
    return label + (" or null" if setting.nullable else "")


def _coerce(setting: Setting, value: Any) -> Any:
    kind = setting.type
    if value is None or (isinstance(value, str) and value == "" and kind is not str):
        if setting.nullable:
            return None
        raise ValueError("a value is required")
    if kind is object:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return _BOOL_WORDS[value.strip().lower()]
        raise ValueError("not a boolean")
    if kind is int:
        if isinstance(value, bool):
            raise ValueError("a boolean is not a count")
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("not a whole number")
        if isinstance(value, str):
            value = _loads(value.strip())
            if isinstance(value, str | bool):
                raise ValueError("not a number")
            return _coerce(setting, value)
        if isinstance(value, int | float):
            return int(value)
        raise ValueError("not a number")
    if kind is float:
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError("not a number")
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return json.dumps(value)  # CLICKPRO_META_API_VERSION=23 still means "23"
        raise ValueError("not text")
    if kind is tuple:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError("not a list of strings")
    if kind is dict:
        if isinstance(value, str):
            value = json.loads(value)
        if isinstance(value, dict):
            return dict(value)
        raise ValueError("not an object")
    if kind is timedelta:
        if isinstance(value, timedelta):
            return value
        if isinstance(value, str):
            value = float(value.strip())
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return timedelta(seconds=value)
        raise ValueError("not a number of seconds")
    raise TypeError(f"unknown setting type {kind!r}")


_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True,
               "0": False, "false": False, "no": False, "off": False}  # fmt: skip


def coerce_all(config: dict[str, Any], names: Iterable[str] | None = None) -> None:
    """Coerce the declared settings of a loaded config in place (bad value: SettingError)."""
    for name in BY_NAME if names is None else names:
        if name in config:
            config[name] = coerce(BY_NAME[name], config[name])


def masked(setting: Setting, value: Any) -> Any:
    """The value ``clickpro config`` shows: secrets as ``****``, URL passwords hidden."""
    if value in (None, ""):
        return value
    if setting.secret == "url":
        return mask_url_password(str(value))
    if setting.secret:
        return "****"
    return value


def mask_url_password(url: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:****@host`` (anything else as is)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':****' if colon else ''}@{host}"


def display_value(setting: Setting, value: Any) -> str:
    """One value as ``clickpro config`` prints it: JSON, so 30, 30.0 and "30" differ."""
    value = masked(setting, value)
    if isinstance(value, timedelta):
        value = value.total_seconds()
        value = int(value) if value.is_integer() else value
    if setting.type is object and value is not None:
        return json.dumps(f"<{type(value).__name__}>")
    try:
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    except TypeError:
        return json.dumps(repr(value))


def describe(settings: Mapping[str, Any]) -> list[str]:
    """``NAME=value`` lines of every declared setting, in table order, secrets masked."""
    return [f"{s.name}={display_value(s, settings.get(s.name))}" for s in SETTINGS]
