"""AI replies plugin (issue #8): wires this app's ``message_received`` to the debounced
reply job and registers the activity page (``/ai/activity``, client admins).

It only connects: when to answer is :mod:`clickpro.services.ai.trigger`, the answer
itself :mod:`clickpro.services.ai.reply`. Its settings (``AI_DEBOUNCE_S``,
``AI_DEBOUNCE_MAX_S``, ``AI_MAX_ATTEMPTS``, ``AI_RETRY_*``) are rows of the settings
table in :mod:`clickpro.config`, like every other.
"""

from __future__ import annotations

from flask import Flask

from clickpro import events
from clickpro.plugins.ai_reply.routes import bp
from clickpro.plugins.api import connect, register_blueprint
from clickpro.services.ai import trigger, voice_wait


def init_app(app: Flask) -> None:
    connect(app, events.message_received, trigger.on_message_received)
    # A voice note's transcript arrived: the AI answers it as text (h1).
    connect(app, events.message_media_updated, voice_wait.on_media_updated)
    register_blueprint(app, bp)
