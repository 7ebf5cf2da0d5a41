"""Migration f6a7b8c9d0e1: stored notification links become the ids they point at, and the
downgrade rebuilds the links from the ids."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from clickpro.extensions import db

BEFORE = "e5f1a2b3c4d6"
AFTER = "f6a7b8c9d0e1"


def _filler(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(conn, table: str, **values) -> int:
    """A row with ``values`` and a dummy value in every other NOT NULL column."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.primary_key or column.nullable:
            continue
        if column.server_default is None:
            row[column.name] = _filler(column)
    return conn.execute(sa.insert(reflected).values(**row)).inserted_primary_key[0]


def test_links_become_ids_and_back(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'notes.db'}")
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision=BEFORE)
        with db.engine.begin() as conn:
            client = _insert(conn, "clients", name="Loja", slug="loja")
            contact = _insert(conn, "contacts", client_id=client, phone_e164="+5511987650001")
            template = _insert(conn, "templates", client_id=client, name="oi", language="pt_BR")
            links = {
                "inbox": f"/inbox/?contact={contact}",
                "template": f"/templates/{template}",
                "gone": "/templates/999999",
                "page": "/credentials",
            }
            notes = {
                key: _insert(conn, "notifications", client_id=client, kind=key, text=key, link=link)
                for key, link in links.items()
            }
        upgrade(directory=directory, revision=AFTER)
        with db.engine.connect() as conn:
            rows = {
                r.id: r
                for r in conn.execute(
                    sa.text("SELECT id, contact_id, template_id, campaign_id FROM notifications")
                )
            }
        assert rows[notes["inbox"]].contact_id == contact
        assert rows[notes["template"]].template_id == template
        for key in ("gone", "page"):  # a missing target or a plain page: no id
            assert (rows[notes[key]].contact_id, rows[notes[key]].template_id) == (None, None)

        downgrade(directory=directory, revision=BEFORE)
        with db.engine.connect() as conn:
            back = {
                r.id: r.link for r in conn.execute(sa.text("SELECT id, link FROM notifications"))
            }
        assert back[notes["inbox"]] == links["inbox"]
        assert back[notes["template"]] == links["template"]
        db.session.remove()
        db.engine.dispose()
