"""Off-hours auto-reply: once per conversation per closed period.

When a customer writes while the conversation's team (else the client) is closed and
the hours row has ``off_hours_enabled``, the row's message goes out with ``{abertura}``
replaced by the next opening ("amanhã às 8h"). The closed period is keyed by that next
opening instant (UTC ISO): the key is stored in ``conversations.off_hours_reply_period``
by a conditional UPDATE (only if it differs), so two messages at once send one reply, a
second message in the same night sends none and the next closed period sends it again.
The claim is committed before the send: a failed send is not retried (a duplicate
auto-reply is worse than a missing one); the ``off_hours_reply`` event records it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db, rowcount
from clickpro.models import Author, Conversation, ConversationEvent, ConversationEventKind
from clickpro.services.teams import hours

log = logging.getLogger(__name__)
_conversations = Conversation.__table__


def default_message() -> str:
    return _(
        "Olá! No momento estamos fora do horário de atendimento. "
        "Voltamos {abertura} e responderemos sua mensagem assim que possível."
    )


def render(message: str | None, phrase: str | None) -> str:
    text = (message or "").strip() or default_message()
    return text.replace("{abertura}", phrase or _("em breve"))


def period_key(opening: datetime | None) -> str:
    return opening.isoformat()[:40] if opening else "never"


def maybe_reply(conv: Conversation, at: datetime) -> bool:
    """Send the off-hours reply for ``conv`` if closed at ``at``; True when sent."""
    from clickpro.services.flows.triggers import flow_takes  # lazy: the flows plugin (#20)

    schedule = hours.schedule_for(conv.client_id, conv.team_id)
    if schedule.always_open or not schedule.off_hours_enabled or schedule.is_open(at):
        return False  # checked first: cheap, and mostly the answer (no flow look-ups)
    if flow_takes(conv):
        return False  # a chatbot flow (an off-hours one, say) answers this conversation
    opening = schedule.next_opening(at)
    key = period_key(opening)
    c = _conversations.c
    claimed = rowcount(
        db.session.execute(
            sa.update(_conversations)
            .where(
                c.id == conv.id,
                c.client_id == conv.client_id,
                sa.or_(c.off_hours_reply_period.is_(None), c.off_hours_reply_period != key),
            )
            .values(off_hours_reply_period=key)
        )
    )
    db.session.commit()
    if not claimed:
        return False
    phrase = schedule.opening_phrase(opening, at) if opening else None
    text = render(schedule.off_hours_message, phrase)
    from clickpro.services.messaging.outbound import OutboundError, send_text

    db.session.expire(conv)
    message_id = None
    error = None
    try:
        message_id = send_text(conv, text, author=Author.SYSTEM).id
    except OutboundError as exc:
        error = str(exc)
        log.warning("off-hours reply of conversation %s not sent: %s", conv.id, exc)
    except Exception as exc:  # a receiver never raises
        db.session.rollback()
        error = str(exc)
        log.exception("off-hours reply of conversation %s", conv.id)
    db.session.add(
        ConversationEvent(
            client_id=conv.client_id,
            conversation_id=conv.id,
            kind=ConversationEventKind.OFF_HOURS_REPLY,
            actor="system",
            data={"period": key, "message_id": message_id, "error": error},
        )
    )
    db.session.commit()
    send_safely(conversation_updated, client_id=conv.client_id, conversation_id=conv.id)
    return message_id is not None
