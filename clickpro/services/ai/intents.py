"""What the customer wants before the AI answers: a person, to stop the messages, to
complain, or anything else (issue #21).

Why a separate call and not the answer's own JSON schema: the classifier is one small
structured-output call (``text.format`` json_schema, ``max_output_tokens`` 40, the last
burst only, no knowledge base or tools), roughly 150 input + 15 output tokens — a
fraction of a cent and ~0.3–0.6 s on gpt-4.1-mini. Folding it into the answer would
force the answer itself into JSON, which breaks the file-search/tool loop of
``answer.py`` and still pays the whole answer (knowledge chunks included) for a message
that ends in a handoff or an opt-out. The classifier runs only when the AI would answer
anyway (after the keyword fast path: the handoff keywords and the opt-out keywords
never reach it), and its tokens count in the client's spend and token budget
(``ai_reply_runs.intent_usage``).

Routing (:func:`route`):

* ``stop`` → the opt-out exactly like "SAIR" (``optout_rules.stop_contact``: same
  source, same one confirmation), nothing else is sent;
* ``human`` → handoff (AI paused, agents notified, the handoff text) to the team set
  for "falar com atendente" (``options["human_team_id"]``; default: the
  conversation's team) through ``teams.routing.route_to_team``;
* ``complaint`` → the same handoff with ``conversations.priority`` = 1 ("Urgente") to
  the complaints team (``options["complaint_team_id"]``; default: the conversation's);
* ``other`` → the AI answers.

A failed classifier (OpenAI error, bad JSON, unknown label, low confidence) is
``other``: it is logged on the run and never blocks the answer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from clickpro.events import conversation_updated, send_safely
from clickpro.extensions import db
from clickpro.integrations.openai import OpenAIFailure
from clickpro.models import AIOutcome, AIReplyRun, Contact, Conversation
from clickpro.models.base import utcnow
from clickpro.services.ai import claim as claims
from clickpro.services.ai import effects
from clickpro.services.ai.claim import Claim
from clickpro.services.ai.effects import Outcome, assistant_version
from clickpro.services.contacts import optout_rules
from clickpro.services.costs.ai_spend import usage_cost
from clickpro.services.credentials import AssistantSettings, NoCredentials, openai_for
from clickpro.services.teams.errors import TeamNotFound
from clickpro.services.teams.routing import route_to_team

log = logging.getLogger(__name__)

# "other" first: a fallback that picks the enum's first value stays harmless.
INTENTS = ("other", "human", "stop", "complaint")
DEFAULT_INTENT_MODEL = "gpt-4.1-mini"
MIN_CONFIDENCE = 0.6  # below it the label is treated as "other"
MAX_INPUT_CHARS = 1500  # the burst's last characters: intent lives in what was just said
URGENT = 1  # conversations.priority: the inbox's "Urgente"

SCHEMA_NAME = "clickpro_intent"
SCHEMA: dict = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "confidence": {"type": "number"},
    },
    "required": ["intent", "confidence"],
    "additionalProperties": False,
}
TEXT_FORMAT: dict = {"type": "json_schema", "name": SCHEMA_NAME, "schema": SCHEMA, "strict": True}
INSTRUCTIONS = (
    "Classify the last WhatsApp message(s) a customer sent to a Brazilian business "
    "(Portuguese, often with abbreviations, typos, no accents or emojis). Labels:\n"
    "- human: asks to talk to a person (atendente, humano, gerente, alguém de verdade).\n"
    "- stop: asks to stop receiving messages/promotions or to leave a contact list "
    "(descadastrar, me tira da lista, não quero mais receber).\n"
    "- complaint: complains about a product, delivery, charge or service "
    "(reclamação, absurdo, veio quebrado, não chegou, cobrado duas vezes).\n"
    "- other: anything else, including stopping or cancelling something that is not our "
    "messages (cancelar o pedido, parar de pagar juros, cancelar a assinatura).\n"
    "If it complains and also asks for a person, answer complaint. "
    "confidence: 0 to 1."
)


@dataclass(frozen=True)
class Intent:
    """The classifier's verdict. ``source``: ``model`` (it answered), ``failed`` (error:
    treated as other), ``off`` (intents disabled) or ``empty`` (no text)."""

    intent: str
    confidence: float = 0.0
    source: str = "model"
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    raw: dict = field(default_factory=dict)

    @property
    def routed(self) -> bool:
        return self.intent != "other"

    def usage(self) -> dict | None:
        if not (self.input_tokens or self.output_tokens or self.error):
            return None
        data: dict = {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "confidence": self.confidence,
            "source": self.source,
        }
        if self.error:
            data["error"] = self.error[:300]
        return {**data, **usage_cost(self.model, self.input_tokens, self.output_tokens)}


# --------------------------------------------------------------------------- settings


def enabled(settings: AssistantSettings) -> bool:
    """On when the client turned it on (the assistant form offers it checked); an
    assistant saved before #21 has no key and stays off: no new cost without a choice."""
    return settings.options.get("intents_enabled") is True


def intent_model(settings: AssistantSettings) -> str:
    value = settings.options.get("intent_model")
    return str(value).strip() if isinstance(value, str) and value.strip() else DEFAULT_INTENT_MODEL


def _team_option(settings: AssistantSettings, key: str) -> int | None:
    value = settings.options.get(key)
    if isinstance(value, bool):
        return None
    try:
        number = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number and number > 0 else None


# --------------------------------------------------------------------------- classify


def _parse(text: str) -> tuple[str, float]:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    intent = data.get("intent")
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}")
    try:
        confidence = float(data.get("confidence", 0))
    except (TypeError, ValueError):
        confidence = 0.0
    return str(intent), min(1.0, max(0.0, confidence))


def classify(client_id: int, text: str, *, settings: AssistantSettings | None = None) -> Intent:
    """Classify ``text`` (the customer's last message or burst) with the client's key.
    Never raises: any failure is ``Intent("other", source="failed", error=…)``."""
    text = (text or "").strip()[-MAX_INPUT_CHARS:]
    if not text:
        return Intent("other", source="empty")
    if settings is not None and not enabled(settings):
        return Intent("other", source="off")  # the playground passes no settings: it asks
    model = intent_model(settings) if settings is not None else DEFAULT_INTENT_MODEL
    try:
        _credential, gateway = openai_for(client_id)
        reply = gateway.create_reply(
            model=model,
            instructions=INSTRUCTIONS,
            messages=[{"role": "user", "content": text}],
            temperature=0,
            max_output_tokens=40,
            text_format=TEXT_FORMAT,  # json_schema structured output
        )
    except (OpenAIFailure, NoCredentials) as exc:
        log.warning("intent classifier failed for client %s: %s", client_id, exc)
        return Intent("other", source="failed", model=model, error=str(exc))
    except Exception as exc:  # never block the answer
        log.exception("intent classifier crashed for client %s", client_id)
        return Intent("other", source="failed", model=model, error=repr(exc))
    spent = Intent(
        "other", model=reply.model, input_tokens=reply.input_tokens,
        output_tokens=reply.output_tokens,
    )  # fmt: skip
    try:
        intent, confidence = _parse(reply.text)
    except (ValueError, TypeError) as exc:
        log.warning("intent classifier answered %r: %s", reply.text[:200], exc)
        return replace(spent, source="failed", error=f"bad answer: {exc}")
    if intent != "other" and confidence < MIN_CONFIDENCE:
        return replace(spent, confidence=confidence, raw={"intent": intent})
    return replace(spent, intent=intent, confidence=confidence)


def record(claim: Claim, result: Intent) -> None:
    """Log the verdict on the AI run (``intent`` and ``intent_usage``)."""
    table = AIReplyRun.__table__
    values: dict = {"intent": result.intent, "updated_at": utcnow()}
    usage = result.usage()
    if usage is not None:
        values["intent_usage"] = usage
    db.session.execute(sa.update(table).where(table.c.id == claim.id).values(**values))
    db.session.commit()


# --------------------------------------------------------------------------- route


def route(claim: Claim, settings: AssistantSettings, result: Intent, text: str) -> Outcome | None:
    """Act on a routed intent; None for ``other`` (the AI answers)."""
    if result.intent == "stop":
        return _stop(claim, settings, text)
    if result.intent == "human":
        return _handoff(claim, settings, AIOutcome.INTENT_HUMAN, "human_team_id", urgent=False)
    if result.intent == "complaint":
        return _handoff(
            claim, settings, AIOutcome.INTENT_COMPLAINT, "complaint_team_id", urgent=True
        )
    return None


def _stop(claim: Claim, settings: AssistantSettings, text: str) -> Outcome:
    if not claims.take_send_slot(
        claim,
        outcome=AIOutcome.INTENT_STOP.value,
        assistant_id=settings.assistant_id,
        assistant_version=assistant_version(settings),
    ):
        return Outcome("skipped", "already_sent")
    contact = db.session.get(Contact, claim.contact_id)
    if contact is not None and contact.client_id == claim.client_id:
        optout_rules.stop_contact(contact, claim.conversation_id, reason=f"IA: {text}")
    claims.finish(claim, status="DONE")
    db.session.commit()
    return Outcome("opted_out", AIOutcome.INTENT_STOP.value)


def _handoff(
    claim: Claim, settings: AssistantSettings, outcome: AIOutcome, team_key: str, *, urgent: bool
) -> Outcome:
    result = effects.handoff(claim, settings, outcome)
    if result.reason == "already_sent":
        return result
    conversation = db.session.get(Conversation, claim.conversation_id)
    if conversation is None or conversation.client_id != claim.client_id:
        return result
    if urgent and (conversation.priority or 0) < URGENT:
        conversation.priority = URGENT
        conversation.updated_at = utcnow()
        db.session.commit()
    team_id = _team_option(settings, team_key) or conversation.team_id
    if team_id is not None and (
        conversation.team_id != team_id or conversation.assigned_user_id is None
    ):
        try:
            route_to_team(claim.client_id, conversation.id, team_id, actor="ai",
                          note=_ROUTE_NOTES[outcome])  # fmt: skip
        except TeamNotFound:  # archived or deleted since it was chosen: the queue it is in
            db.session.rollback()
            log.warning("intent %s: team %s of client %s not found", outcome, team_id,
                        claim.client_id)  # fmt: skip
    send_safely(
        conversation_updated,
        client_id=claim.client_id,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
    )
    return result


_ROUTE_NOTES = {
    AIOutcome.INTENT_HUMAN: "IA: o contato pediu para falar com uma pessoa",
    AIOutcome.INTENT_COMPLAINT: "IA: reclamação do contato (prioridade urgente)",
}
