"""Small SQL helpers of the webhook pipeline: idempotent inserts and id lists on both
backends."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from clickpro.extensions import db


def insert_ignoring(table: sa.Table, *conflict_columns: str):
    """``INSERT … ON CONFLICT (cols) DO NOTHING`` for the bound database.

    PostgreSQL and SQLite (≥ 3.24) share the syntax; a duplicate is simply not inserted
    (``RETURNING`` then yields no row), no exception path and no aborted transaction.
    """
    dialect = db.engine.dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table)
    return stmt.on_conflict_do_nothing(index_elements=list(conflict_columns) or None)


def id_in(column: sa.ColumnElement, ids: list[int]) -> sa.ColumnElement:
    """``column = ANY(:ids)`` (one array parameter) on PostgreSQL, ``IN (…)`` elsewhere.

    One statement text whatever the batch size, so the driver prepares it once; and the
    planner estimates ``len(ids)`` rows, which keeps it on the primary key.
    """
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.literal(list(ids), postgresql.ARRAY(column.type)))
    return column.in_(ids)


def earliest(column: sa.ColumnElement, value) -> sa.ColumnElement:
    """``column`` set to ``value`` if empty or later (order-independent timestamps)."""
    value = sa.literal(value, column.type)
    return sa.case((column.is_(None), value), (column > value, value), else_=column)


def latest(column: sa.ColumnElement, value) -> sa.ColumnElement:
    """``column`` set to ``value`` if empty or earlier."""
    value = sa.literal(value, column.type)
    return sa.case((column.is_(None), value), (column < value, value), else_=column)
