"""Bodies of the campaigns, messages, conversations and webhooks endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, model_validator

from clickpro.blueprints.api.schemas import (
    PHONE_INPUT_MAX,
    Bsuid,
    Id,
    PageQuery,
    Strict,
    field_error,
)
from clickpro.blueprints.limits import column_max
from clickpro.models import Campaign, Contact, WebhookEndpoint
from clickpro.schemas import ConversationOut, MessageOut  # the shared resource shapes

EventName = Literal[
    "message.received",
    "message.status",
    "campaign.completed",
    "optout.created",
    "conversation.assigned",
]
# One template parameter: Meta's body is at most 1024 characters, so no value is longer.
VariableText = Annotated[str, Field(max_length=1024)]


class Variables(Strict):
    """Template variables; each entry is text that may use ``{{contact.name}}``,
    ``{{contact.phone}}`` or ``{{contact.<attribute>}}``."""

    body: list[VariableText] = Field(default_factory=list, max_length=100)
    header: list[VariableText] = Field(default_factory=list, max_length=10)
    buttons: dict[str, list[VariableText]] = Field(
        default_factory=dict, description='Button index ("0", "1"…) → its variables.'
    )
    header_media: dict[Literal["link", "id"], Annotated[str, Field(max_length=2000)]] | None = (
        Field(default=None, description='Media header: {"link": url} or {"id": media_id}.')
    )


class SendWindow(Strict):
    days: list[int] = Field(min_length=1, max_length=7, description="0 = Monday … 6 = Sunday.")
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["20:00"])


class CampaignIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Black Friday",
                    "template_id": 1,
                    "list_ids": [1],
                    "rate_mps": 5,
                    "variables": {"body": ["{{contact.name}}", "BF10"]},
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=column_max(Campaign.name))
    phone_number_id: str | None = Field(
        default=None,
        max_length=64,
        description="Meta's phone number id of the client's number to send from "
        "(GET /whatsapp-numbers); omitted: the first number. The template must belong to "
        "that number's WABA. Not an active number of the client: 422.",
    )
    template_id: Id
    list_ids: list[Id] = Field(min_length=1, max_length=100)
    exclude_list_ids: list[Id] = Field(default_factory=list, max_length=100)
    variables: Variables = Field(default_factory=Variables)
    fallback: str | None = Field(default=None, max_length=200)
    missing_value_policy: Literal["skip", "fallback"] | None = None
    rate_mps: float = Field(default=20, gt=0, le=1000)
    batch_size: int | None = Field(default=None, ge=1, le=1_000_000)
    batch_interval_s: float | None = Field(default=None, ge=0, le=86400)
    scheduled_at: datetime | None = Field(default=None, description="ISO 8601; future.")
    send_window: SendWindow | None = None


class Counters(BaseModel):
    queued: int = 0
    sending: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    skipped: int = 0
    cancelled: int = 0
    unknown: int = 0
    total: int = 0


class CampaignCostOut(BaseModel):
    """What a campaign costs (h6): estimate, and the charged (delivered) messages so far."""

    currency: str | None = Field(description="The rate card's currency (e.g. BRL, USD).")
    estimated: float | None = Field(description="Template category × audience markets × card.")
    actual: float | None = Field(description="Cost of the delivered messages so far.")
    by_category: dict[str, float | None] = Field(description="Actual cost per pricing category.")
    per_delivered: float | None = None
    per_read: float | None = None
    free_messages: int = 0
    unpriced_messages: int = 0
    held_for_quality: int = Field(default=0, description="Held by Meta for a quality check.")
    marketing_limit_131049: int = Field(default=0, description="Recipients Meta capped (131049).")


class CampaignOut(BaseModel):
    id: int
    name: str
    phone_number_id: str | None = Field(
        description="Meta's id of the number the campaign sends from (null: no number)."
    )
    status: Literal[
        "DRAFT", "SCHEDULED", "PREPARING", "RUNNING", "PAUSED", "CANCELLED", "COMPLETED", "FAILED"
    ]
    template_id: int | None
    list_ids: list[int]
    exclude_list_ids: list[int]
    variables: dict
    rate_mps: float
    batch_size: int | None
    batch_interval_s: float | None
    scheduled_at: datetime | None
    send_window: dict | None
    counters: Counters
    pause_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cost: CampaignCostOut | None = None


class CampaignPage(BaseModel):
    data: list[CampaignOut]
    next_cursor: str | None


class StatusQuery(PageQuery):
    status: str | None = Field(default=None, max_length=12)


class MessagePage(BaseModel):
    data: list[MessageOut]
    next_cursor: str | None


class SendMessageIn(Strict):
    """A template (any time), or a text inside the 24-hour customer window.

    The customer is ``phone`` or ``bsuid`` (exactly one): a BSUID reaches a WhatsApp
    username user whose number is unknown (sent with Meta's ``recipient``). Authentication
    templates cannot go to a BSUID-only contact (422 ``bsuid_not_allowed``).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "phone": "+5511987650000",
                    "template_id": 1,
                    "variables": {"body": ["Maria", "X1"]},
                },
                {"bsuid": "BR.1502576394655843", "text": "Olá!"},
            ],
            "allOf": [
                {"oneOf": [{"required": ["phone"]}, {"required": ["bsuid"]}]},
                {"oneOf": [{"required": ["text"]}, {"required": ["template_id"]}]},
            ],
        },
    )

    phone: str | None = Field(
        default=None, min_length=1, max_length=PHONE_INPUT_MAX, description="Unless bsuid."
    )
    bsuid: Bsuid | None = Field(
        default=None, description="The contact's business-scoped user id; unless phone."
    )
    text: str | None = Field(default=None, min_length=1, max_length=4096)
    template_id: Id | None = None
    variables: Variables = Field(
        default_factory=Variables, description="Literal values for the template variables."
    )
    name: str | None = Field(
        default=None, max_length=column_max(Contact.name), description="For a new contact."
    )
    phone_number_id: str | None = Field(
        default=None,
        max_length=64,
        description="The client's number it goes out from (Meta's phone number id); "
        "default: the client's first number. Another client's or an unknown id is 422.",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> SendMessageIn:
        if (self.text is None) == (self.template_id is None):
            raise ValueError(_("Informe text ou template_id (exatamente um dos dois)."))
        if bool(self.phone) == bool(self.bsuid):
            message = _("Informe phone ou bsuid (exatamente um dos dois).")
            raise field_error("SendMessageIn", "phone", message)
        return self


class ConversationQuery(PageQuery):
    q: str = Field(default="", max_length=100)
    phone_number_id: str | None = Field(
        default=None,
        max_length=64,
        description="Only the conversations of this number (Meta's phone number id).",
    )


class ConversationPage(BaseModel):
    data: list[ConversationOut]
    next_cursor: str | None


class WebhookIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/hooks/clickpro",
                    "events": ["message.received", "optout.created"],
                }
            ]
        },
    )

    url: str = Field(min_length=1, max_length=column_max(WebhookEndpoint.url))
    events: list[EventName] = Field(min_length=1, max_length=4)
    description: str = Field(default="", max_length=column_max(WebhookEndpoint.description))


class WebhookPatch(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=column_max(WebhookEndpoint.url))
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=4)
    description: str | None = Field(
        default=None, max_length=column_max(WebhookEndpoint.description)
    )
    is_active: bool | None = None


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signing secret; shown only in this answer.")


class WebhookPage(BaseModel):
    data: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: int
    event: str
    status: Literal["pending", "retrying", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_response: str | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(BaseModel):
    data: list[DeliveryOut]
    next_cursor: str | None
