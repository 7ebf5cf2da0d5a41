"""The message shape (API ``/messages``, inbox bubbles, ``message:new``, webhooks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from clickpro.extensions import db
from clickpro.models import Author, Campaign, Contact, Message, WhatsAppCredential
from clickpro.schemas.loaders import user_names

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


class Location(BaseModel):
    latitude: float
    longitude: float
    name: str
    address: str
    url: str = Field(description="The point on OpenStreetMap.")


class MessageOut(BaseModel):
    id: int
    contact_id: int
    conversation_id: int | None = Field(
        default=None, description="Its conversation (null on some campaign rows)."
    )
    number_id: int | None = Field(
        default=None, description="The client's WhatsApp number it went out from / came to."
    )
    phone_number_id: str | None = Field(
        default=None, description="Meta's phone number id of that number (null: unknown)."
    )
    phone: str | None = Field(
        description="The contact's number (E.164); null for a WhatsApp username user whose "
        "number is unknown (then bsuid is set)."
    )
    bsuid: str | None = Field(default=None, description="The contact's business-scoped user id.")
    parent_bsuid: str | None = Field(default=None, description="The contact's parent BSUID.")
    username: str | None = Field(default=None, description="The contact's WhatsApp username.")
    campaign_id: int | None
    template_id: int | None
    direction: str = Field(description="IN (from the contact) or OUT.")
    author: str = Field(description="CONTACT, AGENT, AI, CAMPAIGN or SYSTEM.")
    author_label: str = Field(description="Who wrote it, for display (translated).")
    type: str
    body: str
    status: str
    wamid: str | None
    error_code: int | None
    error_title: str | None
    is_note: bool = Field(description="An internal note (never sent; not in /api/v1).")
    has_media: bool
    location: Location | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None


class MessageStatusOut(BaseModel):
    """The small ``message:status`` Socket.IO payload."""

    id: int
    contact_id: int
    status: str
    error_code: int | None = None
    error_title: str | None = None
    updated_at: datetime | None = None


def osm_url(latitude: float, longitude: float) -> str:
    query = urlencode({"mlat": latitude, "mlon": longitude})
    return f"https://www.openstreetmap.org/?{query}#map=16/{latitude}/{longitude}"


def location_of(message: Message) -> Location | None:
    payload = message.payload or {}
    loc = found if isinstance(found := payload.get("location"), dict) else None
    if loc is None and message.type == "location" and "latitude" in payload:
        loc = payload
    if not loc:
        return None
    try:
        lat, lng = float(loc["latitude"]), float(loc["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return Location(
        latitude=lat,
        longitude=lng,
        name=loc.get("name") or "",
        address=loc.get("address") or "",
        url=osm_url(lat, lng),
    )


def media_id_of(message: Message) -> str | None:
    if message.media_id:
        return message.media_id
    payload = message.payload or {}
    block = found if isinstance(found := payload.get(message.type), dict) else {}
    return block.get("id") if message.type in MEDIA_TYPES else None


def author_label(
    message: Message, contact_name: str, agents: dict[int, str], campaigns: dict[int, str]
) -> str:
    if message.author == Author.CONTACT:
        return contact_name or _("Contato")
    if message.author == Author.AI:
        return _("IA")
    if message.author == Author.AGENT:
        return agents.get(message.agent_id or 0) or _("Agente")
    if message.author == Author.CAMPAIGN:
        name = campaigns.get(message.campaign_id or 0)
        return _("Campanha · %(name)s", name=name) if name else _("Campanha")
    return _("Sistema")


class Who(NamedTuple):
    """What a message shape shows of its contact."""

    name: str
    phone: str | None
    bsuid: str | None = None
    parent_bsuid: str | None = None
    username: str | None = None

    @classmethod
    def of(cls, contact: Any) -> Who:
        """From a Contact/row, or the older ``(name, phone)`` pair."""
        if isinstance(contact, tuple) and not isinstance(contact, Who) and len(contact) == 2:
            return cls(contact[0] or "", contact[1] or None)
        if isinstance(contact, Who):
            return contact
        return cls(
            contact.name or "",
            contact.phone_e164 or None,
            contact.bsuid or None,
            contact.parent_bsuid or None,
            contact.username or None,
        )


def _shape(
    m: Message,
    who: Who,
    agents: dict[int, str],
    campaigns: dict[int, str],
    numbers: Mapping[int, str] | None = None,
) -> MessageOut:
    numbers = numbers or {}
    name = who.name
    return MessageOut(
        id=m.id,
        contact_id=m.contact_id,
        conversation_id=m.conversation_id,
        number_id=m.number_id,
        phone_number_id=numbers.get(m.number_id or 0),
        phone=who.phone,
        bsuid=who.bsuid,
        parent_bsuid=who.parent_bsuid,
        username=who.username,
        campaign_id=m.campaign_id,
        template_id=m.template_id,
        direction=m.direction,
        author=m.author,
        author_label=author_label(m, name, agents, campaigns),
        type=m.type,
        body=m.body or "",
        status=m.status,
        wamid=m.wamid,
        error_code=m.error_code,
        error_title=m.error_title,
        is_note=bool(m.is_internal_note),
        has_media=bool(media_id_of(m)),
        location=location_of(m),
        created_at=m.created_at,
        sent_at=m.sent_at,
        delivered_at=m.delivered_at,
        read_at=m.read_at,
        failed_at=m.failed_at,
    )


def message_shapes(
    rows: Sequence[Message],
    contacts: Mapping[int, Any] | None = None,
    *,
    phone_number_ids: Mapping[int, str] | None = None,
) -> list[MessageOut]:
    """Shapes for ``rows`` at 4 queries (contacts, agents, campaigns, numbers), whatever
    their count.

    ``contacts`` (contact id → Contact, or the older (name, phone)) skips the contacts
    query when known; ``phone_number_ids`` (number id → Meta's phone number id) the
    numbers query.
    """
    if not rows:
        return []
    agents = user_names(m.agent_id for m in rows)
    campaign_ids = {m.campaign_id for m in rows if m.campaign_id}
    campaigns: dict[int, str] = {}
    if campaign_ids:
        campaigns = dict(
            db.session.execute(
                sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))
            )
            .tuples()
            .all()
        )
    if contacts is None:
        ids = {m.contact_id for m in rows}
        found = db.session.execute(
            sa.select(
                Contact.id, Contact.name, Contact.phone_e164, Contact.bsuid,
                Contact.parent_bsuid, Contact.username,
            ).where(Contact.id.in_(ids))
        )  # fmt: skip
        who = {row.id: Who.of(row) for row in found}
    else:
        who = {cid: Who.of(c) for cid, c in contacts.items()}
    missing = Who("", None)
    numbers = (
        phone_number_ids
        if phone_number_ids is not None
        else _phone_number_ids({m.number_id for m in rows if m.number_id})
    )
    return [_shape(m, who.get(m.contact_id, missing), agents, campaigns, numbers) for m in rows]


def _phone_number_ids(number_ids: set[int]) -> dict[int, str]:
    """Number id → Meta's phone number id (one query for a page of messages)."""
    if not number_ids:
        return {}
    c = WhatsAppCredential
    found = db.session.execute(sa.select(c.id, c.phone_number_id).where(c.id.in_(number_ids)))
    return dict(found.tuples().all())


def message_shape(row: Message, contact: Contact | None = None) -> MessageOut:
    return message_shapes([row], {contact.id: contact} if contact else None)[0]


def message_status(m: Message) -> MessageStatusOut:
    return MessageStatusOut(
        id=m.id,
        contact_id=m.contact_id,
        status=m.status,
        error_code=m.error_code,
        error_title=m.error_title,
        updated_at=m.updated_at,
    )
