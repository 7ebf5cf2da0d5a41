"""Bodies of ``/api/v1/whatsapp-numbers`` (a client's WhatsApp numbers; pydantic 2).

Beside ``schemas.py`` (which is near its size limit) like ``schemas_messaging.py``.
Secrets go in, never out: a number shows only its token's last 4 characters and whether
an app secret / verify token is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from clickpro.blueprints.api.schemas import SECRET_PATTERN, Strict

Secret = Annotated[str, Field(max_length=2000, pattern=SECRET_PATTERN)]


class NumberAISettings(Strict):
    """The assistant on this number; a field left out (or null) uses the client's."""

    enabled: bool | None = Field(
        default=None,
        description="false: no automatic answers on this number. true cannot turn the "
        "assistant on when the client's AI is off or has no valid OpenAI key.",
    )
    instructions: str | None = Field(default=None, max_length=20000)
    model: str | None = Field(default=None, max_length=64, description="Checked on OpenAI.")
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_output_tokens: int | None = Field(default=None, ge=16, le=4096)
    context_messages: int | None = Field(default=None, ge=1, le=50)
    handoff_keywords: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=50
    )
    fallback_text: str | None = Field(default=None, max_length=1000)


class WhatsAppNumberIn(Strict):
    display_name: str | None = Field(
        default=None,
        max_length=120,
        description="The client's name for the number (default: Meta's verified name).",
    )
    access_token: Secret
    waba_id: str = Field(max_length=64)
    phone_number_id: str = Field(max_length=64)
    app_id: str | None = Field(default=None, max_length=64)
    app_secret: Secret | None = Field(
        default=None, description="Your own Meta app's secret (signs this number's webhooks)."
    )
    verify_token: Secret | None = Field(
        default=None, description="Your own Meta app's webhook verify token."
    )
    ai_settings: NumberAISettings | None = None


class WhatsAppNumberPatch(Strict):
    """Only the fields sent change. An empty or absent secret keeps the stored one."""

    display_name: str | None = Field(default=None, max_length=120)
    access_token: Secret | None = Field(
        default=None, description="A new token is tested live on Meta before it is stored."
    )
    app_id: str | None = Field(default=None, max_length=64)
    app_secret: Secret | None = None
    clear_app_secret: bool = False
    verify_token: Secret | None = None
    clear_verify_token: bool = False
    ai_settings: NumberAISettings | None = Field(
        default=None,
        description="Replaces the number's assistant settings; null: the client's settings.",
    )


class WhatsAppNumberQuery(Strict):
    include_archived: bool = Field(default=False, description="Also list removed numbers.")


class WhatsAppNumberOut(BaseModel):
    id: int = Field(description="ClickPro's id of the number (used in the URL).")
    phone_number_id: str
    waba_id: str
    display_name: str
    display_phone_number: str | None
    verified_name: str | None
    quality_rating: str | None
    messaging_tier: str | None
    throughput_mps: int
    status: str = Field(description="VALID, INVALID or UNVERIFIED (last live test).")
    first: bool = Field(description="The client's first number: the default for sends.")
    archived: bool
    archived_at: datetime | None
    token_last4: str | None
    app_id: str | None
    app_secret_set: bool
    verify_token_set: bool
    ai_settings: NumberAISettings | None
    validated_at: datetime | None
    last_error: str | None
    created_at: datetime


class WhatsAppNumberList(BaseModel):
    data: list[WhatsAppNumberOut]
