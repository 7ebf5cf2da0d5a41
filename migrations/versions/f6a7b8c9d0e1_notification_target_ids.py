"""notifications store what they are about (contact/template/campaign ids), not a URL

The web layer builds the link with url_for from the kind and these ids; services no
longer spell "/inbox/?contact=…" or "/templates/…". Existing links are parsed into the
ids on upgrade and rebuilt from them on downgrade.

Revision ID: f6a7b8c9d0e1
Revises: e5f1a2b3c4d6
Create Date: 2026-12-01 20:40:00

"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6a7b8c9d0e1"
down_revision = "e5f1a2b3c4d6"
branch_labels = None
depends_on = None

TARGETS = (  # (link pattern, column)
    (re.compile(r"^/inbox/?\?contact=(\d+)$"), "contact_id"),
    (re.compile(r"^/templates/(\d+)$"), "template_id"),
    (re.compile(r"^/campaigns/(\d+)$"), "campaign_id"),
)
TABLES = {"contact_id": "contacts", "template_id": "templates", "campaign_id": "campaigns"}


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column, table in TABLES.items():
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_notifications_{column}_{table}"),
                table,
                [column],
                ["id"],
                ondelete="CASCADE",
            )
            batch_op.create_index(batch_op.f(f"ix_notifications_{column}"), [column], unique=False)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, link FROM notifications WHERE link IS NOT NULL"))
    for note_id, link in rows.fetchall():
        for pattern, column in TARGETS:
            match = pattern.match(link or "")
            if not match:
                continue
            target = int(match.group(1))
            exists = conn.execute(
                sa.text(f"SELECT 1 FROM {TABLES[column]} WHERE id = :id"), {"id": target}
            ).first()
            if exists:
                conn.execute(
                    sa.text(f"UPDATE notifications SET {column} = :target WHERE id = :id"),
                    {"target": target, "id": note_id},
                )
            break
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("link")


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sa.String(length=500), nullable=True))
    op.execute(
        "UPDATE notifications SET link = '/inbox/?contact=' || CAST(contact_id AS VARCHAR(20)) "
        "WHERE contact_id IS NOT NULL"
    )
    op.execute(
        "UPDATE notifications SET link = '/templates/' || CAST(template_id AS VARCHAR(20)) "
        "WHERE template_id IS NOT NULL AND link IS NULL"
    )
    op.execute(
        "UPDATE notifications SET link = '/campaigns/' || CAST(campaign_id AS VARCHAR(20)) "
        "WHERE campaign_id IS NOT NULL AND link IS NULL"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column, table in TABLES.items():
            batch_op.drop_index(batch_op.f(f"ix_notifications_{column}"))
            batch_op.drop_constraint(
                batch_op.f(f"fk_notifications_{column}_{table}"), type_="foreignkey"
            )
            batch_op.drop_column(column)
