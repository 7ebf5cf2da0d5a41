"""Chatbot flows plugin (issue #20): menus, forms and handoffs built in the panel.

It only connects: the runtime is :mod:`clickpro.services.flows` (graph, engine, steps,
triggers), the editor and simulator are :mod:`clickpro.plugins.flows.routes`, the jobs
are in :mod:`clickpro.tasks.flows`.
"""

from __future__ import annotations

from flask import Flask

from clickpro import events
from clickpro.plugins.api import connect, register_blueprint
from clickpro.plugins.flows.routes import bp
from clickpro.services.flows import triggers


def init_app(app: Flask) -> None:
    connect(app, events.message_received, triggers.on_message_received)
    register_blueprint(app, bp)
