"""The live inbox, write side: agent replies, read receipts, assignment, labels,
resolve/reopen, internal notes and the AI pause.

Every function takes the client and the conversation id explicitly, commits, then
announces the change (``conversation_updated``; outbound sends announce themselves via
``message_created``). Replies go out from the conversation's number. An agent reply
pauses the AI for that conversation (the AI reads ``conversations.ai_paused``). Labels
belong to the contact, so they show on each of its conversations.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.events import conversation_status_changed, conversation_updated, send_safely
from clickpro.extensions import db
from clickpro.models import (
    Author,
    Client,
    ClientMember,
    Contact,
    ContactLabel,
    Conversation,
    Direction,
    Label,
    Message,
    MessageStatus,
    User,
)
from clickpro.models.base import utcnow
from clickpro.services.conversations import get_conversation as find_conversation
from clickpro.services.inbox.events import publish_message
from clickpro.services.inbox.media import check_outbound_media
from clickpro.services.inbox.service import last_inbound
from clickpro.services.inbox.voice import VOICE_FILENAME, to_ogg_opus
from clickpro.services.media.outbound_copy import keep_outbound_copy
from clickpro.services.messaging import outbound
from clickpro.tenancy import get_owned, id_in_range

NOTE_MAX = 4096
LABEL_COLORS = ("secondary", "primary", "success", "danger", "warning", "info", "dark")


class InboxError(ServiceError, ValueError):
    """An inbox action refused; the message is pt_BR and safe to show."""


class NotFound(InboxError):
    """The row does not exist for this client (a 404 for the caller)."""

    code = "not_found"
    http_status = 404


def get_conversation(client_id: int, conversation_id) -> Conversation:
    """The client's conversation, else ``NotFound`` (another client's id included)."""
    try:
        wanted = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFound(_("Conversa não encontrada.")) from None
    in_range = id_in_range(Conversation, wanted)  # a 30-digit id is a 404, not a DB error
    conversation = find_conversation(client_id, wanted) if in_range else None
    if conversation is None:
        raise NotFound(_("Conversa não encontrada."))
    return conversation


def contact_of(conversation: Conversation) -> Contact:
    contact = get_owned(Contact, conversation.contact_id, conversation.client_id)
    if contact is None:  # the FK cascades: only a concurrent delete gets here
        raise NotFound(_("Conversa não encontrada."))
    return contact


def _announce(conversation: Conversation) -> None:
    send_safely(
        conversation_updated,
        client_id=conversation.client_id,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
    )


def _commit_and_announce(conversation: Conversation) -> Conversation:
    conversation.updated_at = utcnow()  # the reconnect catch-up sees the change
    db.session.commit()
    _announce(conversation)
    return conversation


# --------------------------------------------------------------------------- replies


def _pause_ai_after_reply(client_id: int, conversation_id: int) -> None:
    """An agent answered: the AI steps back in this conversation."""
    conversation = get_conversation(client_id, conversation_id)
    changed = not conversation.ai_paused or conversation.status != "OPEN"
    conversation.ai_paused = True
    conversation.status = "OPEN"
    conversation.resolved_at = None
    if changed:
        _commit_and_announce(conversation)
    else:
        db.session.commit()


def reply_text(client_id: int, conversation_id: int, user_id: int, body: str) -> Message:
    """Free text from an agent, from the conversation's number.

    Raises outbound.WindowClosed (that number's 24 h window), OutboundError."""
    conv = get_conversation(client_id, conversation_id)
    try:
        message = outbound.send_text(conv, body, author=Author.AGENT, agent_id=user_id)
    except outbound.SendFailed:
        _pause_ai_after_reply(client_id, conversation_id)
        raise
    _pause_ai_after_reply(client_id, conversation_id)
    return message


def reply_media(
    client_id: int,
    conversation_id: int,
    user_id: int,
    *,
    content: bytes,
    mime_type: str,
    filename: str,
    caption: str | None = None,
    voice: bool = False,
) -> Message:
    """An agent's file: only a type WhatsApp accepts (content and extension; ``mime_type``,
    the browser's claim, is replaced by the detected type), else ``MediaRefused``.

    ``voice``: a browser recording (WebM/Opus, OGG/Opus…) turned into OGG/Opus and sent as
    a WhatsApp voice message. A copy of what went out is kept in the media store, so the
    thread shows the agent's own image or voice note (``/media/<message_id>``)."""
    conv = get_conversation(client_id, conversation_id)
    if voice:
        content, filename = to_ogg_opus(content), VOICE_FILENAME
    mime_type = check_outbound_media(content, filename).mime_type
    try:
        message = outbound.send_media(
            conv,
            content=content,
            mime_type=mime_type,
            filename=filename,
            caption=caption,
            author=Author.AGENT,
            agent_id=user_id,
            voice=voice,
        )
    except outbound.SendFailed as exc:
        _keep_copy(getattr(exc, "row", None), content, mime_type, filename)
        _pause_ai_after_reply(client_id, conversation_id)
        raise
    _keep_copy(message, content, mime_type, filename)
    _pause_ai_after_reply(client_id, conversation_id)
    return message


def _keep_copy(message: Message | None, content: bytes, mime_type: str, filename: str) -> None:
    if isinstance(message, Message) and message.id:
        keep_outbound_copy(message, content, mime_type, filename)


def reply_template(
    client_id: int, conversation_id: int, user_id: int, template_id: int, values: dict
) -> Message:
    """The fallback when the window is closed: an approved template."""
    conv = get_conversation(client_id, conversation_id)
    try:
        message = outbound.send_template(
            conv, template_id, values, author=Author.AGENT, agent_id=user_id
        )
    except outbound.SendFailed:
        _pause_ai_after_reply(client_id, conversation_id)
        raise
    _pause_ai_after_reply(client_id, conversation_id)
    return message


def add_note(client_id: int, conversation_id: int, user_id: int, body: str) -> Message:
    """An internal note: a messages row agents see in this conversation, never sent."""
    conv = get_conversation(client_id, conversation_id)
    body = (body or "").strip()
    if not body:
        raise InboxError(_("A nota está vazia."))
    if len(body) > NOTE_MAX:
        raise InboxError(f"A nota passa de {NOTE_MAX} caracteres.")
    note = Message(
        client_id=client_id,
        contact_id=conv.contact_id,
        number_id=conv.number_id,
        conversation_id=conv.id,
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


def open_conversation(client_id: int, conversation_id: int) -> Conversation:
    """The agent looked at it: zero unread and send Meta the read receipt (blue ticks)."""
    conv = get_conversation(client_id, conversation_id)
    inbound = last_inbound(conv)
    had_unread = (conv.unread_count or 0) > 0
    conv.unread_count = 0
    if had_unread:
        conv.updated_at = utcnow()
    db.session.commit()
    if inbound is not None and had_unread:
        outbound.mark_read(client_id, inbound.id)
    if had_unread:
        _announce(conv)
    return conv


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


def assign(
    client_id: int,
    conversation_id: int,
    user_id: int | None,
    *,
    actor_user_id: int | None = None,
    note: str | None = None,
) -> Conversation:
    """Set the agent (the history row and signals come from the teams service)."""
    from clickpro.services.teams import assignment

    conv = get_conversation(client_id, conversation_id)
    assignment.assign(
        client_id, conv.id, user_id=user_id or None, actor_user_id=actor_user_id, note=note
    )
    return get_conversation(client_id, conv.id)


def set_status(
    client_id: int,
    conversation_id: int,
    status: str,
    *,
    actor_user_id: int | None = None,
    actor: str = "user",
) -> Conversation:
    """Resolve or reopen; announces ``conversation_status_changed`` when it moved."""
    status = (status or "").upper()
    if status not in ("OPEN", "RESOLVED"):
        raise InboxError(_("Situação inválida: use OPEN ou RESOLVED."))
    conv = get_conversation(client_id, conversation_id)
    previous = conv.status
    conv.status = status
    if status == "RESOLVED":
        conv.unread_count = 0
        conv.resolved_at = utcnow()
        conv.snoozed_until = None
    else:
        conv.resolved_at = None
    _commit_and_announce(conv)
    if previous != status:
        send_safely(
            conversation_status_changed,
            client_id=client_id,
            conversation_id=conv.id,
            previous=previous,
            status=status,
            actor_user_id=actor_user_id,
            actor=actor,
        )
    return conv


def set_ai_paused(client_id: int, conversation_id: int, paused: bool) -> Conversation:
    conv = get_conversation(client_id, conversation_id)
    conv.ai_paused = bool(paused)
    return _commit_and_announce(conv)


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


def set_labels(client_id: int, conversation_id: int, label_ids: list[int]) -> Conversation:
    """Replace the contact's labels (only the client's own labels are accepted); every
    conversation of the contact shows them."""
    conv = get_conversation(client_id, conversation_id)
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
    db.session.execute(sa.delete(ContactLabel).where(ContactLabel.contact_id == conv.contact_id))
    for label_id in sorted(owned):
        db.session.add(ContactLabel(contact_id=conv.contact_id, label_id=label_id))
    now = utcnow()  # the reconnect catch-up sees the change on each conversation
    db.session.execute(
        sa.update(Conversation)
        .where(Conversation.client_id == client_id, Conversation.contact_id == conv.contact_id)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    send_safely(conversation_updated, client_id=client_id, contact_id=conv.contact_id)
    db.session.refresh(conv)
    return conv


def client_of(client_id: int) -> Client | None:
    return db.session.get(Client, client_id)
