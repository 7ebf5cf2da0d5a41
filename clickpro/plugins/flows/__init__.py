"""Chatbot flows plugin (issue #20): menus, forms and handoffs built in the panel.

It only connects: the runtime is :mod:`clickpro.services.flows` (graph, engine, steps,
triggers), the editor is :mod:`clickpro.plugins.flows.routes`, the simulator
:mod:`clickpro.plugins.flows.simulator` (both on the blueprint of :mod:`.blueprint`), the jobs
are in :mod:`clickpro.tasks.flows` (the sweep runs every minute: wait steps woken,
timeouts, runs of a dead worker resumed).
"""

from __future__ import annotations

from flask import Flask

from clickpro import events
from clickpro.plugins.api import connect, register_blueprint, register_periodic_job
from clickpro.plugins.flows import routes, simulator  # noqa: F401  - register their routes on bp
from clickpro.plugins.flows.blueprint import bp
from clickpro.services.flows import triggers
from clickpro.tasks.schedule import PeriodicJob


def init_app(app: Flask) -> None:
    connect(app, events.message_received, triggers.on_message_received)
    # An agent's reply ends the conversation's run in progress.
    connect(app, events.message_created, triggers.on_message_created)
    register_blueprint(app, bp)
    register_periodic_job(
        app, PeriodicJob("flows.sweep", "clickpro.tasks.flows.sweep", interval_s=60)
    )
