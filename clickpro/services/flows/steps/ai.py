"""The ai step: one answer from the client's assistant, given the collected variables.

The answer comes from the same loop as the AI reply (:func:`clickpro.services.ai.answer.ask`:
the number's assistant from ``effective_assistant``, the knowledge base's
``file_search`` and the client's function tools), with the flow's variables and the
step's instructions added to the assistant's instructions. On a live conversation the
context is the conversation's thread and the answer is an AI run
(:mod:`.ai_run`: AI activity, daily and per-conversation caps, run log, spend in the
monthly budgets); in the simulator the context is the last answer typed, nothing is
recorded as an AI run and nothing reaches WhatsApp (the outbox only journals).

AI off or without a valid key, conversation paused for an agent, a budget or cap
reached, OpenAI failing, an empty answer or "the knowledge base has nothing on it"
→ the ``on_error`` exit (without one: the run ends FAILED with the reason in the
journal). The handler never raises for those.

Resumed after a crash: the AI run row is made once per visit (its id in the visit's
state); an answer already saved is not asked again; the send is once per journal row.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import Direction, Flow, Message
from clickpro.services.flows.steps import ai_run
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.steps.outbox import send

log = logging.getLogger(__name__)
# The AI reply's default and context statuses (``services.ai.reply``, which imports the flows).
DEFAULT_INSTRUCTIONS = (
    "Você é o assistente virtual de {name} no WhatsApp. Responda em português do Brasil, "
    "de forma curta, cordial e objetiva. Se não souber, diga que um atendente vai ajudar."
)
CONTEXT_OUT_STATUSES = ("SENT", "DELIVERED", "READ", "UNKNOWN")
DATA_MAX = 4000  # chars of the collected variables given to the model
ANSWER_MAX = 4000


class StepFailure(Exception):
    """Why the assistant gave no answer (``kind``: a short code for the journal)."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind


def _number_id(ctx: Ctx) -> int | None:
    if ctx.conversation is not None:
        return ctx.conversation.number_id
    flow = db.session.get(Flow, ctx.run.flow_id)
    return flow.number_id if flow is not None else None


def instructions_for(ctx: Ctx, step: dict, base: str) -> str:
    """The assistant's instructions + the step's + the collected data (public variables)."""
    public = {k: v for k, v in ctx.variables.items() if not k.startswith("_")}
    data = json.dumps(public, ensure_ascii=False)[:DATA_MAX]
    parts = (base, ctx.render(step.get("instructions")), f"Dados coletados no atendimento: {data}")
    return "\n\n".join(p for p in parts if p and p.strip())


def _thread(ctx: Ctx, limit: int) -> list[dict]:
    """The conversation's last ``limit`` messages, oldest first, as the AI reply reads them
    (``services.ai.reply.build_context``, not imported: that module imports the flows):
    the customer → user, the rest → assistant; no notes, reactions or unsent messages."""
    from clickpro.services.ai.claim import IGNORED_TYPES

    conv = ctx.conversation
    assert conv is not None
    m = Message
    rows = db.session.execute(
        sa.select(m.direction, m.type, m.body)
        .where(
            m.client_id == conv.client_id,
            m.contact_id == conv.contact_id,
            m.number_id == conv.number_id,
            m.is_internal_note.is_(False),
            m.type.notin_(IGNORED_TYPES),
            sa.or_(m.direction == Direction.IN, m.status.in_(CONTEXT_OUT_STATUSES)),
        )
        .order_by(m.id.desc())
        .limit(max(1, limit))
    ).all()
    return [
        {
            "role": "user" if row.direction == Direction.IN else "assistant",
            "content": (row.body or "").strip() or f"[{row.type}]",
        }
        for row in reversed(rows)
    ]


def _context(ctx: Ctx, settings) -> list[dict]:
    last = str(ctx.variables.get("_last_input") or "").strip()
    if ctx.live and ctx.conversation is not None:
        context = _thread(ctx, settings.context_messages)
        if context and context[-1]["role"] == "user":
            return context
        if last:
            return [*context, {"role": "user", "content": last}]
        return context or [{"role": "user", "content": "Olá"}]
    return [{"role": "user", "content": last or "Olá"}]


def _gate(ctx: Ctx, settings) -> None:
    """Raise :class:`StepFailure` when the AI may not answer now."""
    from clickpro.services.ai import effects, limits
    from clickpro.services.costs.ai_spend import budget_reached

    if not settings.has_credentials or not settings.enabled:
        raise StepFailure("ai_off", _("A IA está desligada ou sem chave válida."))
    if ctx.live and ctx.conversation is not None and ctx.conversation.ai_paused:
        raise StepFailure("ai_paused", _("A IA está pausada nesta conversa."))
    if budget_reached(ctx.client_id, ctx.now):
        raise StepFailure("over_budget", _("O orçamento mensal de IA foi atingido."))
    if ctx.live and ctx.conversation is not None:
        if effects.cap_reached(settings, ctx.now):
            raise StepFailure("daily_cap", _("O limite diário de respostas da IA foi atingido."))
        if limits.conversation_cap_reached(ctx.client_id, ctx.conversation.id, settings):
            raise StepFailure("conv_cap", _("A IA atingiu o limite de respostas desta conversa."))


def _ask(ctx: Ctx, step: dict, state: dict) -> tuple[str, dict, int | None]:
    """(answer text, usage, latency) — or :class:`StepFailure`."""
    from clickpro.integrations.openai import OpenAIFailure
    from clickpro.services.ai import answer, effects
    from clickpro.services.ai.settings import effective_assistant
    from clickpro.services.costs.ai_spend import usage_cost
    from clickpro.services.credentials import NoCredentials

    number_id = _number_id(ctx)
    try:
        settings = effective_assistant(ctx.client_id, number_id)
    except NoCredentials as exc:
        raise StepFailure("ai_off", str(exc)) from None
    _gate(ctx, settings)
    run_id = state.get("ai_run_id")
    if ctx.live and run_id is None:
        run_id = ai_run.open_run(ctx, assistant_id=settings.assistant_id,
                                 assistant_version=effects.assistant_version(settings))  # fmt: skip
        state["ai_run_id"] = run_id
        ctx.save_state(state)  # before the call: a resumed visit reuses the row
    base = settings.instructions.strip() or DEFAULT_INSTRUCTIONS.format(name=_client_name(ctx))
    try:
        result = answer.ask(settings, instructions_for(ctx, step, base), _context(ctx, settings),
                            client_id=ctx.client_id, run_id=run_id,
                            conversation_id=ctx.conversation.id if ctx.live and ctx.conversation else None,
                            number_id=number_id)  # fmt: skip
    except OpenAIFailure as failure:
        raise StepFailure(failure.kind.value, failure.message) from None
    except NoCredentials as exc:
        raise StepFailure("bad_key", str(exc)) from None
    if run_id is not None:
        answer.record(run_id, result)  # citations and tool calls: the AI run log
    if result.no_knowledge:
        raise StepFailure("no_knowledge", _("A base de conhecimento não tinha a resposta."))
    reply = result.reply
    text = (reply.text or "").strip()[:ANSWER_MAX]
    if not text:
        raise StepFailure("empty", _("A IA não devolveu texto."))
    usage = {"kind": "flow", "run_id": run_id, "flow_run_id": ctx.run.id,
             "assistant_id": settings.assistant_id,
             "assistant_version": effects.assistant_version(settings), "model": reply.model,
             "response_id": reply.response_id, "status": reply.status,
             "input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens,
             "latency_ms": reply.latency_ms,
             **usage_cost(reply.model, reply.input_tokens, reply.output_tokens)}  # fmt: skip
    return text, usage, reply.latency_ms


def _client_name(ctx: Ctx) -> str:
    from clickpro.models import Client

    client = db.session.get(Client, ctx.client_id)
    return client.name if client else "nossa empresa"


def _failure(ctx: Ctx, step: dict, state: dict, failure: StepFailure) -> Result:
    db.session.rollback()
    run_id = state.get("ai_run_id")
    if run_id is not None:
        ai_run.failed(int(run_id), failure.kind, str(failure))
    detail = {"error": str(failure)[:200], "error_kind": failure.kind}
    if step.get("on_error"):
        return Result("next", step.get("on_error"), exit_field="on_error", outcome="ai_error",
                      detail=detail)  # fmt: skip
    detail["system"] = _("A IA não respondeu: %(why)s", why=str(failure)[:150])
    return Result("fail", outcome="ai_error", detail=detail, reason="ai_error")


def step_ai(ctx: Ctx, sid: str, step: dict) -> Result:
    assert ctx.row is not None
    name = str(step.get("save_as") or "resposta_ia")
    state = ctx.state
    if "answer" not in state:
        try:
            text, usage, latency = _ask(ctx, step, state)
        except StepFailure as failure:
            return _failure(ctx, step, state, failure)
        except Exception as exc:  # a bug or an unexpected error: the failure exit, logged
            log.exception("flow run %s: ai step %s failed", ctx.run.id, sid)
            return _failure(ctx, step, state, StepFailure("error", str(exc)[:200]))
        state.update(answer=text, usage=usage)
        ctx.set_variables({name: text})
        ctx.save_state(state)
        if state.get("ai_run_id") is not None:
            ai_run.answered(int(state["ai_run_id"]), usage, latency)
    usage = state.get("usage") or {}
    message_id = None
    if step.get("send", True):
        message_id = send(ctx, ctx.row, {"kind": "text", "text": state["answer"]})
        if message_id is not None:
            message = db.session.get(Message, message_id)
            if message is not None and not message.ai_usage:
                message.ai_usage = usage  # the monthly spend and token budgets sum these
                db.session.commit()
    if state.get("ai_run_id") is not None:
        ai_run.done(int(state["ai_run_id"]), reply_message_id=message_id,
                    unsent_usage=None if message_id is not None else usage)  # fmt: skip
    return Result("next", step.get("next"), outcome="ai_ok", detail={"usage": usage})
