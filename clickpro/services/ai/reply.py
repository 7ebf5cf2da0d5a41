"""AI replies: when the assistant answers, with what context, and what it does on failure.

Flow (the plugin wires it; the job in ``clickpro.tasks.ai`` runs it):

Everything is per conversation (one contact on one of the client's numbers): the
settings are the number's (:func:`clickpro.services.ai.settings.effective_assistant`),
the context is that conversation's thread, the pause is ``conversation.ai_paused`` and
the reply goes out from that number.

1. ``should_answer`` on every inbound message: AI on (for the client and the number),
   conversation not handed off, contact not opted out, within business hours (the job
   checks again when it runs).
2. ``answer_conversation`` (the job, debounced): if a newer inbound message exists it
   steps aside (that message's job answers the whole burst); otherwise it *claims* every
   inbound message not yet handled (see ``clickpro.models.ai``), then answers them all
   with one OpenAI call — or hands off (keyword, daily cap, non-text, final failure).
3. Exactly one text goes out per claim: the claim row moves CLAIMED → SENDING with a
   compare-and-set before ``outbound.send_text``; a retried or duplicated job finds it
   taken. The AI message records ``payload["in_reply_to"]`` and ``ai_usage``.

The assistant is ClickPro's own (OpenAI's Assistants API is gone): ``assistant_id`` is
its stable id (``cpa_…``), ``assistant_version`` a hash of the settings that produced a
reply; both are logged on every AI message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db
from clickpro.integrations.openai import OpenAIErrorKind, OpenAIFailure
from clickpro.models import AIOutcome, Client, Contact, Conversation, Direction, Message
from clickpro.models.base import utcnow
from clickpro.services.ai import answer, effects, intents, limits, vision
from clickpro.services.ai import claim as claims
from clickpro.services.ai.claim import IGNORED_TYPES, Claim, Thread
from clickpro.services.ai.effects import Outcome, assistant_version
from clickpro.services.ai.settings import effective_assistant
from clickpro.services.contacts.optout import is_contact_opted_out, keyword_action
from clickpro.services.conversations import get_conversation
from clickpro.services.costs.ai_spend import budget_reached
from clickpro.services.credentials import AssistantSettings, NoCredentials
from clickpro.services.media import ai as media_ai
from clickpro.services.teams import csat, hours
from clickpro.tenancy import get_owned

__all__ = [
    "Decision",
    "Outcome",
    "answer_conversation",
    "assistant_version",
    "build_context",
    "resume_ai",
    "should_answer",
]

log = logging.getLogger(__name__)

# The clock; tests replace it (business hours, daily cap, debounce deadline).
clock: Callable[[], datetime] = utcnow

TEXT_TYPES = frozenset({"text", "button", "interactive"})
CONTEXT_OUT_STATUSES = ("SENT", "DELIVERED", "READ", "UNKNOWN")
DEFAULT_INSTRUCTIONS = (
    "Você é o assistente virtual de {name} no WhatsApp. Responda em português do Brasil, "
    "de forma curta, cordial e objetiva. Se não souber, diga que um atendente vai ajudar."
)


@dataclass(frozen=True)
class Decision:
    answer: bool
    reason: str


# --------------------------------------------------------------------------- decision


def thread_of(conversation: Conversation) -> Thread:
    return Thread(conversation.id, conversation.contact_id, conversation.number_id)


def should_answer(
    client_id: int,
    conversation_id: int,
    message_id: int,
    *,
    now: datetime | None = None,
    settings: AssistantSettings | None = None,
) -> Decision:
    """Whether the AI should handle this inbound message of the conversation, and why (not)."""
    conversation = get_conversation(client_id, conversation_id)
    if conversation is None:
        return Decision(False, "not_found")
    try:
        settings = settings or effective_assistant(client_id, conversation.number_id)
    except NoCredentials:
        return Decision(False, "no_client")
    if not settings.has_credentials:
        return Decision(False, "no_credentials")
    if not settings.enabled:
        return Decision(False, "ai_off")
    contact = get_owned(Contact, conversation.contact_id, client_id)
    message = get_owned(Message, message_id, client_id)
    if contact is None or message is None or message.contact_id != contact.id:
        return Decision(False, "not_found")
    if message.number_id is not None and message.number_id != conversation.number_id:
        return Decision(False, "not_found")  # another conversation's message
    if message.direction != Direction.IN:
        return Decision(False, "not_inbound")
    if conversation.ai_paused:
        return Decision(False, "handed_off")
    from clickpro.services.flows.triggers import flow_takes  # lazy: the flows plugin (#20)

    if flow_takes(conversation, message):
        return Decision(False, "in_flow")  # a chatbot flow has (or takes) the conversation
    if message.type in IGNORED_TYPES:
        return Decision(False, "reaction")
    if csat.answers_survey(conversation, message):
        return Decision(False, "csat_answer")  # the satisfaction survey takes it
    if message.type in TEXT_TYPES and keyword_action(client_id, message.body):
        return Decision(False, "optout_keyword")  # the opt-out plugin answers it
    if is_contact_opted_out(contact):  # by phone or BSUID
        return Decision(False, "opted_out")
    if not settings.within_business_hours(now or clock()):
        return Decision(False, "outside_hours")
    return Decision(True, "ok")


# --------------------------------------------------------------------------- context


def _content(type_: str, body: str | None) -> str:
    """What the assistant reads for one message of type ``type_``."""
    text = (body or "").strip()
    if type_ in TEXT_TYPES or type_ == "template":
        return text or "…"
    return text or f"[{type_}]"  # the webhook stored a readable stand-in


def build_context(
    client_id: int,
    thread: Thread,
    limit: int,
    upto_message_id: int | None = None,
    images: dict[int, dict] | None = None,
) -> list[dict]:
    """The conversation's last ``limit`` messages, oldest first: contact → user,
    everyone else → assistant. Only this number's thread: what the customer wrote to
    another number of the client is another conversation.

    Internal notes, reactions and outbound messages that never left (queued, failed,
    skipped) are not part of the conversation the customer saw.
    """
    m = Message
    stmt = sa.select(m.id, m.direction, m.type, m.body).where(
        m.client_id == client_id,
        m.contact_id == thread.contact_id,
        m.number_id == thread.number_id,
        m.is_internal_note.is_(False),
        m.type.notin_(IGNORED_TYPES),
        sa.or_(m.direction == Direction.IN, m.status.in_(CONTEXT_OUT_STATUSES)),
    )
    if upto_message_id is not None:
        stmt = stmt.where(m.id <= upto_message_id)
    rows = db.session.execute(stmt.order_by(m.id.desc()).limit(max(1, limit))).all()
    images = images or {}  # h5: the burst's photos as input_image parts (vision.py)
    return [
        {
            "role": "user" if row.direction == Direction.IN else "assistant",
            "content": vision.with_image(_content(row.type, row.body), images.get(row.id)),
        }
        for row in reversed(rows)
    ]


# --------------------------------------------------------------------------- the job


def answer_conversation(
    client_id: int, conversation_id: int, trigger_message_id: int, *, attempt: int = 1
) -> Outcome:
    """Handle the burst of inbound messages of the conversation ending at
    ``trigger_message_id``, with the conversation's number's assistant.

    ``attempt`` > 1 is a retry after a transient OpenAI failure (re-enqueued by the job
    with the returned ``retry_in``).
    """
    conversation = get_conversation(client_id, conversation_id)
    if conversation is None:
        return Outcome("skipped", "not_found")
    thread = thread_of(conversation)
    try:
        settings = effective_assistant(client_id, thread.number_id)
    except NoCredentials:
        return Outcome("skipped", "no_client")
    decision = should_answer(client_id, conversation_id, trigger_message_id, settings=settings)
    if not decision.answer:
        if attempt > 1:  # e.g. an agent took over while we waited to retry
            claims.abandon(client_id, trigger_message_id, decision.reason)
        return Outcome("skipped", decision.reason)
    if attempt == 1 and media_ai.transcript_pending(
        client_id, thread.messages(), trigger_message_id, clock()
    ):  # a voice note is being transcribed: answer its words, not "[audio]" (h1)
        return Outcome("skipped", "transcript_pending")  # the job queues the backstop
    if attempt > 1:
        claim = claims.resume(client_id, thread, trigger_message_id, attempt)
        if claim is None:
            return Outcome("skipped", "retry_not_owner")
    else:
        max_wait = current_app.config["AI_DEBOUNCE_MAX_S"]
        claim, reason = claims.claim(
            client_id, thread, trigger_message_id, now=clock(), max_wait_s=max_wait
        )
        if claim is None:
            return Outcome("skipped", reason)
    return _handle(claim, settings)


def _handle(claim: Claim, settings: AssistantSettings) -> Outcome:
    heard = media_ai.transcribed_ids(claim.client_id, (m.id for m in claim.batch))
    texts = [m.body for m in claim.batch if m.type in TEXT_TYPES or m.id in heard]
    if any(settings.wants_handoff(text) for text in texts):
        return effects.handoff(claim, settings, AIOutcome.HANDOFF_KEYWORD)
    images = vision.image_parts(  # h5: photos the model can see (within the size cap)
        claim.client_id, (m.id for m in claim.batch if m.type == "image"), settings
    )
    if not texts and not images:
        if settings.non_text_policy == "handoff":
            return effects.handoff(claim, settings, AIOutcome.NON_TEXT_HANDOFF)
        return effects.send_once(
            claim, settings, settings.non_text_text, AIOutcome.NON_TEXT_FALLBACK
        )
    if effects.cap_reached(settings, clock()):
        return effects.handoff(claim, settings, AIOutcome.HANDOFF_CAP)
    if budget_reached(claim.client_id, clock()):  # monthly money or token budget → AI paused
        return effects.handoff(claim, settings, AIOutcome.HANDOFF_CAP)
    if limits.conversation_cap_reached(claim.client_id, claim.conversation_id, settings):
        return limits.hand_off_at_cap(claim, settings)  # h5: per-conversation cap
    if claim.attempt == 1:  # h5: a retry's first attempt already classified it "other"
        said = "\n".join(texts + [m.body for m in claim.batch if m.id in images])
        verdict = intents.classify(claim.client_id, said, settings=settings)  # never raises
        intents.record(claim, verdict)
        routed = intents.route(claim, settings, verdict, said)
        if routed is not None:
            return routed
    context = build_context(
        claim.client_id, claim.thread, settings.context_messages, claim.trigger_id, images
    )
    try:  # h4: knowledge base (file_search) + the client's tools, at most 3 rounds
        result = answer.ask(settings, _with_hours(claim, _instructions(settings)), context,
                            client_id=claim.client_id, run_id=claim.id,
                            conversation_id=claim.conversation_id)  # fmt: skip
    except OpenAIFailure as failure:
        return _failed(claim, settings, failure)
    except NoCredentials as exc:  # the key was marked invalid meanwhile
        return _failed(claim, settings, OpenAIFailure(OpenAIErrorKind.BAD_KEY, str(exc)))
    answer.record(claim.id, result)  # citations and tool calls: the AI run log
    if result.no_knowledge:
        return effects.handoff(claim, settings, AIOutcome.NO_KNOWLEDGE)
    return effects.send_answer(claim, settings, result.reply)


def _with_hours(claim: Claim, instructions: str) -> str:
    """The instructions plus whether the conversation's team (else the client) is open."""
    conversation = get_conversation(claim.client_id, claim.thread.conversation_id)
    team_id = conversation.team_id if conversation is not None else None
    note = hours.availability_note(claim.client_id, team_id, clock())
    return f"{instructions}\n\n{note}" if note else instructions


def _instructions(settings: AssistantSettings) -> str:
    if settings.instructions.strip():
        return settings.instructions
    client = db.session.get(Client, settings.client_id)
    return DEFAULT_INSTRUCTIONS.format(name=client.name if client else "nossa empresa")


def _failed(claim: Claim, settings: AssistantSettings, failure: OpenAIFailure) -> Outcome:
    claims.record_error(claim, failure.kind.value, failure.message)
    max_attempts = current_app.config["AI_MAX_ATTEMPTS"]
    if failure.retryable and claim.attempt < max_attempts:
        base = current_app.config["AI_RETRY_BASE_S"] * 2 ** (claim.attempt - 1)
        delay = min(current_app.config["AI_RETRY_MAX_S"], max(base, failure.retry_after or 0.0))
        log.warning(
            "AI run %s: %s; attempt %s in %.1fs", claim.id, failure, claim.attempt + 1, delay
        )
        return Outcome("retry", failure.kind.value, retry_in=delay)
    if failure.kind == OpenAIErrorKind.BAD_KEY:
        effects.disable_ai(settings.client_id, failure)
    else:
        effects.notify_failure(settings.client_id, failure, claim.contact_id)
    return effects.handoff(claim, settings, AIOutcome.FAILURE_HANDOFF, fallback=True)


# --------------------------------------------------------------------------- resume


def resume_ai(client_id: int, conversation_id: int) -> Conversation:
    """An agent gives this conversation back to the AI (the contact's conversations
    on the client's other numbers keep their own pause)."""
    conversation = get_conversation(client_id, conversation_id)
    if conversation is None:
        raise LookupError(_("Conversa não encontrada."))
    if conversation.ai_paused:
        conversation.ai_paused = False
        conversation.updated_at = utcnow()
        db.session.commit()
        send_safely(
            conversation_updated,
            client_id=client_id,
            conversation_id=conversation.id,
            contact_id=conversation.contact_id,
        )
    return conversation
