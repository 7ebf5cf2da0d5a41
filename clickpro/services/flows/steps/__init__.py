"""Step handlers, one per step type: ``HANDLERS[type](ctx, step_id, step) -> Result``."""

from __future__ import annotations

from collections.abc import Callable

from clickpro.services.flows.steps.ai import step_ai
from clickpro.services.flows.steps.base import Ctx, Result
from clickpro.services.flows.steps.handoff import step_handoff
from clickpro.services.flows.steps.http import step_http
from clickpro.services.flows.steps.logic import step_condition, step_set, step_wait
from clickpro.services.flows.steps.messages import step_ask, step_end, step_send

HANDLERS: dict[str, Callable[[Ctx, str, dict], Result]] = {
    "send": step_send,
    "ask": step_ask,
    "condition": step_condition,
    "set": step_set,
    "http": step_http,
    "ai": step_ai,
    "handoff": step_handoff,
    "wait": step_wait,
    "end": step_end,
}

__all__ = ["HANDLERS", "Ctx", "Result"]
