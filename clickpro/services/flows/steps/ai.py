"""The ai step: one answer from the client's assistant, given the collected variables.

The number's assistant (``services.ai.settings.effective_assistant``) answers through
``effects.ask_openai``; its usage is stored on the sent message's ``ai_usage`` (author
AI), which is what the monthly spend and token budgets count. Off, failing or over
budget → ``on_error``.
"""

from __future__ import annotations

import json

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.steps.outbox import send


def step_ai(ctx: Ctx, sid: str, step: dict) -> Result:
    from clickpro.services.ai import effects
    from clickpro.services.ai.settings import effective_assistant
    from clickpro.services.costs.ai_spend import budget_reached, usage_cost

    assert ctx.row is not None
    name = str(step.get("save_as") or "resposta_ia")
    state = ctx.state
    if "answer" not in state:
        try:
            number_id = ctx.conversation.number_id if ctx.conversation else None
            settings = effective_assistant(ctx.client_id, number_id)
            if not settings.has_credentials or not settings.enabled:
                raise RuntimeError("ai_off")
            if budget_reached(ctx.client_id, ctx.now):
                raise RuntimeError("over_budget")
            public = {k: v for k, v in ctx.variables.items() if not k.startswith("_")}
            instructions = "\n\n".join(
                t for t in (settings.instructions, ctx.render(step.get("instructions")),
                            "Dados coletados: " + json.dumps(public, ensure_ascii=False)[:4000]) if t
            )  # fmt: skip
            last = ctx.variables.get("_last_input") or ""
            reply = effects.ask_openai(
                settings, instructions, [{"role": "user", "content": last or "Olá"}]
            )
        except Exception as exc:
            return Result("next", step.get("on_error"), exit_field="on_error", outcome="ai_error",
                          detail={"error": str(exc)[:200]})  # fmt: skip
        text = (reply.text or "").strip()[:4000]
        usage = {"kind": "flow", "flow_run_id": ctx.run.id, "model": reply.model,
                 "input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens,
                 "response_id": reply.response_id,
                 **usage_cost(reply.model, reply.input_tokens, reply.output_tokens)}  # fmt: skip
        state.update(answer=text, usage=usage)
        ctx.set_variables({name: text})
        ctx.save_state(state)
    if not state["answer"]:
        return Result("next", step.get("on_error"), exit_field="on_error", outcome="ai_error")
    if step.get("send", True):
        message_id = send(ctx, ctx.row, {"kind": "text", "text": state["answer"]})
        if message_id is not None:
            message = db.session.get(Message, message_id)
            if message is not None and not message.ai_usage:
                message.ai_usage = state.get("usage") or {}
                db.session.commit()
    return Result("next", step.get("next"), outcome="ai_ok", detail={"usage": state.get("usage")})
