"""Opt-out rules that react to messages (connected by the ``optout`` plugin).

An inbound text that *is* a stop keyword (whole message, case- and accent-insensitive,
per-client lists in ``clients.settings["stop_keywords"]`` / ``["resubscribe_keywords"]``)
adds an opt-out and sends one confirmation; a re-subscribe keyword removes it. The
confirmation is a separate job (``optout.send_confirmation``): if sending fails, the
opt-out still stands. A send that Meta refuses with 131050 (the user stopped marketing
messages in WhatsApp) is recorded as an opt-out too.

Receives ``message_received`` and ``message_status_changed``; sends nothing itself
(:mod:`clickpro.services.contacts.optout` sends ``contact_opted_out``/``_in``).
"""

from __future__ import annotations

import logging

from clickpro.events import live_first
from clickpro.extensions import db
from clickpro.jobs import QUEUE_DEFAULT, enqueue
from clickpro.models import Client, Contact, Direction, Message, MessageStatus, OptOutSource
from clickpro.services.contacts import optout
from clickpro.services.conversations import get_conversation
from clickpro.services.messaging import outbound
from clickpro.services.messaging.sender import conversation_of_inbound

log = logging.getLogger(__name__)

STOP_CONFIRMATION = (
    "Pronto! Você não receberá mais mensagens promocionais. Para voltar, responda VOLTAR."
)
RESUBSCRIBE_CONFIRMATION = (
    "Pronto! Você voltará a receber nossas mensagens promocionais. Para sair, responda SAIR."
)
META_MARKETING_OPT_OUT = 131050  # "user has stopped marketing messages" (Meta)
CONFIRMATION_JOB = "optout.send_confirmation"


def keyword_text(message: Message) -> str | None:
    """What the contact 'said': a text, a template quick reply or an interactive reply."""
    payload = message.payload or {}
    if message.type == "text":
        return (payload.get("text") or {}).get("body") or message.body
    if message.type == "button":
        button = payload.get("button") or {}
        return button.get("text") or button.get("payload")
    if message.type == "interactive":
        inter = payload.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return reply.get("title") or reply.get("id")
    return None


def _action(client_id: int, message: Message) -> str | None:
    action = optout.keyword_action(client_id, keyword_text(message))
    if action is None and message.type == "button":  # payload and text may differ
        action = optout.keyword_action(
            client_id, (message.payload.get("button") or {}).get("payload")
        )
    return action


@live_first  # a stop keyword's opt-out is in that message's own ``message:new`` (#24)
def on_message_received(
    sender,
    *,
    client_id: int,
    message_id: int,
    contact_id: int,
    conversation_id: int | None = None,
    number_id: int | None = None,
    **_,
) -> None:
    """A stop/resubscribe keyword changes the opt-out and queues one confirmation, to be
    sent from the number the customer wrote to (its conversation)."""
    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id or message.direction != Direction.IN:
        return
    action = _action(client_id, message)
    if action is None:
        return
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.client_id != client_id:
        return
    if action == "stop":
        # By phone and BSUID: a username user with no known phone is opted out by BSUID.
        changed = optout.add_contact_opt_out(
            contact, OptOutSource.KEYWORD, reason=message.body[:500]
        )
    else:
        changed = optout.remove_contact_opt_out(contact, OptOutSource.KEYWORD)
    if changed:  # a repeated SAIR confirms nothing twice
        try:
            conversation = conversation_of_inbound(
                client_id, message_id, contact_id, conversation_id, number_id
            )
            where = conversation.id if conversation is not None else None
            _confirm(client_id, contact_id, action, where)
        except Exception:
            log.exception("could not enqueue the opt-out confirmation for contact %s", contact_id)


def _confirm(client_id: int, contact_id: int, action: str, conversation_id: int | None) -> None:
    enqueue(CONFIRMATION_JOB, client_id, contact_id, action, conversation_id, queue=QUEUE_DEFAULT)


def stop_contact(contact: Contact, conversation_id: int | None, *, reason: str) -> bool:
    """Opt the contact out as a stop keyword does (same source, same one confirmation in
    ``conversation_id``): used when the AI's intent classifier hears "não quero mais
    receber mensagens" in other words. True if the opt-out is new."""
    changed = optout.add_contact_opt_out(contact, OptOutSource.KEYWORD, reason=reason[:500])
    if changed:
        try:
            _confirm(contact.client_id, contact.id, "stop", conversation_id)
        except Exception:
            log.exception("could not enqueue the opt-out confirmation for contact %s", contact.id)
    return changed


def send_confirmation(
    client_id: int, contact_id: int, action: str, conversation_id: int | None = None
) -> bool:
    """One confirmation text (author SYSTEM) in the conversation the keyword came in
    (from that number; ``None``: the contact's conversation on the first number).
    Failure is logged; the opt-out stands."""
    client = db.session.get(Client, client_id)
    settings = (client.settings or {}) if client is not None else {}
    if action == "stop":
        body = settings.get("optout_confirmation") or STOP_CONFIRMATION
    else:
        body = settings.get("resubscribe_confirmation") or RESUBSCRIBE_CONFIRMATION
    try:
        conversation = get_conversation(client_id, conversation_id) if conversation_id else None
        if conversation is None or conversation.contact_id != contact_id:
            conversation = outbound.conversation_for(client_id, contact_id)
        outbound.send_text(conversation, body, author="SYSTEM")
    except Exception:
        db.session.rollback()
        log.exception("opt-out confirmation to contact %s failed (opt-out kept)", contact_id)
        return False
    return True


def on_message_status_changed(sender, *, client_id: int, message_id: int, status: str, **_) -> None:
    """Meta's 131050 on a failed send: the user stopped marketing messages → opt-out."""
    if status != MessageStatus.FAILED:
        return
    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id:
        return
    if message.error_code != META_MARKETING_OPT_OUT:
        return
    contact = db.session.get(Contact, message.contact_id)
    if contact is not None:
        optout.add_contact_opt_out(contact, OptOutSource.META, reason="131050")
