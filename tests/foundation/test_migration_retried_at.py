"""Revision b7c1d2e3f4a5: the "[retry] " prefix on ``messages.error_title`` becomes
``messages.retried_at`` (and back on downgrade)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clickpro.extensions import db

INSERT = sa.text(
    "INSERT INTO messages (id, client_id, contact_id, direction, author, type, body, payload,"
    " is_internal_note, status, attempts, error_code, error_title, created_at, updated_at)"
    " VALUES (:id, 1, 1, 'OUT', 'CAMPAIGN', 'template', '', '{}', 0, 'FAILED', 1, 131049,"
    " :title, '2026-11-30 10:00:00', '2026-11-30 11:00:00')"
)


def test_retry_mark_moves_to_the_column_and_back(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.db'}")
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="a9a4857e3adc")
        with db.engine.begin() as conn:
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            for mid, title in [(1, "[retry] Ecosystem"), (2, "Ecosystem"), (3, "[retry] "),
                               (4, None)]:  # fmt: skip
                conn.execute(INSERT, {"id": mid, "title": title})
        upgrade(directory=directory, revision="b7c1d2e3f4a5")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, error_title, retried_at FROM messages ORDER BY id")
            ).all()
        assert [(r[0], r[1], r[2] is not None) for r in rows] == [
            (1, "Ecosystem", True),
            (2, "Ecosystem", False),
            (3, None, True),
            (4, None, False),
        ]
        assert str(rows[0][2]).startswith("2026-11-30 11:00:00")  # the row's last update
        downgrade(directory=directory, revision="a9a4857e3adc")
        with db.engine.connect() as conn:
            titles = conn.scalars(sa.text("SELECT error_title FROM messages ORDER BY id")).all()
        assert titles == ["[retry] Ecosystem", "Ecosystem", "[retry] ", None]
        db.session.remove()
        db.engine.dispose()
