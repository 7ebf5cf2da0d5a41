"""The AI-reply ledger: one row per burst of inbound messages the assistant handled.

A row is the claim a job takes *before* calling OpenAI or sending anything, and the
record of what happened (answer, handoff, fallback, failure) with tokens and latency.

Why it makes "never twice" hold across workers: a conversation's rows form a chain,
each row naming the last inbound message the previous row covered
(``after_message_id``). ``UNIQUE(conversation_id, after_message_id)`` lets exactly one
job claim the next link, whatever the number of workers, on PostgreSQL and SQLite alike;
``UNIQUE(trigger_message_id)`` makes a re-run of the same job a no-op.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin


class AIRunStatus(StrEnum):
    CLAIMED = "CLAIMED"  # batch claimed; OpenAI not answered yet (retries happen here)
    SENDING = "SENDING"  # the one send is under way: nobody else may send for this batch
    DONE = "DONE"  # something was sent (answer, fallback or handoff text)
    FAILED = "FAILED"  # nothing could be sent (window closed, Meta refused...)


class AIOutcome(StrEnum):
    ANSWERED = "answered"
    HANDOFF_KEYWORD = "handoff_keyword"
    HANDOFF_CAP = "handoff_cap"
    NON_TEXT_FALLBACK = "non_text_fallback"
    NON_TEXT_HANDOFF = "non_text_handoff"
    FAILURE_HANDOFF = "failure_handoff"  # OpenAI failed for good: fallback text + handoff
    # Issue #21 (h5): the intent classifier routed the message, or the conversation's cap.
    INTENT_STOP = "intent_stop"  # opted out like "SAIR" (the opt-out confirmation is sent)
    INTENT_HUMAN = "intent_human"
    INTENT_COMPLAINT = "intent_complaint"  # handed off with priority urgent
    HANDOFF_CONVERSATION_CAP = "handoff_conv_cap"
    NO_KNOWLEDGE = "no_knowledge"  # h4: the knowledge base had nothing relevant


HANDOFF_OUTCOMES = (
    AIOutcome.HANDOFF_KEYWORD,
    AIOutcome.HANDOFF_CAP,
    AIOutcome.NON_TEXT_HANDOFF,
    AIOutcome.FAILURE_HANDOFF,
    AIOutcome.INTENT_HUMAN,
    AIOutcome.INTENT_COMPLAINT,
    AIOutcome.HANDOFF_CONVERSATION_CAP,
    AIOutcome.NO_KNOWLEDGE,
)


class AIReplyRun(TenantMixin, TimestampMixin, Model):
    __tablename__ = "ai_reply_runs"
    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "after_message_id"),
        sa.Index("ix_ai_reply_runs_client_created", "client_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
    )
    # The conversation (contact + number) answered; NULL only on runs older than numbers
    # whose trigger had no conversation.
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    trigger_message_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True, nullable=False)
    # The chain link: last inbound id covered by the previous run (0 for the first).
    after_message_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    message_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=AIRunStatus.CLAIMED)
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    reply_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    assistant_id: Mapped[str | None] = mapped_column(sa.String(64))
    assistant_version: Mapped[str | None] = mapped_column(sa.String(16))
    model: Mapped[str | None] = mapped_column(sa.String(64))
    input_tokens: Mapped[int] = mapped_column(nullable=False, default=0)
    output_tokens: Mapped[int] = mapped_column(nullable=False, default=0)
    latency_ms: Mapped[int | None] = mapped_column()
    error_kind: Mapped[str | None] = mapped_column(sa.String(20))
    error: Mapped[str | None] = mapped_column(sa.String(500))
    # Issue #21. What the intent classifier said (human / stop / complaint / other), the
    # knowledge-base documents the answer used (never sent to the customer) and every
    # call to one of the client's HTTP tools: ``[{"name", "arguments", "status", "ms",
    # "error"}]``.
    intent: Mapped[str | None] = mapped_column(sa.String(20))
    citations: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    tool_calls: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # The classifier call's {"model", "input_tokens", "output_tokens", "cost"?}: it counts
    # in the client's monthly spend and token budget like the answer does (h5).
    intent_usage: Mapped[dict | None] = mapped_column(JSONType)
