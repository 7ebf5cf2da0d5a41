"""The AI playground (issue #21): a client admin tries the assistant — instructions,
knowledge base, tools — in a test conversation before turning it on.

What a question does: the number's assistant settings (``effective_assistant``) with the
page's unsaved instructions, the same answer loop as the live replies
(``clickpro.services.ai.answer.ask``: file search + the client's tools) over an
in-memory context (this chat's earlier turns), and h5's intent classifier when it is on.
Nothing goes to WhatsApp, no conversation or AI run is created, and the live caps never
see it: the daily reply cap and the per-conversation cap count customers' answers, and
the monthly budget (``costs.ai_spend``) sums AI *messages* — the playground has none.

The tokens are real OpenAI spend on the client's key, so each turn keeps its usage and
cost (``ai_playground_turns``), shown on every answer and as "Gasto do playground este
mês" on the page. Why not against the monthly budget: an admin tuning the prompt must not
pause the customers' AI; the playground has its own bounds instead (``MAX_TURNS`` per
chat, ``DAILY_QUESTIONS`` per client and day, question and instructions sizes).

"Salvar instruções" writes the tried text to the real settings: the number's own
instructions when the number overrides them, else the client's assistant.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.integrations.openai import OpenAIFailure, Reply
from clickpro.models import AIPlaygroundTurn, Client, WhatsAppCredential
from clickpro.models.base import utcnow
from clickpro.services.ai import effects, tools
from clickpro.services.ai.reply import DEFAULT_INSTRUCTIONS
from clickpro.services.ai.settings import effective_assistant
from clickpro.services.audit import Action
from clickpro.services.audit import record as audit_record
from clickpro.services.costs.ai_spend import month_start, usage_cost
from clickpro.services.credentials import AssistantSettings, NoCredentials
from clickpro.services.credentials.assistant import INSTRUCTIONS_MAX, get_openai_credential
from clickpro.services.credentials.number_assistant import store_ai_settings
from clickpro.tenancy import get_owned

log = logging.getLogger(__name__)

MAX_TURNS = 30  # per test conversation
MAX_QUESTION = 2_000
MAX_ANSWER = 8_000
DAILY_QUESTIONS = 300  # per client, all admins together


class PlaygroundError(ServiceError):
    code = "playground"


@dataclass(frozen=True)
class Options:
    """The page's switches for one question."""

    number_id: int | None = None
    instructions: str | None = None  # None: the saved ones
    use_knowledge: bool = True
    use_tools: bool = True


def chat(client_id: int, user_id: int) -> list[AIPlaygroundTurn]:
    """The current test conversation of this admin, oldest first."""
    stmt = (
        sa.select(AIPlaygroundTurn)
        .where(
            AIPlaygroundTurn.client_id == client_id,
            AIPlaygroundTurn.user_id == user_id,
            AIPlaygroundTurn.cleared.is_(False),
        )
        .order_by(AIPlaygroundTurn.id)
    )
    return list(db.session.scalars(stmt))


def reset(client_id: int, user_id: int) -> None:
    """Start a new test conversation (the old turns stay for the spend)."""
    db.session.execute(
        sa.update(AIPlaygroundTurn)
        .where(
            AIPlaygroundTurn.client_id == client_id,
            AIPlaygroundTurn.user_id == user_id,
            AIPlaygroundTurn.cleared.is_(False),
        )
        .values(cleared=True, updated_at=utcnow())
    )
    db.session.commit()


def month_spend(client_id: int, now: datetime | None = None) -> tuple[float, int]:
    """(cost, tokens) of the playground this month, all admins."""
    row = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(AIPlaygroundTurn.cost), 0),
            sa.func.coalesce(
                sa.func.sum(AIPlaygroundTurn.input_tokens + AIPlaygroundTurn.output_tokens), 0
            ),
        ).where(
            AIPlaygroundTurn.client_id == client_id,
            AIPlaygroundTurn.created_at >= month_start(now),
        )
    ).one()
    return float(row[0] or 0), int(row[1] or 0)


def _number(client_id: int, number_id: int | None) -> WhatsAppCredential | None:
    if number_id is None:
        return None
    number = get_owned(WhatsAppCredential, number_id, client_id)
    if number is None or number.archived_at is not None:
        raise PlaygroundError(_("Número não encontrado."), field="number_id")
    return number


def settings_for(client_id: int, options: Options) -> AssistantSettings:
    number = _number(client_id, options.number_id)
    try:
        settings = effective_assistant(client_id, number.id if number else None)
    except NoCredentials:
        raise PlaygroundError(_("Configure a chave da OpenAI em Credenciais.")) from None
    if not settings.has_credentials:
        raise PlaygroundError(_("Configure a chave da OpenAI em Credenciais."))
    if options.instructions is not None:
        text = options.instructions.strip()
        if len(text) > INSTRUCTIONS_MAX:
            raise PlaygroundError(_("As instruções são longas demais."), field="instructions")
        settings = dataclasses.replace(settings, instructions=text)
    return settings


def instructions_of(settings: AssistantSettings) -> str:
    if settings.instructions.strip():
        return settings.instructions
    client = db.session.get(Client, settings.client_id)
    return DEFAULT_INSTRUCTIONS.format(name=client.name if client else "nossa empresa")


def _context(turns: list[AIPlaygroundTurn], question: str, limit: int) -> list[dict]:
    messages: list[dict] = []
    for turn in turns:
        messages.append({"role": "user", "content": turn.question})
        if turn.answer:
            messages.append({"role": "assistant", "content": turn.answer})
    messages.append({"role": "user", "content": question})
    return messages[-max(1, limit) :]


def _check_bounds(client_id: int, user_id: int, question: str) -> list[AIPlaygroundTurn]:
    if not question:
        raise PlaygroundError(_("Escreva uma pergunta."), field="question")
    if len(question) > MAX_QUESTION:
        raise PlaygroundError(_("Pergunta longa demais (máximo %(max)s caracteres).",
                                max=MAX_QUESTION), field="question")  # fmt: skip
    turns = chat(client_id, user_id)
    if len(turns) >= MAX_TURNS:
        raise PlaygroundError(_("Esta conversa de teste chegou a %(max)s perguntas: comece uma "
                                "nova.", max=MAX_TURNS))  # fmt: skip
    since = datetime.now(UTC) - timedelta(days=1)
    today = db.session.scalar(
        sa.select(sa.func.count(AIPlaygroundTurn.id)).where(
            AIPlaygroundTurn.client_id == client_id, AIPlaygroundTurn.created_at >= since
        )
    )
    if int(today or 0) >= DAILY_QUESTIONS:
        raise PlaygroundError(_("Limite de %(max)s perguntas de teste em 24 horas atingido.",
                                max=DAILY_QUESTIONS))  # fmt: skip
    return turns


def _intent(settings: AssistantSettings, question: str) -> dict | None:
    """h5's classifier on the question, with the client's intent model — also when the
    live replies have it off: the playground is where one sees what it would say."""
    try:
        from clickpro.services.ai import intents
    except ImportError:
        return None
    trying = dataclasses.replace(settings, options={**settings.options, "intents_enabled": True})
    try:
        result = intents.classify(settings.client_id, question, settings=trying)
    except Exception:  # the answer matters more than the label
        log.exception("playground: intent classifier failed")
        return None
    if result.source in ("failed", "empty", "off"):
        return {"intent": None, "error": (result.error or result.source)[:200],
                "input_tokens": result.input_tokens, "output_tokens": result.output_tokens}  # fmt: skip
    return {
        "intent": result.intent,
        "confidence": result.confidence,
        "source": result.source,
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "model": result.model,
        "live": intents.enabled(settings),  # what the customers' replies would do with it
    }


def ask(client_id: int, user_id: int, question: str, options: Options) -> AIPlaygroundTurn:
    """Answer one test question and store the turn (also when OpenAI failed)."""
    question = (question or "").strip()
    turns = _check_bounds(client_id, user_id, question)
    settings = settings_for(client_id, options)
    context = _context(turns, question, settings.context_messages)
    turn = AIPlaygroundTurn(client_id=client_id, user_id=user_id, number_id=options.number_id,
                            question=question, answer="", details={}, input_tokens=0,
                            output_tokens=0)  # fmt: skip
    details: dict = {
        "options": {
            "knowledge": options.use_knowledge,
            "tools": options.use_tools,
            "instructions_override": options.instructions is not None,
        },
        "intent": _intent(settings, question),
        "handoff_keyword": settings.wants_handoff(question),
    }
    started = time.perf_counter()
    try:
        result = run_answer(settings, instructions_of(settings), context, options)
    except OpenAIFailure as failure:
        details["error"] = failure.message[:300]
    except NoCredentials as exc:
        details["error"] = str(exc)[:300]
    else:
        reply = result.reply
        turn.answer = (reply.text or "").strip()[:MAX_ANSWER] or settings.fallback_text
        turn.model = reply.model
        turn.input_tokens, turn.output_tokens = reply.input_tokens, reply.output_tokens
        details["citations"] = list(result.citations or [])
        details["tool_calls"] = list(result.tool_calls or [])
        details["no_knowledge"] = bool(result.no_knowledge)
        details["plain"] = bool(getattr(result, "plain", False))
    intent = details.get("intent") or {}
    turn.input_tokens += int(intent.get("input_tokens") or 0)
    turn.output_tokens += int(intent.get("output_tokens") or 0)
    cost = usage_cost(turn.model, turn.input_tokens, turn.output_tokens) if turn.model else {}
    turn.cost = cost.get("cost")
    details["cost_currency"] = cost.get("cost_currency")
    turn.latency_ms = int((time.perf_counter() - started) * 1000)
    turn.details = details
    db.session.add(turn)
    db.session.commit()
    return turn


@dataclass(frozen=True)
class PlainAnswer:
    """The shape of h4's ``AnswerResult`` for an answer without the tool loop."""

    reply: Reply
    citations: list
    tool_calls: list
    no_knowledge: bool
    plain: bool = True


def run_answer(settings: AssistantSettings, instructions: str, context: list[dict],
               options: Options):  # fmt: skip
    """h4's answer loop with the playground's switches (tools off: none offered).

    Until that loop is installed the playground answers with the plain assistant (one
    Responses call, no knowledge base or tools) and says so on the turn."""
    try:
        from clickpro.services.ai import answer  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        reply = effects.ask_openai(settings, instructions, context)
        return PlainAnswer(reply=reply, citations=[], tool_calls=[], no_knowledge=False)
    kwargs: dict = {"client_id": settings.client_id, "run_id": None, "conversation_id": None}
    accepted = inspect.signature(answer.ask).parameters
    if "use_knowledge" in accepted:
        kwargs["use_knowledge"] = options.use_knowledge
    if "number_id" in accepted:
        kwargs["number_id"] = options.number_id
    if options.use_tools:
        return answer.ask(settings, instructions, context, **kwargs)
    with tools.suppressed():
        return answer.ask(settings, instructions, context, **kwargs)


def save_instructions(client_id: int, user_id: int, number_id: int | None, text: str) -> str:
    """Apply the tried instructions to the real settings; says where they went."""
    text = (text or "").strip()
    if len(text) > INSTRUCTIONS_MAX:
        raise PlaygroundError(_("As instruções são longas demais."), field="instructions")
    client = db.session.get(Client, client_id)
    number = _number(client_id, number_id)
    if (
        client is not None
        and number is not None
        and isinstance(number.ai_settings, dict)
        and (number.ai_settings.get("instructions"))
    ):
        settings = dict(number.ai_settings)
        if text:
            settings["instructions"] = text
        else:
            settings.pop("instructions", None)
        store_ai_settings(client, number, settings or None)
        return "number"
    credential = get_openai_credential(client_id)
    if credential is None:
        raise PlaygroundError(_("Configure a chave da OpenAI em Credenciais."))
    credential.instructions = text
    db.session.commit()
    audit_record(Action.CREDENTIAL_CHANGED, credential, client_id=client_id,
                 kind="openai_instructions", source="playground")  # fmt: skip
    return "client"
