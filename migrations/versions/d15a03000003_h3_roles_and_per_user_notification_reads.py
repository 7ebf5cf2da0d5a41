"""h3: per-user notification read state, one notification per event, audiences

- ``notification_reads`` (notification_id, user_id, read_at): who has read what. One
  member reading no longer marks a notification read for all.
- ``notifications.audience`` (``members`` | ``admins``) and ``dedupe_key`` (unique per
  client: the same event notified twice stores one row).
- ``notifications.read_at`` (shared read state) and its index are dropped. The upgrade
  carries it over: a read personal notification becomes read for its user, a read
  client-wide one becomes read for every member who was active then.
- The role matrix itself needs no schema: the "Agentes podem ..." options live in
  ``clients.settings``.

Revision ID: d15a03000003
Revises: d15a02000002
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d15a03000003"
down_revision = "d15a02000002"
branch_labels = None
depends_on = None

ADMIN_KINDS = ("template_status", "templates_imported", "credentials", "campaign_paused")


def upgrade() -> None:
    op.create_table(
        "notification_reads",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_reads_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_reads")),
    )
    with op.batch_alter_table("notification_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_reads_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=16), server_default="members", nullable=False)
        )
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=160), nullable=True))
        batch_op.create_unique_constraint(
            "uq_notifications_client_dedupe", ["client_id", "dedupe_key"]
        )

    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE notifications SET audience = 'admins'"
            " WHERE user_id IS NULL AND (kind IN :kinds"
            " OR (kind = 'ai_error' AND contact_id IS NULL))"
        ).bindparams(sa.bindparam("kinds", expanding=True)),
        {"kinds": list(ADMIN_KINDS)},
    )
    conn.execute(
        sa.text(
            "INSERT INTO notification_reads (notification_id, user_id, read_at)"
            " SELECT id, user_id, read_at FROM notifications"
            " WHERE read_at IS NOT NULL AND user_id IS NOT NULL"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO notification_reads (notification_id, user_id, read_at)"
            " SELECT n.id, m.user_id, n.read_at FROM notifications n"
            " JOIN client_members m ON m.client_id = n.client_id AND m.is_active = :active"
            " WHERE n.read_at IS NOT NULL AND n.user_id IS NULL"
        ),
        {"active": True},
    )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_client_read")
        batch_op.drop_column("read_at")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_notifications_client_read", ["client_id", "read_at"], unique=False
        )
    # Shared read state again: read as soon as anybody read it (the closest v1 meaning).
    op.get_bind().execute(
        sa.text(
            "UPDATE notifications SET read_at = (SELECT MIN(r.read_at) FROM notification_reads r"
            " WHERE r.notification_id = notifications.id)"
        )
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notifications_client_dedupe", type_="unique")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("audience")
    with op.batch_alter_table("notification_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_reads_user_id"))
    op.drop_table("notification_reads")
