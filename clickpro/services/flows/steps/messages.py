"""send, end and ask steps (the ask question, its choices and the answer)."""

from __future__ import annotations

from flask_babel import gettext as _

from clickpro.extensions import db
from clickpro.models import FlowRunStatus, FlowRunStep
from clickpro.services.flows import validators
from clickpro.services.flows.graph import choices_of
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.steps.outbox import render_message, send
from clickpro.services.inbox import interactive as meta


def step_send(ctx: Ctx, sid: str, step: dict) -> Result:
    assert ctx.row is not None
    send(ctx, ctx.row, step.get("message"))
    return Result("next", step.get("next"), outcome="sent")


def step_end(ctx: Ctx, sid: str, step: dict) -> Result:
    assert ctx.row is not None
    if step.get("message"):
        send(ctx, ctx.row, step.get("message"))
    return Result("done", status=FlowRunStatus.COMPLETED, reason="completed", outcome="ended")


def question(ctx: Ctx, step: dict) -> dict:
    """The ask step's message; a choice question becomes buttons, a list or numbered lines."""
    rendered = render_message(ctx, step.get("message"))
    choices = choices_of(step)
    if not choices:
        return rendered
    text = rendered.get("text") or ""
    titles = [ctx.render(c.get("title")) for c in choices]
    if len(choices) <= meta.MAX_BUTTONS and all(len(t) <= meta.BUTTON_TITLE_MAX for t in titles):
        return {"kind": "buttons", "text": text,
                "buttons": [{"id": str(c["id"]), "title": t} for c, t in zip(choices, titles, strict=True)]}  # fmt: skip
    if len(choices) <= meta.MAX_ROWS and all(len(t) <= meta.ROW_TITLE_MAX for t in titles):
        rows = [{"id": str(c["id"]), "title": t, "description": ctx.render(c.get("description"))[:72]}
                for c, t in zip(choices, titles, strict=True)]  # fmt: skip
        button = ctx.render(step.get("list_button") or _("Ver opções"))[: meta.LIST_BUTTON_MAX]
        return {
            "kind": "list",
            "text": text,
            "button": button,
            "sections": [{"title": "", "rows": rows}],
        }
    lines = "\n".join(f"{i}. {t}" for i, t in enumerate(titles, start=1))
    return {"kind": "text", "text": f"{text}\n\n{lines}".strip()}


def step_ask(ctx: Ctx, sid: str, step: dict) -> Result:
    assert ctx.row is not None
    state = ctx.state
    answer = state.get("answer")
    if answer is None:
        send(ctx, ctx.row, None, rendered=question(ctx, step))
        return Result("wait_input", outcome="asked")
    row = db.session.get(FlowRunStep, answer.get("row_id")) if answer.get("row_id") else None
    checked = validators.check(step.get("validation"), answer.get("text"), answer.get("reply_id"))
    if checked.ok:
        name = str(step.get("save_as") or sid)
        values = {name: checked.value}
        if "id" in checked.extra:
            values[f"{name}_id"] = checked.extra["id"]
        ctx.set_variables(values)
        _save_to_contact(ctx, step.get("save_to_contact"), checked.value)
        if row is not None:
            ctx.update_row(row, outcome="answered", value=str(checked.value)[:200])
        target = step.get("next")
        field = "next"
        for i, c in enumerate(choices_of(step)):
            if "id" in checked.extra and str(c.get("id")) == checked.extra["id"]:
                target, field = c.get("next"), f"choices.{i}.next"
        return Result("next", target, exit_field=field, outcome="answered")
    attempts = int(state.get("attempts") or 0) + (
        0 if state.get("counted") == answer.get("row_id") else 1
    )
    state.update(attempts=attempts, counted=answer.get("row_id"))
    ctx.save_state(state)
    max_attempts = int(step.get("max_attempts") or 3)
    if row is not None:
        ctx.update_row(row, outcome="invalid", reason=checked.reason)
        db.session.commit()
    if attempts >= max_attempts:
        return Result("next", step.get("on_invalid"), exit_field="on_invalid", outcome="invalid",
                      reason="max_attempts")  # fmt: skip
    if row is not None:
        text = ctx.render(step.get("invalid_message")) or checked.reason
        send(ctx, row, {"kind": "text", "text": text})
    state = ctx.state
    state.pop("answer", None)
    ctx.save_state(state)
    return Result("wait_input", outcome="asked")


def _save_to_contact(ctx: Ctx, target: object, value: object) -> None:
    if not target or not isinstance(target, str):
        return
    if not ctx.live or ctx.contact is None:
        variables = ctx.variables
        saved = dict(variables.get("_contact_updates") or {})
        saved[target] = value
        ctx.set_variables({"_contact_updates": saved})  # simulator: recorded, not applied
        return
    if target == "name":
        ctx.contact.name = str(value)[:200]
    else:
        ctx.contact.attributes = {**(ctx.contact.attributes or {}), target: value}
