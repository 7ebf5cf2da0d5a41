"""Accent- and case-insensitive text matching ("tenis" finds "Tênis" and back).

PostgreSQL: the ``unaccent`` extension (created by migration d15a05000005 and by the test
schema reset) — ``lower(unaccent(column)) LIKE <term folded in Python>`` (accents first: a
C-collation ``lower()`` only folds ASCII). SQLite: the same
SQL, served by a Python ``unaccent`` function registered on every SQLite connection
(NFKD, combining marks dropped), so both databases answer the same query the same way.

Trade-off: ``unaccent(...)`` is not index-backed by the pg_trgm GIN indexes on the raw
columns, so the match runs over the client's rows (``client_id`` index) instead.
"""

from __future__ import annotations

import sqlite3
import unicodedata

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def fold(text: str | None) -> str:
    """Lower-case without accents, in Python (what the SQL side computes)."""
    folded = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()


def _sqlite_unaccent(value: str | None) -> str | None:
    return fold(value) if isinstance(value, str) else value


@sa.event.listens_for(Engine, "connect")
def _register_sqlite_unaccent(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("unaccent", 1, _sqlite_unaccent, deterministic=True)


def like_escape(term: str) -> str:
    """``%term%`` with LIKE wildcards in ``term`` escaped (escape char ``\\``)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def folded_contains(column, term: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``term``, ignoring case and accents (on both databases)."""
    folded_term = fold(term)
    return sa.func.lower(sa.func.unaccent(column)).like(like_escape(folded_term), escape="\\")
