"""AI replies plugin (issue #8): wires ``message_received`` to the debounced reply job
and registers the activity page (``/ai/activity``, client admins).

Rules and effects live in ``clickpro.services.ai.reply``; this module only connects.
"""

from __future__ import annotations

import logging
import os

from flask import Flask

from clickpro import events
from clickpro.extensions import db
from clickpro.plugins.api import connect, register_blueprint

log = logging.getLogger(__name__)

# Seconds unless said otherwise. AI_DEBOUNCE_S: wait for a burst to end before answering;
# AI_DEBOUNCE_MAX_S: answer anyway once the oldest unanswered message is this old;
# AI_MAX_ATTEMPTS (count) and AI_RETRY_BASE_S/AI_RETRY_MAX_S: OpenAI retry backoff.
SETTINGS = {
    "AI_DEBOUNCE_S": 4.0,
    "AI_DEBOUNCE_MAX_S": 30.0,
    "AI_MAX_ATTEMPTS": 3,
    "AI_RETRY_BASE_S": 2.0,
    "AI_RETRY_MAX_S": 60.0,
}


def init_app(app: Flask) -> None:
    from clickpro.plugins.ai_reply.routes import bp

    for name, default in SETTINGS.items():  # config wins, then CLICKPRO_<NAME>, then default
        app.config.setdefault(name, float(os.environ.get(f"CLICKPRO_{name}") or default))
    connect(events.message_received, on_message_received)
    register_blueprint(app, bp)


def on_message_received(sender, *, client_id: int, message_id: int, contact_id: int, **_) -> None:
    """Schedule the reply job when the AI should handle this message (cheap checks only)."""
    from clickpro.services.ai import reply as ai_reply
    from clickpro.tasks.ai import schedule_reply

    try:
        decision = ai_reply.should_answer(client_id, contact_id, message_id)
        if not decision.answer:
            log.debug("AI skips message %s: %s", message_id, decision.reason)
            return
        schedule_reply(client_id, contact_id, message_id)
    except Exception:
        db.session.rollback()
        log.exception("AI reply for message %s could not be scheduled", message_id)
