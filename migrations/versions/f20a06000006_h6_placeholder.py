"""h6: AI tools (the client's HTTP endpoints as assistant tools) and playground turns

Revision ID: f20a06000006
Revises: f20a05000005
Create Date: 2026-12-02 14:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "f20a06000006"
down_revision = "f20a05000005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ai_tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("parameters", _JSON, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret_header_name", sa.String(length=100), nullable=True),
        sa.Column("secret_header_value_enc", sa.Text(), nullable=True),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_ai_tools_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["number_id"], ["whatsapp_credentials.id"],
            name=op.f("fk_ai_tools_number_id_whatsapp_credentials"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_tools")),
        sa.UniqueConstraint("client_id", "name", name="uq_ai_tools_client_name"),
    )  # fmt: skip
    op.create_index(op.f("ix_ai_tools_client_id"), "ai_tools", ["client_id"], unique=False)
    op.create_index(op.f("ix_ai_tools_number_id"), "ai_tools", ["number_id"], unique=False)
    op.create_table(
        "ai_playground_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("cleared", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"],
            name=op.f("fk_ai_playground_turns_client_id_clients"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["number_id"], ["whatsapp_credentials.id"],
            name=op.f("fk_ai_playground_turns_number_id_whatsapp_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_playground_turns_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_playground_turns")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_ai_playground_turns_client_id"), "ai_playground_turns", ["client_id"],
        unique=False,
    )  # fmt: skip
    op.create_index(
        "ix_ai_playground_turns_chat", "ai_playground_turns",
        ["client_id", "user_id", "cleared"], unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_ai_playground_turns_chat", table_name="ai_playground_turns")
    op.drop_index(op.f("ix_ai_playground_turns_client_id"), table_name="ai_playground_turns")
    op.drop_table("ai_playground_turns")
    op.drop_index(op.f("ix_ai_tools_number_id"), table_name="ai_tools")
    op.drop_index(op.f("ix_ai_tools_client_id"), table_name="ai_tools")
    op.drop_table("ai_tools")
