"""The client's own HTTP endpoints the assistant may call (issue #21), and the playground.

``AITool``: a function tool of the Responses API backed by one URL of the client. The
assistant fills ``parameters`` (a JSON schema, safe subset checked when saved) and
ClickPro POSTs those arguments as JSON to ``url`` with the SSRF rules of outbound
webhooks; the optional secret header (e.g. ``Authorization: Bearer …``) is stored
encrypted. ``number_id`` limits the tool to one number's assistant (NULL: every number).

``AIPlaygroundTurn``: one question/answer of a client admin's test conversation in the
playground. Never sent on WhatsApp; the turns of the current chat (``cleared`` false) are
the context of the next question, and every turn keeps its tokens and cost (the
playground's spend, shown apart from the customers' replies).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin

TOOL_NAME_MAX = 64
TOOL_DESCRIPTION_MAX = 1000
TOOL_URL_MAX = 2000


class AITool(TenantMixin, TimestampMixin, Model):
    __tablename__ = "ai_tools"
    __table_args__ = (sa.UniqueConstraint("client_id", "name", name="uq_ai_tools_client_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(TOOL_NAME_MAX), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(TOOL_DESCRIPTION_MAX), nullable=False)
    parameters: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    url: Mapped[str] = mapped_column(sa.String(TOOL_URL_MAX), nullable=False)
    secret_header_name: Mapped[str | None] = mapped_column(sa.String(100))
    secret_header_value_enc: Mapped[str | None] = mapped_column(sa.Text)
    timeout_s: Mapped[int] = mapped_column(nullable=False, default=10)
    enabled: Mapped[bool] = mapped_column(nullable=False, default=True)
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="CASCADE"), index=True
    )


class AIPlaygroundTurn(TenantMixin, TimestampMixin, Model):
    __tablename__ = "ai_playground_turns"
    __table_args__ = (sa.Index("ix_ai_playground_turns_chat", "client_id", "user_id", "cleared"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    number_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("whatsapp_credentials.id", ondelete="SET NULL")
    )
    question: Mapped[str] = mapped_column(sa.Text, nullable=False)
    answer: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # {"intent", "citations", "tool_calls", "no_knowledge", "error", "options"}
    details: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    model: Mapped[str | None] = mapped_column(sa.String(64))
    input_tokens: Mapped[int] = mapped_column(nullable=False, default=0)
    output_tokens: Mapped[int] = mapped_column(nullable=False, default=0)
    cost: Mapped[float | None] = mapped_column(sa.Float)
    latency_ms: Mapped[int | None] = mapped_column()
    cleared: Mapped[bool] = mapped_column(nullable=False, default=False)
