"""Flows jobs: walk a run, take one inbound message, and the periodic sweep."""

from __future__ import annotations

import logging

from clickpro.extensions import db
from clickpro.models import Message
from clickpro.services.flows import engine
from clickpro.services.flows.triggers import reply_of

log = logging.getLogger(__name__)


def run_job(client_id: int, run_id: int) -> None:
    """Walk a started (or resumed) run until it waits or ends; a duplicate does nothing."""
    engine.drive(client_id, run_id)


def input_job(client_id: int, run_id: int, message_id: int) -> str:
    """One inbound message for a run in progress (exactly once: flow_run_inputs)."""
    message = db.session.get(Message, message_id)
    if message is None or message.client_id != client_id:
        return "not_found"
    text, reply_id = reply_of(message)
    return engine.take_input(client_id, run_id, text=text, reply_id=reply_id, message_id=message_id)


def sweep() -> dict:
    """Every minute: wake due wait steps, abandon timed-out runs, resume stuck ones."""
    return {
        "woken": engine.wake_due(),
        "expired": engine.expire_due(),
        "resumed": engine.resume_stuck(),
    }
