"""The side effects of an AI-reply run: the OpenAI call, the one send (behind the
claim's CLAIMED → SENDING step), the handoff, notifications and turning AI off.
``clickpro.services.ai.reply`` decides; this module acts and records it on the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db, rowcount
from clickpro.integrations.openai import OpenAIErrorKind, OpenAIFailure, Reply
from clickpro.models import (
    AIOutcome,
    AIReplyRun,
    AIRunStatus,
    Author,
    Client,
    Contact,
    Conversation,
    CredentialStatus,
    OpenAICredential,
)
from clickpro.models.base import utcnow
from clickpro.services.accounts.notifications import notify
from clickpro.services.ai import claim as claims
from clickpro.services.ai.claim import Claim
from clickpro.services.contacts.display import contact_label
from clickpro.services.conversations import get_conversation
from clickpro.services.costs.ai_spend import usage_cost
from clickpro.services.credentials import AssistantSettings, openai_for
from clickpro.services.messaging import outbound

log = logging.getLogger(__name__)

DEFAULT_HANDOFF_TEXT = "Certo! Vou chamar um atendente para continuar com você. Só um instante."
_runs = AIReplyRun.__table__


@dataclass(frozen=True)
class Outcome:
    """What a job run did: ``answered``, ``handoff``, ``fallback``, ``retry``, ``skipped``,
    ``send_failed``; ``reason`` says why; ``retry_in`` (s) when it should run again."""

    status: str
    reason: str = ""
    message_id: int | None = None
    retry_in: float | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "message_id": self.message_id,
            "retry_in": self.retry_in,
        }


def assistant_version(settings: AssistantSettings) -> str:
    """A short hash of what shapes an answer, to trace a reply to its configuration."""
    shape = [
        settings.model,
        settings.instructions,
        settings.temperature,
        settings.context_messages,
        settings.max_output_tokens,
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- OpenAI


def ask_openai(settings: AssistantSettings, instructions: str, context: list[dict]) -> Reply:
    _credential, gateway = openai_for(settings.client_id)
    return gateway.create_reply(
        model=settings.model,
        instructions=instructions,
        messages=context,
        temperature=settings.temperature,
        max_output_tokens=settings.max_output_tokens,
    )


def cap_reached(settings: AssistantSettings, now: datetime) -> bool:
    """The client's daily number of AI answers (its own calendar day) is used up."""
    if not settings.daily_reply_cap:
        return False
    return answers_since(settings.client_id, local_midnight(now, settings.timezone)) >= (
        settings.daily_reply_cap
    )


def local_midnight(now: datetime, timezone: str) -> datetime:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("America/Sao_Paulo")
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def answers_since(client_id: int, since: datetime) -> int:
    stmt = sa.select(sa.func.count(_runs.c.id)).where(
        _runs.c.client_id == client_id,
        _runs.c.outcome == AIOutcome.ANSWERED,
        _runs.c.created_at >= since,
    )
    return int(db.session.scalar(stmt) or 0)


# --------------------------------------------------------------------------- sends


def _usage(settings: AssistantSettings, kind: str, claim: Claim, reply: Reply | None) -> dict:
    return {
        "kind": kind,
        "run_id": claim.id,
        "assistant_id": settings.assistant_id,
        "assistant_version": assistant_version(settings),
        "model": reply.model if reply else None,
        "response_id": reply.response_id if reply else None,
        "status": reply.status if reply else None,
        "input_tokens": reply.input_tokens if reply else 0,
        "output_tokens": reply.output_tokens if reply else 0,
        "latency_ms": reply.latency_ms if reply else None,
        # h6: the token cost, from the per-model price table as it is now
        **(usage_cost(reply.model, reply.input_tokens, reply.output_tokens) if reply else {}),
    }


def send_once(
    claim: Claim,
    settings: AssistantSettings,
    body: str,
    outcome: AIOutcome,
    reply: Reply | None = None,
) -> Outcome:
    """Send ``body`` (author AI) for this run unless someone already did."""
    stats: dict = {"outcome": outcome.value, "assistant_id": settings.assistant_id,
                   "assistant_version": assistant_version(settings)}  # fmt: skip
    if reply is not None:
        stats.update(model=reply.model, input_tokens=reply.input_tokens,
                     output_tokens=reply.output_tokens, latency_ms=reply.latency_ms)  # fmt: skip
    if not claims.take_send_slot(claim, **stats):
        return Outcome("skipped", "already_sent")
    return _send(claim, settings, body, outcome, reply)


def _send(
    claim: Claim,
    settings: AssistantSettings,
    body: str,
    outcome: AIOutcome,
    reply: Reply | None,
) -> Outcome:
    try:
        conversation = get_conversation(claim.client_id, claim.conversation_id)
        if conversation is None:
            raise outbound.OutboundError(_("Conversa não encontrada."))
        message = outbound.send_text(conversation, body, author=Author.AI)  # its number
    except ServiceError as exc:  # refused before Meta: window, no number/credential, address
        db.session.rollback()
        failed_id = getattr(getattr(exc, "message", None), "id", None)
        claims.finish(claim, status=AIRunStatus.FAILED, reply_message_id=failed_id,
                      error_kind="send", error=str(exc)[:500])  # fmt: skip
        db.session.commit()
        log.warning("AI reply run %s: send failed: %s", claim.id, exc)
        return Outcome("send_failed", str(exc))
    kind = "answer" if outcome == AIOutcome.ANSWERED else outcome.value
    message.payload = {**(message.payload or {}), "in_reply_to": claim.message_ids}
    message.ai_usage = _usage(settings, kind, claim, reply)
    claims.finish(claim, status=AIRunStatus.DONE, reply_message_id=message.id)
    db.session.commit()
    status = "answered" if outcome == AIOutcome.ANSWERED else outcome.value
    return Outcome(status, outcome.value, message_id=message.id)


def send_answer(claim: Claim, settings: AssistantSettings, reply: Reply) -> Outcome:
    text = reply.text.strip() or settings.fallback_text
    return send_once(claim, settings, text, AIOutcome.ANSWERED, reply)


# --------------------------------------------------------------------------- handoff


def pause_conversation(client_id: int, conversation_id: int) -> bool:
    """Set the conversation's ``ai_paused`` atomically; True if this call paused it.
    The contact's conversations on other numbers are not touched."""
    table = Conversation.__table__
    result = db.session.execute(
        sa.update(table)
        .where(table.c.id == conversation_id, table.c.client_id == client_id)
        .where(table.c.ai_paused.is_(False))
        .values(ai_paused=True, updated_at=utcnow())
    )
    db.session.commit()
    return rowcount(result) == 1


_HANDOFF_REASONS = {
    AIOutcome.HANDOFF_KEYWORD: "o contato pediu um atendente",
    AIOutcome.HANDOFF_CAP: "o limite diário de respostas da IA foi atingido",
    AIOutcome.NON_TEXT_HANDOFF: "o contato enviou uma mensagem que não é texto",
    AIOutcome.FAILURE_HANDOFF: "a OpenAI não respondeu",
    AIOutcome.INTENT_HUMAN: "o contato pediu para falar com uma pessoa",
    AIOutcome.INTENT_COMPLAINT: "o contato fez uma reclamação (urgente)",
    AIOutcome.HANDOFF_CONVERSATION_CAP: "a IA atingiu o limite de respostas desta conversa",
    AIOutcome.NO_KNOWLEDGE: "a base de conhecimento não tinha a resposta",
}


def handoff(
    claim: Claim,
    settings: AssistantSettings,
    outcome: AIOutcome,
    *,
    fallback: bool = False,
) -> Outcome:
    """Pause the AI here, tell the agents, and send the contact one polite text."""
    if not claims.take_send_slot(
        claim,
        outcome=outcome.value,
        assistant_id=settings.assistant_id,
        assistant_version=assistant_version(settings),
    ):
        return Outcome("skipped", "already_sent")
    if pause_conversation(claim.client_id, claim.conversation_id):
        send_safely(
            conversation_updated,
            client_id=claim.client_id,
            conversation_id=claim.conversation_id,
            contact_id=claim.contact_id,
        )
    contact = db.session.get(Contact, claim.contact_id)
    who = (contact.name or contact_label(contact)) if contact else "?"
    notify(
        claim.client_id,
        "handoff",
        _("%(who)s precisa de um atendente: %(why)s.", who=who, why=_HANDOFF_REASONS[outcome]),
        contact_id=claim.contact_id,
        # the inbox alerts (sound, desktop notification) and the bell's link need it
        conversation_id=claim.conversation_id,
    )
    if fallback:
        body = settings.fallback_text
    elif outcome == AIOutcome.NO_KNOWLEDGE:  # h4: say so rather than invent
        body = "Não sei, vou chamar um atendente."
    else:
        body = str(settings.options.get("handoff_text") or "").strip() or DEFAULT_HANDOFF_TEXT
    result = _send(claim, settings, body, outcome, None)
    if result.status == "send_failed":
        return result
    return Outcome("handoff", outcome.value, message_id=result.message_id)


# --------------------------------------------------------------------------- failures


def disable_ai(client_id: int, failure: OpenAIFailure) -> None:
    """OpenAI refused the key: AI off for the client, credential INVALID, admins told."""
    client = db.session.get(Client, client_id)
    credential = db.session.scalar(
        sa.select(OpenAICredential).where(OpenAICredential.client_id == client_id)
    )
    if client is not None:
        client.ai_enabled = False
    if credential is not None:
        credential.status = CredentialStatus.INVALID
        credential.last_error = failure.message[:500]
        credential.validated_at = utcnow()
    db.session.commit()
    notify(
        client_id,
        "ai_error",
        _(
            "A OpenAI recusou a chave da API: as respostas automáticas foram desligadas. "
            "Atualize a chave em Credenciais."
        ),  # fmt: skip
    )


def notify_failure(client_id: int, failure: OpenAIFailure, contact_id: int) -> None:
    if failure.kind == OpenAIErrorKind.QUOTA:
        text = _("A cota da OpenAI acabou (faturamento): a IA passou a conversa a um atendente.")
    elif failure.kind in (OpenAIErrorKind.MODEL_NOT_FOUND, OpenAIErrorKind.BAD_REQUEST):
        text = _("A OpenAI recusou o pedido (%(msg)s): verifique o modelo do assistente.",
                 msg=failure.message[:200])  # fmt: skip
    else:
        text = _("A OpenAI não respondeu após várias tentativas: a conversa foi passada a "
                 "um atendente.")  # fmt: skip
    notify(client_id, "ai_error", text, contact_id=contact_id)
