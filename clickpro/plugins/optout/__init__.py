"""Opt-out plugin: stop keywords and "Parar promoções" quick replies opt a contact out.

It only connects: the rules (keywords, the confirmation job, Meta's 131050) live in
:mod:`clickpro.services.contacts.optout_rules`. Listens to ``message_received`` and
``message_status_changed`` of this app only (the webhook does not know this plugin
exists; an app built with ``PLUGINS=()`` has no opt-out by keyword).
"""

from __future__ import annotations

from flask import Flask

from clickpro import events
from clickpro.plugins.api import connect
from clickpro.services.contacts import optout_rules


def init_app(app: Flask) -> None:
    connect(app, events.message_received, optout_rules.on_message_received)
    connect(app, events.message_status_changed, optout_rules.on_message_status_changed)
