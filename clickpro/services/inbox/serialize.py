"""JSON of the inbox (REST answers, Socket.IO events and the reconnect catch-up).

The shapes are the shared models of ``clickpro.schemas`` (the same message, contact and
conversation the REST API and the outbound webhooks send), dumped as JSON-ready dicts.
Batch loaders keep a page of 50 conversations at a fixed number of queries (labels,
opt-outs, assignees and agent names are fetched once per page, never per row).
Times are ISO 8601 UTC; the browser shows them in the client's timezone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from clickpro.models import Contact, Conversation, Message, WhatsAppCredential
from clickpro.schemas import (
    conversation_detail,
    conversation_shapes,
    message_shapes,
    message_status,
)
from clickpro.schemas.messages import media_id_of, osm_url
from clickpro.services.inbox.interactive_view import extras as interactive_extras
from clickpro.services.media.shape import media_objects

__all__ = [
    "conversation",
    "conversation_details",
    "conversations",
    "media_id_of",
    "message",
    "messages",
    "osm_url",
    "status_event",
]


def conversations(
    rows: Sequence[Conversation],
    *,
    contacts: Mapping[int, Contact] | None = None,
    numbers: Mapping[int, WhatsAppCredential] | None = None,
) -> list[dict[str, Any]]:
    """Conversation-list rows for a page of conversations (a fixed number of queries;
    fewer when the caller already has every row's ``contacts`` and ``numbers``)."""
    shapes = conversation_shapes(rows, contacts=contacts, numbers=numbers)
    return [c.model_dump(mode="json") for c in shapes]


def conversation(
    row: Conversation,
    contact: Contact | None = None,
    number: WhatsAppCredential | None = None,
) -> dict[str, Any]:
    """One row; ``contact`` / ``number`` (already loaded) skip their queries."""
    return conversations(
        [row],
        contacts={contact.id: contact} if contact is not None else None,
        numbers={number.id: number} if number is not None else None,
    )[0]


def conversation_details(
    row: Conversation, contact: Contact, lists: Sequence[tuple[int, str]]
) -> dict[str, Any]:
    return conversation_detail(row, contact, lists).model_dump(mode="json")


def messages(
    rows: Sequence[Message],
    contacts: Mapping[int, Any] | None = None,
    *,
    phone_number_ids: Mapping[int, str] | None = None,
) -> list[dict[str, Any]]:
    """Bubbles for ``rows`` (contacts, agents and campaigns loaded once).

    ``contacts``: contact id → Contact when the caller already has them
    (``phone_number_ids``: number id → Meta's phone number id, likewise). Each carries
    ``media`` when it has media (:mod:`clickpro.services.media.shape`): the inbox's
    display extras are absent otherwise, so a text bubble is the API's message shape.
    """
    shapes = message_shapes(rows, contacts, phone_number_ids=phone_number_ids)
    shaped = [m.model_dump(mode="json") for m in shapes]
    media = media_objects(rows)  # one query: the page's message_media rows
    for row, data in zip(rows, shaped, strict=True):
        if (found := media.get(row.id)) is not None:
            data["media"] = found  # a display extra, like ``interactive`` below
    more = interactive_extras(rows)  # interactive / reply / context (inbox only)
    for row, data in zip(rows, shaped, strict=True):
        data.update(more.get(row.id, {}))
    return shaped


def message(row: Message) -> dict[str, Any]:
    return messages([row])[0]


def status_event(m: Message) -> dict[str, Any]:
    """The small ``message:status`` payload."""
    return message_status(m).model_dump(mode="json")
