"""The steps of one single send, in order (see :mod:`clickpro.services.messaging.outbound`):
store the row, call Meta with no transaction open, record the outcome on the row and on
the conversation, then apply early statuses and announce the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from clickpro.events import message_created, send_safely
from clickpro.extensions import db, redis_connection
from clickpro.integrations.meta import GraphError, GraphErrorKind, SendResult
from clickpro.integrations.ratelimit import RateLimiter
from clickpro.models import Author, Direction, Message, MessageStatus
from clickpro.models.base import utcnow
from clickpro.services.credentials import mark_whatsapp_invalid
from clickpro.services.messaging.delivery import apply_pending_statuses
from clickpro.services.messaging.sender import Route

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "clickpro:m:"
RATE_WAIT_S = 10.0
PREVIEW_MAX = 200

Call = Callable[[], SendResult]


def callback_data(message: Message) -> str:
    return f"{CALLBACK_PREFIX}{message.id}"


def store(
    route: Route,
    author: str,
    agent_id: int | None,
    kind: str,
    body: str,
    payload: dict,
    **columns,
) -> Message:
    """Insert and commit the OUT row (QUEUED) of the conversation, from its number."""
    if author not in Author.__members__ or author == Author.CONTACT:
        raise ValueError(f"invalid author for an outbound message: {author!r}")
    message = Message(
        client_id=route.conversation.client_id,
        contact_id=route.contact.id,
        conversation_id=route.conversation.id,
        number_id=route.number.id,
        direction=Direction.OUT,
        author=author,
        agent_id=agent_id,
        type=kind,
        body=body,
        payload=payload,
        status=MessageStatus.QUEUED,
        **columns,
    )
    db.session.add(message)
    db.session.commit()
    return message


def throttle(phone_number_id: str, rate_mps: float) -> None:
    """Take a slot of the number's shared limiter (campaigns use the same key)."""
    try:
        limiter = RateLimiter(redis_connection())
        if not limiter.acquire(f"phone:{phone_number_id}", float(rate_mps), timeout=RATE_WAIT_S):
            log.warning("phone %s: no send slot in %ss", phone_number_id, RATE_WAIT_S)
    except Exception as exc:  # Redis down: Meta's own 130429 is the backstop
        log.warning("rate limiter unavailable: %s", exc)


def poster(route: Route, message: Message, payload: dict) -> Call:
    """The Graph call of a stored message, built from plain values (no ORM access later)."""
    body = {**payload, "biz_opaque_callback_data": callback_data(message)}
    graph, pnid, mps = route.graph, route.number.phone_number_id, route.number.throughput_mps

    def call() -> SendResult:
        throttle(pnid, mps)
        return graph.send_message(pnid, body)

    return call


def outcome_unknown(error: GraphError) -> bool:
    """Did Meta maybe accept the POST? Transport failures and code-less 5xx: maybe."""
    if error.kind != GraphErrorKind.NETWORK or error.code is not None:
        return False
    return error.status_code is None or error.status_code >= 500


def deliver(
    route: Route, message: Message, call: Call, extra: dict | None = None
) -> GraphError | None:
    """Run the Graph call for a stored message and record its outcome; the Meta error
    (already recorded on the row) is returned for the caller to raise.

    No transaction stays open during the HTTP call (SQLite would block every other
    writer, PostgreSQL would hold a snapshot): the caller read what it needs first.
    """
    number_id = route.number.id
    db.session.commit()  # end the read transaction opened by loading the row's values
    error: GraphError | None = None
    try:
        result = call()
    except GraphError as exc:
        error = exc
        record_error(message, exc)
    else:
        record_sent(message.id, result.wamid)
        contact = route.contact
        if result.wa_id and result.wa_id != contact.wa_id:
            contact.wa_id = result.wa_id  # Meta's form of the number (Brazil: 8 digits)
    for name, value in (extra or {}).items():
        setattr(message, name, value)
    message.attempts = (message.attempts or 0) + 1
    conversation = route.conversation
    conversation.last_message_at = utcnow()
    conversation.last_message_preview = (message.body or "")[:PREVIEW_MAX]
    db.session.commit()
    after_commit(message)
    if error is not None and error.kind == GraphErrorKind.AUTH:
        mark_whatsapp_invalid(message.client_id, f"{error}", number_id=number_id)
    return error


def record_sent(message_id: int, wamid: str) -> None:
    """Store the wamid and SENT, without downgrading a status a webhook already applied.

    A fast status webhook (matched by our callback data) can mark the row DELIVERED or
    READ while our POST is still returning; an unconditional ``status = SENT`` would undo it.
    """
    db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id)
        .values(
            wamid=wamid,
            sent_at=sa.func.coalesce(Message.sent_at, utcnow()),
            status=sa.case(
                (
                    Message.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]),
                    MessageStatus.SENT,
                ),
                else_=Message.status,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def record_error(message: Message, error: GraphError) -> None:
    message.error_code = error.code
    message.error_title = (error.title or str(error))[:500]
    if outcome_unknown(error):
        message.status = MessageStatus.UNKNOWN
        log.warning("message %s: outcome unknown (%s); not re-sent", message.id, error)
    else:
        message.status = MessageStatus.FAILED
        message.failed_at = utcnow()


def after_commit(message: Message) -> None:
    if message.wamid:
        try:
            apply_pending_statuses(message)
        except Exception:
            log.exception("pending statuses of message %s", message.id)
            db.session.rollback()
    send_safely(
        message_created,
        client_id=message.client_id,
        message_id=message.id,
        contact_id=message.contact_id,
        conversation_id=message.conversation_id,
    )
