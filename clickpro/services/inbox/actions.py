"""The live inbox, write side: agent replies, read receipts, assignment, labels,
resolve/reopen, internal notes and the AI pause.

Every function takes the client explicitly, commits, then announces the change
(``conversation_updated``; outbound sends announce themselves via ``message_created``).
An agent reply pauses the AI for that conversation (the AI plugin reads
``contacts.ai_paused``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db
from clickpro.models import (
    Author,
    Client,
    ClientMember,
    Contact,
    ContactLabel,
    Direction,
    Label,
    Message,
    MessageStatus,
    User,
)
from clickpro.models.base import utcnow
from clickpro.services.inbox.events import publish_message
from clickpro.services.inbox.media import check_outbound_media
from clickpro.services.inbox.service import last_inbound
from clickpro.services.messaging import outbound
from clickpro.tenancy import get_owned

NOTE_MAX = 4096
LABEL_COLORS = ("secondary", "primary", "success", "danger", "warning", "info", "dark")


class InboxError(ServiceError, ValueError):
    """An inbox action refused; the message is pt_BR and safe to show."""


class NotFound(InboxError):
    """The row does not exist for this client (a 404 for the caller)."""

    code = "not_found"
    http_status = 404


def get_contact(client_id: int, contact_id) -> Contact:
    contact = get_owned(Contact, contact_id, client_id)
    if contact is None:
        raise NotFound(_("Conversa não encontrada."))
    return contact


def _announce(client_id: int, contact_id: int) -> None:
    send_safely(conversation_updated, client_id=client_id, contact_id=contact_id)


def _commit_and_announce(contact: Contact) -> Contact:
    db.session.commit()
    _announce(contact.client_id, contact.id)
    return contact


# --------------------------------------------------------------------------- replies


def _pause_ai_after_reply(client_id: int, contact_id: int) -> None:
    """An agent answered: the AI steps back in this conversation."""
    contact = get_contact(client_id, contact_id)
    changed = not contact.ai_paused or contact.conversation_status != "OPEN"
    contact.ai_paused = True
    contact.conversation_status = "OPEN"
    db.session.commit()
    if changed:
        _announce(client_id, contact_id)


def reply_text(client_id: int, contact_id: int, user_id: int, body: str) -> Message:
    """Free text from an agent. Raises outbound.WindowClosed (24 h window), OutboundError."""
    get_contact(client_id, contact_id)
    try:
        message = outbound.send_text(
            client_id, contact_id, body, author=Author.AGENT, agent_id=user_id
        )
    except outbound.SendFailed:
        _pause_ai_after_reply(client_id, contact_id)
        raise
    _pause_ai_after_reply(client_id, contact_id)
    return message


def reply_media(
    client_id: int,
    contact_id: int,
    user_id: int,
    *,
    content: bytes,
    mime_type: str,
    filename: str,
    caption: str | None = None,
) -> Message:
    """An agent's file: only a type WhatsApp accepts (content and extension; ``mime_type``,
    the browser's claim, is replaced by the detected type), else ``MediaRefused``."""
    get_contact(client_id, contact_id)
    mime_type = check_outbound_media(content, filename).mime_type
    try:
        message = outbound.send_media(
            client_id,
            contact_id,
            content=content,
            mime_type=mime_type,
            filename=filename,
            caption=caption,
            author=Author.AGENT,
            agent_id=user_id,
        )
    except outbound.SendFailed:
        _pause_ai_after_reply(client_id, contact_id)
        raise
    _pause_ai_after_reply(client_id, contact_id)
    return message


def reply_template(
    client_id: int, contact_id: int, user_id: int, template_id: int, values: dict
) -> Message:
    """The fallback when the window is closed: an approved template."""
    get_contact(client_id, contact_id)
    try:
        message = outbound.send_template(
            client_id, contact_id, template_id, values, author=Author.AGENT, agent_id=user_id
        )
    except outbound.SendFailed:
        _pause_ai_after_reply(client_id, contact_id)
        raise
    _pause_ai_after_reply(client_id, contact_id)
    return message


def add_note(client_id: int, contact_id: int, user_id: int, body: str) -> Message:
    """An internal note: a messages row agents see, never sent to Meta."""
    contact = get_contact(client_id, contact_id)
    body = (body or "").strip()
    if not body:
        raise InboxError(_("A nota está vazia."))
    if len(body) > NOTE_MAX:
        raise InboxError(f"A nota passa de {NOTE_MAX} caracteres.")
    note = Message(
        client_id=client_id,
        contact_id=contact.id,
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=user_id,
        type="note",
        body=body,
        payload={},
        is_internal_note=True,
        status=MessageStatus.SKIPPED,
    )
    db.session.add(note)
    db.session.commit()

    publish_message(client_id, note.id)
    return note


# --------------------------------------------------------------------------- read state


def open_conversation(client_id: int, contact_id: int) -> Contact:
    """The agent looked at it: zero unread and send Meta the read receipt (blue ticks)."""
    contact = get_contact(client_id, contact_id)
    inbound = last_inbound(client_id, contact_id)
    had_unread = (contact.unread_count or 0) > 0
    contact.unread_count = 0
    db.session.commit()
    if inbound is not None and had_unread:
        outbound.mark_read(client_id, inbound.id)
    if had_unread:
        _announce(client_id, contact_id)
    return contact


# --------------------------------------------------------------------------- team work


def _member_user(client_id: int, user_id: int) -> int:
    stmt = sa.select(ClientMember.user_id).where(
        ClientMember.client_id == client_id,
        ClientMember.user_id == int(user_id),
        ClientMember.is_active.is_(True),
    )
    found = db.session.scalar(stmt)
    if found is None:
        raise InboxError(_("Esta pessoa não faz parte da equipe deste cliente."))
    return found


def assign(client_id: int, contact_id: int, user_id: int | None) -> Contact:
    contact = get_contact(client_id, contact_id)
    contact.assigned_user_id = _member_user(client_id, user_id) if user_id else None
    return _commit_and_announce(contact)


def set_status(client_id: int, contact_id: int, status: str) -> Contact:
    status = (status or "").upper()
    if status not in ("OPEN", "RESOLVED"):
        raise InboxError(_("Situação inválida: use OPEN ou RESOLVED."))
    contact = get_contact(client_id, contact_id)
    contact.conversation_status = status
    if status == "RESOLVED":
        contact.unread_count = 0
    return _commit_and_announce(contact)


def set_ai_paused(client_id: int, contact_id: int, paused: bool) -> Contact:
    contact = get_contact(client_id, contact_id)
    contact.ai_paused = bool(paused)
    return _commit_and_announce(contact)


def team(client_id: int) -> list[dict]:
    """Active members, for the assignment menu."""
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .join(ClientMember, ClientMember.user_id == User.id)
        .where(ClientMember.client_id == client_id, ClientMember.is_active.is_(True))
        .order_by(User.name)
    )
    return [{"id": uid, "name": name or email} for uid, name, email in rows]


# --------------------------------------------------------------------------- labels


def labels(client_id: int) -> list[Label]:
    return list(
        db.session.scalars(
            sa.select(Label).where(Label.client_id == client_id).order_by(Label.name)
        )
    )


def create_label(client_id: int, name: str, color: str = "secondary") -> Label:
    name = " ".join((name or "").split())[:60]
    if not name:
        raise InboxError(_("Dê um nome à etiqueta."))
    existing = db.session.scalar(
        sa.select(Label).where(
            Label.client_id == client_id, sa.func.lower(Label.name) == name.lower()
        )
    )
    if existing is not None:
        return existing
    label = Label(
        client_id=client_id, name=name, color=color if color in LABEL_COLORS else "secondary"
    )
    db.session.add(label)
    db.session.commit()
    return label


def delete_label(client_id: int, label_id: int) -> None:
    label = get_owned(Label, label_id, client_id)
    if label is None:
        raise NotFound(_("Etiqueta não encontrada."))
    db.session.delete(label)
    db.session.commit()


def set_labels(client_id: int, contact_id: int, label_ids: list[int]) -> Contact:
    """Replace the conversation's labels (only the client's own labels are accepted)."""
    contact = get_contact(client_id, contact_id)
    try:
        wanted = {int(i) for i in label_ids or []}
    except (TypeError, ValueError):
        raise InboxError(_("Etiquetas inválidas.")) from None
    owned = (
        set(
            db.session.scalars(
                sa.select(Label.id).where(Label.client_id == client_id, Label.id.in_(wanted))
            )
        )
        if wanted
        else set()
    )
    if owned != wanted:
        raise NotFound(_("Etiqueta não encontrada."))
    db.session.execute(sa.delete(ContactLabel).where(ContactLabel.contact_id == contact.id))
    for label_id in sorted(owned):
        db.session.add(ContactLabel(contact_id=contact.id, label_id=label_id))
    contact.updated_at = utcnow()  # the reconnect catch-up sees the change
    return _commit_and_announce(contact)


def client_of(client_id: int) -> Client | None:
    return db.session.get(Client, client_id)
