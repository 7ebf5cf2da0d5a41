"""Several WhatsApp numbers per client, conversations per number, BSUID identities

Moves every client's single WhatsApp credential to its first number: its templates
take the credential's WABA, each contact with messages gets one conversation on that
number carrying the contact's inbox state, and messages and campaigns point to the
number (and messages to their conversation). Nothing is dropped here; the contact's
old inbox columns are removed by a later revision once nothing reads them.

Revision ID: d16a01000001
Revises: d17a02000001
Create Date: 2026-12-02 03:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d16a01000001"
down_revision = "d17a02000001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_credentials", schema=None) as batch_op:
        batch_op.drop_constraint("uq_whatsapp_credentials_client_id", type_="unique")
        batch_op.add_column(
            sa.Column("display_name", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("archived_at", TS, nullable=True))
        batch_op.add_column(sa.Column("ai_settings", JSON, nullable=True))

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("phone_e164", existing_type=sa.String(length=20), nullable=True)
        batch_op.add_column(sa.Column("bsuid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("parent_bsuid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_contacts_client_id_bsuid", ["client_id", "bsuid"])
        batch_op.create_index("ix_contacts_client_username", ["client_id", "username"])

    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.alter_column("phone_e164", existing_type=sa.String(length=20), nullable=True)
        batch_op.add_column(sa.Column("bsuid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_opt_outs_client_id_bsuid", ["client_id", "bsuid"])

    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waba_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.drop_constraint("uq_templates_client_id_name_language", type_="unique")
        batch_op.create_unique_constraint(
            "uq_templates_client_id_waba_id_name_language",
            ["client_id", "waba_id", "name", "language"],
        )

    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("malformed", sa.Integer(), nullable=False, server_default="0")
        )

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("last_message_at", TS, nullable=True),
        sa.Column("last_message_preview", sa.String(length=200), nullable=True),
        sa.Column("last_inbound_at", TS, nullable=True),
        sa.Column("ai_paused", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["number_id"], ["whatsapp_credentials.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assigned_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "number_id"),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversations_client_id"), ["client_id"])
        batch_op.create_index(batch_op.f("ix_conversations_contact_id"), ["contact_id"])
        batch_op.create_index(batch_op.f("ix_conversations_assigned_user_id"), ["assigned_user_id"])
        batch_op.create_index(
            "ix_conversations_client_last_message", ["client_id", "last_message_at"]
        )
        batch_op.create_index(
            "ix_conversations_number_last_message", ["number_id", "last_message_at"]
        )

    op.create_table(
        "contact_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("replaced_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "kind", "waba_id", "value"),
    )
    with op.batch_alter_table("contact_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_identities_client_id"), ["client_id"])
        batch_op.create_index(batch_op.f("ix_contact_identities_contact_id"), ["contact_id"])

    op.create_table(
        "contact_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kept_contact_id", sa.Integer(), nullable=True),
        sa.Column("merged_contact_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["kept_contact_id"], ["contacts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_merges_client_id"), ["client_id"])
        batch_op.create_index(batch_op.f("ix_contact_merges_kept_contact_id"), ["kept_contact_id"])

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("number_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_conversation_id_conversations",
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            "fk_messages_number_id_whatsapp_credentials",
            "whatsapp_credentials",
            ["number_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_messages_conversation_id"), ["conversation_id"])
        batch_op.create_index(batch_op.f("ix_messages_number_id"), ["number_id"])

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_campaigns_number_id_whatsapp_credentials",
            "whatsapp_credentials",
            ["number_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_campaigns_number_id"), ["number_id"])

    _move_single_credential_to_first_number()


def _move_single_credential_to_first_number() -> None:
    """Until now a client had at most one credential: it becomes the first number."""
    op.execute(
        """
        UPDATE whatsapp_credentials SET display_name = COALESCE(
            NULLIF(verified_name, ''), NULLIF(display_phone_number, ''), phone_number_id)
        WHERE display_name = ''
        """
    )
    op.execute(
        """
        UPDATE templates SET waba_id = COALESCE((
            SELECT w.waba_id FROM whatsapp_credentials w
            WHERE w.client_id = templates.client_id), '')
        """
    )
    op.execute(
        """
        INSERT INTO conversations (
            client_id, contact_id, number_id, status, assigned_user_id, unread_count,
            last_message_at, last_message_preview, last_inbound_at, ai_paused,
            resolved_at, created_at, updated_at)
        SELECT c.client_id, c.id, w.id, c.conversation_status, c.assigned_user_id,
               c.unread_count, c.last_message_at, c.last_message_preview,
               c.last_inbound_at, c.ai_paused,
               CASE WHEN c.conversation_status = 'RESOLVED' THEN c.updated_at END,
               c.created_at, c.updated_at
        FROM contacts c JOIN whatsapp_credentials w ON w.client_id = c.client_id
        WHERE EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id)
        """
    )
    op.execute(
        """
        UPDATE messages SET
            number_id = (SELECT w.id FROM whatsapp_credentials w
                         WHERE w.client_id = messages.client_id),
            conversation_id = (SELECT v.id FROM conversations v
                               WHERE v.contact_id = messages.contact_id)
        """
    )
    op.execute(
        """
        UPDATE campaigns SET number_id = (
            SELECT w.id FROM whatsapp_credentials w WHERE w.client_id = campaigns.client_id)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_number_id"))
        batch_op.drop_constraint("fk_campaigns_number_id_whatsapp_credentials", type_="foreignkey")
        batch_op.drop_column("number_id")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_number_id"))
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id"))
        batch_op.drop_constraint("fk_messages_number_id_whatsapp_credentials", type_="foreignkey")
        batch_op.drop_constraint("fk_messages_conversation_id_conversations", type_="foreignkey")
        batch_op.drop_column("number_id")
        batch_op.drop_column("conversation_id")
    op.drop_table("contact_merges")
    op.drop_table("contact_identities")
    op.drop_table("conversations")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("malformed")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_constraint("uq_templates_client_id_waba_id_name_language", type_="unique")
        batch_op.create_unique_constraint(
            "uq_templates_client_id_name_language", ["client_id", "name", "language"]
        )
        batch_op.drop_column("waba_id")
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_opt_outs_client_id_bsuid", type_="unique")
        batch_op.drop_column("bsuid")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_client_username")
        batch_op.drop_constraint("uq_contacts_client_id_bsuid", type_="unique")
        batch_op.drop_column("username")
        batch_op.drop_column("parent_bsuid")
        batch_op.drop_column("bsuid")
    with op.batch_alter_table("whatsapp_credentials", schema=None) as batch_op:
        batch_op.drop_column("ai_settings")
        batch_op.drop_column("archived_at")
        batch_op.drop_column("display_name")
        batch_op.create_unique_constraint("uq_whatsapp_credentials_client_id", ["client_id"])
