"""Flows (issue #20) and the AI run log columns of issue #21

Revision ID: f20a00000000
Revises: e19a09000009
Create Date: 2026-12-02 13:58:58.793408

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "f20a00000000"
down_revision = "e19a09000009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # flows <-> flow_versions reference each other: SQLite takes the constraint inline
    # (it does not check the target exists yet), PostgreSQL gets it once both exist.
    published_fk = [
        sa.ForeignKeyConstraint(
            ["published_version_id"],
            ["flow_versions.id"],
            name=op.f("fk_flows_published_version_id_flow_versions"),
            ondelete="SET NULL",
        )
    ]
    op.create_table(
        "flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("number_id", sa.Integer(), nullable=True),
        sa.Column(
            "draft", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("draft_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("template_key", sa.String(length=40), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flows_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_flows_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["number_id"],
            ["whatsapp_credentials.id"],
            name=op.f("fk_flows_number_id_whatsapp_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
        sa.UniqueConstraint("client_id", "name", name="uq_flows_client_name"),
        *(published_fk if sqlite else []),
    )
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flows_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flows_number_id"), ["number_id"], unique=False)

    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "graph", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flow_versions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flows.id"],
            name=op.f("fk_flow_versions_flow_id_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_flow_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_versions")),
        sa.UniqueConstraint("flow_id", "number", name="uq_flow_versions_number"),
    )
    with op.batch_alter_table("flow_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_versions_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_versions_flow_id"), ["flow_id"], unique=False)

    if not sqlite:
        op.create_foreign_key(
            op.f("fk_flows_published_version_id_flow_versions"), "flows", "flow_versions",
            ["published_version_id"], ["id"], ondelete="SET NULL",
        )  # fmt: skip

    op.create_table(
        "flow_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column(
            "graph_snapshot",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_step", sa.String(length=64), nullable=True),
        sa.Column(
            "step_state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "variables", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flow_runs_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_flow_runs_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_flow_runs_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_runs_flow_id_flows"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_flow_runs_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["flow_versions.id"],
            name=op.f("fk_flow_runs_version_id_flow_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_runs")),
    )
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow_runs_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flow_runs_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_flow_runs_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_flow_runs_flow_started", ["flow_id", "started_at"], unique=False)
        batch_op.create_index("ix_flow_runs_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_flow_runs_status_wake", ["status", "wake_at"], unique=False)
        batch_op.create_index(
            "uq_flow_runs_one_active_per_conversation",
            ["conversation_id"],
            unique=True,
            postgresql_where=sa.text(
                "conversation_id IS NOT NULL AND status IN ('running', 'waiting_input', 'waiting_timer')"
            ),
            sqlite_where=sa.text(
                "conversation_id IS NOT NULL AND status IN ('running', 'waiting_input', 'waiting_timer')"
            ),
        )

    op.create_table(
        "flow_run_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flow_run_inputs_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["flow_runs.id"],
            name=op.f("fk_flow_run_inputs_run_id_flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_inputs")),
        sa.UniqueConstraint("message_id", name=op.f("uq_flow_run_inputs_message_id")),
    )
    with op.batch_alter_table("flow_run_inputs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_run_inputs_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flow_run_inputs_run_id"), ["run_id"], unique=False)

    op.create_table(
        "flow_run_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("step_type", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_flow_run_steps_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["flows.id"],
            name=op.f("fk_flow_run_steps_flow_id_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_flow_run_steps_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["flow_runs.id"],
            name=op.f("fk_flow_run_steps_run_id_flow_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_steps")),
        sa.UniqueConstraint("run_id", "seq", name="uq_flow_run_steps_seq"),
    )
    with op.batch_alter_table("flow_run_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_run_steps_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index("ix_flow_run_steps_flow_step", ["flow_id", "step_id"], unique=False)

    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intent", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column(
                "citations",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "tool_calls",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("ai_reply_runs", schema=None) as batch_op:
        batch_op.drop_column("tool_calls")
        batch_op.drop_column("citations")
        batch_op.drop_column("intent")

    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("flow_run_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_run_steps_flow_step")
        batch_op.drop_index(batch_op.f("ix_flow_run_steps_client_id"))

    op.drop_table("flow_run_steps")
    with op.batch_alter_table("flow_run_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_run_inputs_run_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run_inputs_client_id"))

    op.drop_table("flow_run_inputs")
    with op.batch_alter_table("flow_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_flow_runs_one_active_per_conversation",
            postgresql_where=sa.text(
                "conversation_id IS NOT NULL AND status IN ('running', 'waiting_input', 'waiting_timer')"
            ),
            sqlite_where=sa.text(
                "conversation_id IS NOT NULL AND status IN ('running', 'waiting_input', 'waiting_timer')"
            ),
        )
        batch_op.drop_index("ix_flow_runs_status_wake")
        batch_op.drop_index("ix_flow_runs_status_expires")
        batch_op.drop_index("ix_flow_runs_flow_started")
        batch_op.drop_index(batch_op.f("ix_flow_runs_conversation_id"))
        batch_op.drop_index(batch_op.f("ix_flow_runs_contact_id"))
        batch_op.drop_index(batch_op.f("ix_flow_runs_client_id"))

    op.drop_table("flow_runs")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_flows_published_version_id_flow_versions"), "flows", type_="foreignkey"
        )
    with op.batch_alter_table("flow_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_versions_flow_id"))
        batch_op.drop_index(batch_op.f("ix_flow_versions_client_id"))

    op.drop_table("flow_versions")
    with op.batch_alter_table("flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flows_number_id"))
        batch_op.drop_index(batch_op.f("ix_flows_client_id"))

    op.drop_table("flows")
    # ### end Alembic commands ###
