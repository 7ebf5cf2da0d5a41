"""JSON shapes of the inbox (REST answers, Socket.IO events and the reconnect catch-up).

Batch loaders keep a page of 50 conversations at a fixed number of queries (labels,
opt-outs, assignees and agent names are fetched once per page, never per row).
Times are ISO 8601 UTC; the browser shows them in the client's timezone.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import (
    Author,
    Campaign,
    Contact,
    ContactLabel,
    Label,
    Message,
    OptOut,
    User,
)
from clickpro.services.messaging.outbound import WINDOW, window_open

PREVIEW_LEN = 120
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email).where(User.id.in_(user_ids))
    )
    return {uid: (name or email) for uid, name, email in rows}


def _labels_of(contact_ids: list[int]) -> dict[int, list[dict]]:
    result: dict[int, list[dict]] = {cid: [] for cid in contact_ids}
    if not contact_ids:
        return result
    rows = db.session.execute(
        sa.select(ContactLabel.contact_id, Label.id, Label.name, Label.color)
        .join(Label, Label.id == ContactLabel.label_id)
        .where(ContactLabel.contact_id.in_(contact_ids))
        .order_by(Label.name)
    )
    for cid, lid, name, color in rows:
        result[cid].append({"id": lid, "name": name, "color": color})
    return result


def _opted_out(client_id: int, phones: list[str]) -> set[str]:
    if not phones:
        return set()
    stmt = sa.select(OptOut.phone_e164).where(
        OptOut.client_id == client_id, OptOut.phone_e164.in_(phones)
    )
    return set(db.session.scalars(stmt))


def conversations(contacts: list[Contact]) -> list[dict]:
    """Conversation-list rows for a page of contacts (a fixed number of queries)."""
    if not contacts:
        return []
    ids = [c.id for c in contacts]
    labels = _labels_of(ids)
    opted = _opted_out(contacts[0].client_id, [c.phone_e164 for c in contacts])
    names = _names({c.assigned_user_id for c in contacts if c.assigned_user_id})
    return [_conversation(c, labels[c.id], c.phone_e164 in opted, names) for c in contacts]


def conversation(contact: Contact) -> dict:
    return conversations([contact])[0]


def _conversation(contact: Contact, labels: list[dict], opted_out: bool, names: dict) -> dict:
    is_open = window_open(contact)
    closes = contact.last_inbound_at + WINDOW if contact.last_inbound_at else None
    return {
        "id": contact.id,
        "name": contact.name or "",
        "phone": contact.phone_e164,
        "last_message_at": iso(contact.last_message_at),
        "preview": (contact.last_message_preview or "")[:PREVIEW_LEN],
        "unread": contact.unread_count or 0,
        "ai_paused": bool(contact.ai_paused),
        "needs_human": bool(contact.ai_paused),
        "status": contact.conversation_status,
        "assigned_user_id": contact.assigned_user_id,
        "assigned_name": names.get(contact.assigned_user_id) if contact.assigned_user_id else None,
        "window_open": is_open,
        "window_closes_at": iso(closes) if is_open else None,
        "last_inbound_at": iso(contact.last_inbound_at),
        "opted_out": opted_out,
        "labels": labels,
    }


def osm_url(latitude, longitude) -> str:
    query = urlencode({"mlat": latitude, "mlon": longitude})
    return f"https://www.openstreetmap.org/?{query}#map=16/{latitude}/{longitude}"


def _location(message: Message) -> dict | None:
    payload = message.payload or {}
    loc = payload.get("location") if isinstance(payload.get("location"), dict) else None
    if loc is None and message.type == "location" and "latitude" in payload:
        loc = payload
    if not loc:
        return None
    try:
        lat, lng = float(loc["latitude"]), float(loc["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return {
        "latitude": lat,
        "longitude": lng,
        "name": loc.get("name") or "",
        "address": loc.get("address") or "",
        "url": osm_url(lat, lng),
    }


def media_id_of(message: Message) -> str | None:
    if message.media_id:
        return message.media_id
    payload = message.payload or {}
    block = payload.get(message.type) if isinstance(payload.get(message.type), dict) else {}
    return block.get("id") if message.type in MEDIA_TYPES else None


def author_label(message: Message, contact_name: str, agents: dict, campaigns: dict) -> str:
    if message.author == Author.CONTACT:
        return contact_name or "Contato"
    if message.author == Author.AI:
        return "IA"
    if message.author == Author.AGENT:
        return agents.get(message.agent_id) or "Agente"
    if message.author == Author.CAMPAIGN:
        name = campaigns.get(message.campaign_id)
        return f"Campanha · {name}" if name else "Campanha"
    return "Sistema"


def messages(rows: list[Message], contact_names: dict[int, str] | None = None) -> list[dict]:
    """Bubbles for ``rows`` (agent and campaign names loaded once)."""
    if not rows:
        return []
    agents = _names({m.agent_id for m in rows if m.agent_id})
    campaign_ids = {m.campaign_id for m in rows if m.campaign_id}
    campaigns: dict[int, str] = {}
    if campaign_ids:
        campaigns = dict(
            db.session.execute(
                sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))
            ).all()
        )
    if contact_names is None:
        ids = {m.contact_id for m in rows}
        contact_names = dict(
            db.session.execute(sa.select(Contact.id, Contact.name).where(Contact.id.in_(ids))).all()
        )
    return [_message(m, contact_names.get(m.contact_id, ""), agents, campaigns) for m in rows]


def message(row: Message) -> dict:
    return messages([row])[0]


def _message(m: Message, contact_name: str, agents: dict, campaigns: dict) -> dict:
    media_id = media_id_of(m)
    return {
        "id": m.id,
        "contact_id": m.contact_id,
        "direction": m.direction,
        "author": m.author,
        "author_label": author_label(m, contact_name, agents, campaigns),
        "type": m.type,
        "body": m.body or "",
        "status": m.status,
        "error_code": m.error_code,
        "error_title": m.error_title,
        "is_note": bool(m.is_internal_note),
        "campaign_id": m.campaign_id,
        "template_id": m.template_id,
        "has_media": bool(media_id),
        "location": _location(m),
        "created_at": iso(m.created_at),
        "sent_at": iso(m.sent_at),
        "delivered_at": iso(m.delivered_at),
        "read_at": iso(m.read_at),
        "failed_at": iso(m.failed_at),
    }


def status_event(m: Message) -> dict:
    """The small ``message:status`` payload."""
    return {
        "id": m.id,
        "contact_id": m.contact_id,
        "status": m.status,
        "error_code": m.error_code,
        "error_title": m.error_title,
        "updated_at": iso(m.updated_at),
    }
