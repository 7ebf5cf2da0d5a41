"""ClickPro: a self-hostable, multi-tenant WhatsApp Business platform.

``create_app`` reads like a table of contents: settings → extensions → blueprints →
admin and CLI → plugins → signal receivers. Nothing opens a database, Redis or network
connection here; migrations and schedules run from the CLI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from clickpro.config import (
    CONFIGS,
    DEFAULT_ENCRYPTION_KEY,
    DEFAULT_SECRET_KEY,
    SettingError,
    coerce_all,
    env_overrides,
    normalize_database_url,
    selected_config_name,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class ConfigurationError(RuntimeError):
    """Settings that must not start (production with development secrets, bad keys...)."""


def create_app(config: str | dict | type | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    check_config(app)
    configure_logging(app)
    init_extensions(app)
    from clickpro.blueprints import register_blueprints

    register_blueprints(app)
    from clickpro.admin import init_admin
    from clickpro.admin_console import init_console
    from clickpro.cli import init_cli
    from clickpro.web import init_web

    init_web(app)
    init_admin(app)
    init_console(app)
    init_cli(app)
    from clickpro.plugins import init_plugins
    from clickpro.receivers import connect_receivers

    init_plugins(app)
    connect_receivers(app)
    if app.config["SANDBOX_ENABLED"] and app.config["EMBEDDED"]:
        from clickpro.sandbox.embed import attach_sandbox

        attach_sandbox(app)
    return app


def load_config(app: Flask, config: str | dict | type | None) -> None:
    """The settings table's defaults and the environment class, then the environment (the
    env contract, then ``CLICKPRO_<NAME>``), then explicit overrides; every declared value
    coerced to its type (see :mod:`clickpro.config`)."""
    overrides: dict = {}
    if isinstance(config, dict):
        overrides = dict(config)
        config = overrides.pop("CONFIG_NAME", None)
    if config is None or isinstance(config, str):
        config = CONFIGS[(config or selected_config_name()).lower()]
    app.config.from_object(config)
    try:
        app.config.update(env_overrides())
        app.config.update(overrides)
        coerce_all(app.config)
    except SettingError as exc:
        raise ConfigurationError(f"bad setting: {exc}") from None
    if app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
            app.config["SQLALCHEMY_DATABASE_URI"]
        )
    else:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'clickpro.db'}"
        )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if app.config["EMBEDDED"]:
        app.config["META_APP_SECRET"] = app.config["META_APP_SECRET"] or "sandbox-app-secret"
        app.config["META_VERIFY_TOKEN"] = app.config["META_VERIFY_TOKEN"] or "clickpro-dev-verify"


def check_config(app: Flask) -> None:
    from clickpro.crypto import EncryptionConfigError, parse_keys

    if app.config["ENV_NAME"] == "production":
        problems = []
        secret = app.config["SECRET_KEY"] or ""
        if secret == DEFAULT_SECRET_KEY or secret.startswith("change-me") or len(secret) < 16:
            problems.append(
                "SECRET_KEY is unset, the development default, a placeholder or shorter "
                "than 16 characters"
            )
        if app.config["CLICKPRO_ENCRYPTION_KEYS"] in (None, "", DEFAULT_ENCRYPTION_KEY):
            problems.append("CLICKPRO_ENCRYPTION_KEYS is unset or the development default")
        if not app.config["REDIS_URL"]:
            problems.append("REDIS_URL is unset (production needs a real Redis)")
        if problems:
            raise ConfigurationError(
                "refusing to start in production: " + "; ".join(problems) + "."
            )
    try:
        parse_keys(app.config["CLICKPRO_ENCRYPTION_KEYS"])
    except EncryptionConfigError as exc:
        raise ConfigurationError(str(exc)) from exc


def configure_logging(app: Flask) -> None:
    level = logging.DEBUG if app.debug else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs full request URLs at INFO; keep it quiet so nothing sensitive leaks.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def init_extensions(app: Flask) -> None:
    from clickpro.crypto import init_crypto
    from clickpro.extensions import babel, csrf, db, init_redis, login_manager, migrate
    from clickpro.guards import init_guards
    from clickpro.i18n import select_locale, select_timezone
    from clickpro.realtime import init_realtime
    from clickpro.tasks.schedule import init_schedule

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    init_crypto(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    init_guards(app)
    init_redis(app)
    init_schedule(app)
    init_realtime(app)
