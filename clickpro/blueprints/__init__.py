"""Every URL area of the app, in one literal list (CTFd style)."""

from __future__ import annotations

import importlib

from flask import Flask

BLUEPRINTS = (
    "clickpro.blueprints.auth",
    "clickpro.blueprints.auth.two_factor",
    "clickpro.blueprints.audit",
    "clickpro.blueprints.account",
    "clickpro.blueprints.dev",
    "clickpro.blueprints.dashboard",
    "clickpro.blueprints.health",
    "clickpro.blueprints.metrics",
    "clickpro.blueprints.members",
    "clickpro.blueprints.notifications",
    "clickpro.blueprints.credentials",
    "clickpro.blueprints.webhook",
    "clickpro.blueprints.templates",
    "clickpro.blueprints.contacts",
    "clickpro.blueprints.campaigns",
    "clickpro.blueprints.inbox",
    "clickpro.blueprints.media",
    "clickpro.blueprints.costs",
    "clickpro.blueprints.reports",
    "clickpro.blueprints.api",
    "clickpro.blueprints.hours",
    "clickpro.blueprints.teams",
    "clickpro.blueprints.ai_tools",
    "clickpro.blueprints.knowledge",
    "clickpro.blueprints.ai_playground",
)


def register_blueprints(app: Flask) -> None:
    from clickpro.params import BoundedIntConverter

    # ``<int:id>`` routes match only ids the database can hold: a 20-digit id is a 404,
    # never an OverflowError (500) when it reaches ``db.session.get``.
    app.url_map.converters["int"] = BoundedIntConverter
    for path in BLUEPRINTS:
        module = importlib.import_module(path)
        app.register_blueprint(module.bp)
