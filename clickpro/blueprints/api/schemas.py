"""Request and response bodies of /api/v1 (pydantic 2).

The views validate with these models and the OpenAPI document is generated from them
(``openapi.py``), so the contract and the implementation cannot drift apart.
Campaign, message and webhook bodies are in ``schemas_messaging.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask_babel import gettext
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from clickpro.blueprints.limits import column_max
from clickpro.models import Contact, ContactList, OptOut, Template
from clickpro.schemas import ContactOut  # the one contact shape (API, webhooks)
from clickpro.services.contacts.bsuids import BSUID_PATTERN, normalize_bsuid
from clickpro.services.contacts.bsuids import MAX_LENGTH as BSUID_MAX_LENGTH
from clickpro.services.templates.rules import (
    BODY_MAX,
    BUTTON_TEXT_MAX,
    COPY_CODE_MAX,
    FOOTER_MAX,
    HEADER_MAX,
    URL_MAX,
)

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def field_error(model: str, field: str, message: str) -> ValidationError:
    """A model-level rule reported under ``field`` (so a 422 names the field at fault)."""
    error = PydanticCustomError("value_error", message)
    return ValidationError.from_exception_data(
        model, [InitErrorDetails(type=error, loc=(field,), input=None)]
    )


def _bsuid(value: str) -> str:
    return normalize_bsuid(value)  # InvalidBsuid is a ValueError: 422 with its message


Bsuid = Annotated[
    str,
    AfterValidator(_bsuid),
    Field(
        description="Business-scoped user id: ISO country code, '.', optional 'ENT.' "
        "(parent BSUID), up to 128 letters/digits, e.g. BR.1502576394655843.",
        json_schema_extra={"pattern": BSUID_PATTERN.pattern, "maxLength": BSUID_MAX_LENGTH},
    ),
]
# Tokens and keys travel in HTTP headers: printable ASCII only (surrounding spaces ok).
SECRET_PATTERN = r"^\s*[!-~]*\s*$"


class Strict(BaseModel):
    """Request bodies: unknown fields are an error (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- common


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error.")
    message: str = Field(description="Human-readable message (pt_BR).")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Field name → list of messages, or extra data."
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


class PageQuery(Strict):
    cursor: str | None = Field(
        default=None, max_length=100, description="next_cursor of the previous page."
    )
    limit: int = Field(default=50, ge=1, le=200)


class Deleted(BaseModel):
    id: int | str
    deleted: bool = True


# --------------------------------------------------------------------------- contacts

# The per-value and per-contact limits are settings (CONTACT_ATTRIBUTE_MAX_CHARS,
# CONTACT_MAX_ATTRIBUTES) checked by the contacts service; these caps only stop a body
# no setting could allow before it reaches it.
ATTRIBUTE_KEY_MAX = 60
ATTRIBUTES_HARD_MAX = 500
AttributeValue = Annotated[str, Field(max_length=100_000)] | int | float | bool | None
AttributeKey = Annotated[str, Field(max_length=ATTRIBUTE_KEY_MAX)]
PHONE_INPUT_MAX = 40  # any written shape; stored as E.164


class ContactQuery(PageQuery):
    q: str = Field(
        default="", max_length=200, description="Search by name, phone digits, username or BSUID."
    )
    list_id: Id | None = None


class ContactIn(Strict):
    """A contact by phone, by BSUID (a WhatsApp username user whose number is unknown), or
    both: at least one of ``phone`` and ``bsuid`` is required. The upsert finds an existing
    contact by phone first, then by BSUID."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"phone": "+5511987650000", "name": "Maria", "attributes": {"cidade": "SP"}},
                {"bsuid": "BR.1502576394655843", "username": "maria.sp", "name": "Maria"},
            ],
            "anyOf": [{"required": ["phone"]}, {"required": ["bsuid"]}],
        },
    )

    phone: str | None = Field(
        default=None,
        min_length=1,
        max_length=PHONE_INPUT_MAX,
        description="Any format; stored as E.164. Required unless bsuid is given.",
    )
    bsuid: Bsuid | None = Field(
        default=None, description="Business-scoped user id. Required unless phone is given."
    )
    username: str | None = Field(
        default=None, max_length=column_max(Contact.username), description="WhatsApp username."
    )
    name: str | None = Field(default=None, max_length=column_max(Contact.name))
    attributes: dict[AttributeKey, AttributeValue] | None = Field(
        default=None,
        max_length=ATTRIBUTES_HARD_MAX,
        description="Custom fields; merged into the existing ones on upsert. At most "
        "CONTACT_MAX_ATTRIBUTES (default 50) of CONTACT_ATTRIBUTE_MAX_CHARS (default 1000).",
    )

    @model_validator(mode="after")
    def _phone_or_bsuid(self) -> ContactIn:
        if not self.phone and not self.bsuid:
            message = gettext("Informe phone ou bsuid (pelo menos um dos dois).")
            raise field_error("ContactIn", "phone", message)
        return self


class ContactPatch(Strict):
    """Absent fields keep their value; ``phone``/``bsuid`` null removes it (one must stay)."""

    phone: str | None = Field(default=None, min_length=1, max_length=PHONE_INPUT_MAX)
    bsuid: Bsuid | None = None
    username: str | None = Field(default=None, max_length=column_max(Contact.username))
    name: str | None = Field(default=None, max_length=column_max(Contact.name))
    attributes: dict[AttributeKey, AttributeValue] | None = Field(
        default=None, max_length=ATTRIBUTES_HARD_MAX, description="Replaces every custom field."
    )


class ContactPage(BaseModel):
    data: list[ContactOut]
    next_cursor: str | None


# --------------------------------------------------------------------------- lists


class ListIn(Strict):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Clientes VIP"}]}
    )

    name: str = Field(min_length=1, max_length=column_max(ContactList.name))
    description: str = Field(default="", max_length=column_max(ContactList.description))


class ListPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=column_max(ContactList.name))
    description: str | None = Field(default=None, max_length=column_max(ContactList.description))


class ListOut(BaseModel):
    id: int
    name: str
    description: str
    contacts_count: int
    created_at: datetime


class ListPage(BaseModel):
    data: list[ListOut]
    next_cursor: str | None


class ListMembersIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"contact_ids": [1], "phones": ["+5511987650000"]}]},
    )

    contact_ids: list[Id] = Field(default_factory=list, max_length=10000)
    phones: list[Annotated[str, Field(max_length=PHONE_INPUT_MAX)]] = Field(
        default_factory=list, max_length=10000
    )


class ListMembersResult(BaseModel):
    list_id: int
    added: int = 0
    removed: int = 0
    not_found: list[str] = Field(default_factory=list, description="Phones without a contact.")


# --------------------------------------------------------------------------- opt-outs


class OptOutIn(Strict):
    """By ``phone`` or by ``bsuid`` (a username user whose number is unknown): exactly one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"phone": "+5511987650000", "reason": "pediu por e-mail"},
                {"bsuid": "BR.1502576394655843"},
            ],
            "oneOf": [{"required": ["phone"]}, {"required": ["bsuid"]}],
        },
    )

    phone: str | None = Field(
        default=None, min_length=1, max_length=PHONE_INPUT_MAX, description="Unless bsuid."
    )
    bsuid: Bsuid | None = Field(default=None, description="Unless phone.")
    reason: str = Field(default="", max_length=column_max(OptOut.reason))

    @model_validator(mode="after")
    def _one_key(self) -> OptOutIn:
        if bool(self.phone) == bool(self.bsuid):
            message = gettext("Informe phone ou bsuid (exatamente um dos dois).")
            raise field_error("OptOutIn", "phone", message)
        return self


class OptOutOut(BaseModel):
    id: int
    phone: str | None = Field(description="E.164; null for an opt-out by BSUID only.")
    bsuid: str | None = Field(default=None, description="Set for an opt-out by BSUID.")
    source: str
    reason: str
    created_at: datetime


class OptOutPage(BaseModel):
    data: list[OptOutOut]
    next_cursor: str | None


# --------------------------------------------------------------------------- imports


class ImportOut(BaseModel):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    list_id: int | None
    filename: str
    rows: int = Field(description="Rows read so far.")
    rows_total: int | None
    imported: int
    updated: int
    duplicates: int = Field(description="Rows whose contact was already in the list.")
    rejected: int
    merged: int = Field(
        default=0,
        description="Rows with the same number as an earlier row of the file (another shape "
        "of it): not imported, listed in rejected.csv with the line that was kept.",
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None


# --------------------------------------------------------------------------- templates


class TemplateQuery(PageQuery):
    status: str | None = Field(default=None, max_length=20)
    waba_id: str | None = Field(
        default=None, max_length=64, description="Only the templates of this WABA."
    )


class ButtonIn(Strict):
    type: Literal["QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE"]
    # Meta's limits (services/templates/rules.py, reference: whatsapp-cloud-api.md).
    text: str = Field(default="", max_length=BUTTON_TEXT_MAX)
    url: str = Field(default="", max_length=URL_MAX)
    url_example: str = Field(default="", max_length=URL_MAX)
    phone_number: str = Field(default="", max_length=PHONE_INPUT_MAX)
    example: str = Field(default="", max_length=COPY_CODE_MAX)


class TemplateIn(Strict):
    """The same fields as the template form; the same validation (``validate_draft``)."""

    waba_id: str | None = Field(
        default=None,
        max_length=64,
        description="The WABA (of one of the client's numbers) the template is submitted "
        "to; omitted: the first number's WABA.",
    )
    name: str = Field(min_length=1, max_length=column_max(Template.name))
    language: str = Field(default="pt_BR", max_length=column_max(Template.language))
    category: Literal["MARKETING", "UTILITY", "AUTHENTICATION"] = "MARKETING"
    header_format: Literal["NONE", "TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION"] = "NONE"
    header_text: str = Field(default="", max_length=HEADER_MAX)
    header_example: str = Field(default="", max_length=HEADER_MAX)
    header_handle: str = Field(default="", max_length=1000)
    body_text: str = Field(default="", max_length=BODY_MAX)
    body_examples: list[Annotated[str, Field(max_length=BODY_MAX)]] = Field(
        default_factory=list, max_length=100
    )
    footer_text: str = Field(default="", max_length=FOOTER_MAX)
    buttons: list[ButtonIn] = Field(default_factory=list, max_length=10)
    send_ttl_seconds: int | None = Field(
        default=None,
        strict=True,
        description="Message time-to-live sent to Meta as message_send_ttl_seconds. MARKETING "
        "43200-2592000 (Marketing Messages API sends only), UTILITY 30-43200, AUTHENTICATION "
        "30-900; omitted: Meta's default (30 days; 10 minutes for AUTHENTICATION).",
    )


class TemplateOut(BaseModel):
    id: int
    waba_id: str = Field(description="The WhatsApp Business Account the template belongs to.")
    name: str
    language: str
    category: str
    status: str
    components: list[dict[str, Any]]
    rejected_reason: str | None
    meta_template_id: str | None
    quality_score: str | None
    send_ttl_seconds: int | None = Field(description="null: Meta's default TTL.")
    last_synced_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TemplatePage(BaseModel):
    data: list[TemplateOut]
    next_cursor: str | None


class SyncOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    errors: list[str]
    skipped: bool = Field(
        description="True when the client has no usable WhatsApp number (every WABA of its "
        "numbers is synced otherwise)."
    )
    complete: bool


# --------------------------------------------------------------------------- credentials


class WhatsAppCredentialsIn(Strict):
    access_token: str | None = Field(
        default=None,
        max_length=2000,
        pattern=SECRET_PATTERN,
        description="Empty or absent keeps the stored token.",
    )
    waba_id: str = Field(max_length=64)
    phone_number_id: str = Field(max_length=64)
    app_id: str | None = Field(default=None, max_length=64)
    app_secret: str | None = Field(default=None, max_length=500, pattern=SECRET_PATTERN)


class WhatsAppCredentialsOut(BaseModel):
    """The client's first number (all numbers: ``/whatsapp-numbers``)."""

    id: int | None
    configured: bool
    display_name: str | None = None
    status: str | None
    token_last4: str | None
    app_secret_set: bool
    waba_id: str | None
    phone_number_id: str | None
    app_id: str | None
    display_phone_number: str | None
    verified_name: str | None
    quality_rating: str | None
    throughput_mps: int | None
    messaging_tier: str | None
    validated_at: datetime | None
    last_error: str | None


class OpenAICredentialsIn(Strict):
    api_key: str | None = Field(
        default=None,
        max_length=500,
        pattern=SECRET_PATTERN,
        description="Empty or absent keeps the stored key.",
    )
    model: str = Field(max_length=64)
    instructions: str = Field(default="", max_length=20000)
    ai_enabled: bool = False
    context_messages: int | None = Field(default=None, ge=1, le=50)
    temperature: float | None = Field(default=None, ge=0, le=2)
    handoff_keywords: list[Annotated[str, Field(max_length=100)]] | None = Field(
        default=None, max_length=100
    )


class OpenAICredentialsOut(BaseModel):
    id: int | None
    configured: bool
    status: str | None
    key_last4: str | None
    model: str | None
    instructions: str | None
    ai_enabled: bool
    context_messages: int | None
    temperature: float | None
    handoff_keywords: list[str]
    validated_at: datetime | None
    last_error: str | None
