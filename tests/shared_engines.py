"""Test-only: one SQLAlchemy engine (and connection pool) per PostgreSQL URL per process.

Every test builds a fresh app and Flask-SQLAlchemy's ``init_app`` creates a new engine
for it; the fixtures used to dispose it after the test, so every test opened new
PostgreSQL connections (a backend fork and the psycopg handshake each, several per test
that uses a live server or the sandbox). The engine holds no app state: its options come
from the config, so apps with the same URL, options and query recording share one, and
its pooled connections are handed from test to test (the pool rolls each back on
return). Apps with other options get their own engine. SQLite is left alone: an
in-memory database lives in its engine (``StaticPool``), sharing it would share data.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

_original = SQLAlchemy._make_engine  # noqa: SLF001
_engines: dict[str, sa.engine.Engine] = {}


def _key(bind_key: str | None, options: dict[str, Any], app: Flask) -> str | None:
    url = sa.engine.make_url(options["url"])
    if not url.drivername.startswith("postgresql"):
        return None
    rest = {name: value for name, value in options.items() if name != "url"}
    record = app.config.get("SQLALCHEMY_RECORD_QUERIES")
    return repr((bind_key, url.render_as_string(hide_password=False), sorted(rest.items()), record))


def _make_engine(
    self: SQLAlchemy, bind_key: str | None, options: dict[str, Any], app: Flask
) -> sa.engine.Engine:
    key = _key(bind_key, options, app)
    if key is None:
        return _original(self, bind_key, options, app)
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = _original(self, bind_key, options, app)
    return engine


def is_shared(engine: sa.engine.Engine) -> bool:
    """True for an engine of this cache: the fixtures must not dispose it after a test."""
    return any(engine is shared for shared in _engines.values())


def install() -> None:
    SQLAlchemy._make_engine = _make_engine  # type: ignore[method-assign]  # noqa: SLF001
