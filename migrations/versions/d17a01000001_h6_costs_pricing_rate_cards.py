"""h6 costs: pricing ledger on messages, rate cards, campaign cost estimates

``messages`` gets the status webhook's ``pricing`` (model, category, type, billable),
the cost derived from the rate card valid at that time (cost, currency, card), the
number it was reported for, the pacing flag (held for a quality check) and the endpoint
that sent it. ``rate_cards`` / ``rate_card_rates`` hold prices per category and market;
``campaign_cost_estimates`` the last estimate of each campaign;
``marketing_messages_numbers`` whether a number is onboarded to Meta's Marketing Messages
API (and its optional message TTL for marketing sends).

The default Brazil card is *not* inserted here: it is seeded on first use by
``services.costs.cards.ensure_default_card`` (same code path for a new
database, an upgraded one and the tests' emptied one).

Revision ID: d17a01000001
Revises: d15a05000005
Create Date: 2026-12-02 00:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d17a01000001"
down_revision = "d15a05000005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("markup_pct", sa.Numeric(7, 3), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_cards_client_valid", "rate_cards", ["client_id", "valid_from"])
    op.create_table(
        "rate_card_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("market", sa.String(length=8), nullable=False),
        sa.Column("price", sa.Numeric(14, 6), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["rate_cards.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("card_id", "category", "market"),
    )
    op.create_index("ix_rate_card_rates_card_id", "rate_card_rates", ["card_id"])
    op.create_table(
        "campaign_cost_estimates",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(14, 6), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("unpriced", sa.Integer(), nullable=False),
        sa.Column(
            "by_market", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["card_id"], ["rate_cards.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_index(
        "ix_campaign_cost_estimates_client_id", "campaign_cost_estimates", ["client_id"]
    )
    op.create_table(
        "marketing_messages_numbers",
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("onboarded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("meta_status", sa.String(length=40), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["credential_id"], ["whatsapp_credentials.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index(
        "ix_marketing_messages_numbers_client_id", "marketing_messages_numbers", ["client_id"]
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pricing_model", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("pricing_category", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("pricing_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("billable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("cost", sa.Numeric(14, 6), nullable=True))
        batch_op.add_column(sa.Column("cost_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("rate_card_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pricing_number", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_rate_card_id_rate_cards",
            "rate_cards",
            ["rate_card_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_messages_client_priced",
            ["client_id", "delivered_at"],
            postgresql_where=sa.text("pricing_category IS NOT NULL"),
            sqlite_where=sa.text("pricing_category IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_client_priced")
        batch_op.drop_constraint("fk_messages_rate_card_id_rate_cards", type_="foreignkey")
        for column in (
            "pricing_number", "rate_card_id", "cost_currency",
            "cost", "billable", "pricing_type", "pricing_category", "pricing_model",
        ):  # fmt: skip
            batch_op.drop_column(column)
    op.drop_index(
        "ix_marketing_messages_numbers_client_id", table_name="marketing_messages_numbers"
    )
    op.drop_table("marketing_messages_numbers")
    op.drop_index("ix_campaign_cost_estimates_client_id", table_name="campaign_cost_estimates")
    op.drop_table("campaign_cost_estimates")
    op.drop_index("ix_rate_card_rates_card_id", table_name="rate_card_rates")
    op.drop_table("rate_card_rates")
    op.drop_index("ix_rate_cards_client_valid", table_name="rate_cards")
    op.drop_table("rate_cards")
