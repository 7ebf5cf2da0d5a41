"""A client's Meta (WhatsApp Cloud API) and OpenAI credentials. Secrets are Fernet tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from clickpro.models.base import JSONType, Model, TenantMixin, TimestampMixin, UTCDateTime


class CredentialStatus(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"
    UNVERIFIED = "UNVERIFIED"


class WhatsAppCredential(TenantMixin, TimestampMixin, Model):
    """One WhatsApp number of a client (a client may have several).

    The client's first number is the one with the lowest id among those not archived.
    """

    __tablename__ = "whatsapp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The client's own name for the number ("Vendas", "Suporte", "Loja Centro").
    display_name: Mapped[str] = mapped_column(
        sa.String(120), nullable=False, default="", server_default=""
    )
    # A removed number: its secrets are wiped and it is no longer routed, its history stays.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Per-number assistant settings over the client's OpenAI settings (None: the default).
    ai_settings: Mapped[dict | None] = mapped_column(JSONType)
    access_token_enc: Mapped[str] = mapped_column(sa.Text, nullable=False)
    token_last4: Mapped[str] = mapped_column(sa.String(4), nullable=False, default="")
    waba_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    phone_number_id: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    app_id: Mapped[str | None] = mapped_column(sa.String(64))
    display_phone_number: Mapped[str | None] = mapped_column(sa.String(32))
    verified_name: Mapped[str | None] = mapped_column(sa.String(120))
    quality_rating: Mapped[str | None] = mapped_column(sa.String(16))
    app_secret_enc: Mapped[str | None] = mapped_column(sa.Text)
    # The client's own webhook verify token, kept as a SHA-256 hex digest (only compared).
    verify_token_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=CredentialStatus.UNVERIFIED
    )
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    throughput_mps: Mapped[int] = mapped_column(nullable=False, default=80)
    messaging_tier: Mapped[str | None] = mapped_column(sa.String(32))


class OpenAICredential(TenantMixin, TimestampMixin, Model):
    """The client's OpenAI key and its ClickPro assistant (our own configuration).

    OpenAI's Assistants API is gone (2026-08-26); the assistant is this row's settings,
    used with the Responses API. ``assistant_id`` is ClickPro's own stable id of it.
    """

    __tablename__ = "openai_credentials"
    __table_args__ = (sa.UniqueConstraint("client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_enc: Mapped[str] = mapped_column(sa.Text, nullable=False)
    key_last4: Mapped[str] = mapped_column(sa.String(4), nullable=False, default="")
    assistant_id: Mapped[str | None] = mapped_column(sa.String(64))
    model: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="gpt-4.1-mini")
    instructions: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    temperature: Mapped[float] = mapped_column(nullable=False, default=0.3)
    context_messages: Mapped[int] = mapped_column(nullable=False, default=12)
    max_output_tokens: Mapped[int] = mapped_column(nullable=False, default=400)
    handoff_keywords: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    fallback_text: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="Um atendente vai te responder em breve."
    )
    # Extra assistant settings: business hours, daily cap, non-text policy, debounce...
    options: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default=CredentialStatus.UNVERIFIED
    )
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
