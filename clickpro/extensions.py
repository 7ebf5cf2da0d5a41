"""Flask extensions, created unbound here and bound in ``create_app``.

Nothing here opens a connection at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import redis
from flask import Flask, current_app
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Principal
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names so migrations stay identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The typed declarative base (SQLAlchemy 2) of every model; Flask-SQLAlchemy builds
    ``db.Model`` from it, with the deterministic naming convention on its metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model maps one table (no mapping to a join or select): typed as Table, so
        # Core statements such as ``sa.update(Model.__table__)`` type-check.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched.

    ``Session.execute`` is typed as returning a plain ``Result``; for a DML statement it is
    a ``CursorResult``, the one that carries the count.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count (not a DML statement?)")
    return result.rowcount


def current_app_object() -> Flask:
    """The application behind the ``current_app`` proxy (a signal's sender, a thread's app).

    Flask types the proxy as ``Flask`` itself, so the proxy method is unknown to mypy.
    """
    return current_app._get_current_object()  # type: ignore[attr-defined]  # proxy method


migrate = Migrate()
login_manager = LoginManager()
principal = Principal(use_sessions=False)
csrf = CSRFProtect()
babel = Babel()
socketio = SocketIO()


_REDIS_KEY = "clickpro.redis"


def init_redis(app: Flask) -> None:
    """Bind the app's Redis connection (queues, limiter, control keys); connects on first use."""
    url = app.config["REDIS_URL"]
    if url:
        app.extensions[_REDIS_KEY] = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
        )
    else:
        import fakeredis

        # One in-process server per app: the embedded queue, limiter and control keys.
        app.extensions[_REDIS_KEY] = fakeredis.FakeRedis(server=fakeredis.FakeServer())


def redis_connection(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions[_REDIS_KEY]
