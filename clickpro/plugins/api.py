"""The small surface a plugin may use: blueprints, signal receivers, periodic jobs, admin views."""

from __future__ import annotations

from collections.abc import Callable

from blinker import Signal
from flask import Blueprint, Flask

from clickpro.tasks.schedule import PeriodicJob, add_periodic_job

__all__ = [
    "PeriodicJob",
    "connect",
    "register_admin_view",
    "register_blueprint",
    "register_periodic_job",
]


def register_blueprint(app: Flask, blueprint: Blueprint, **options) -> None:
    app.register_blueprint(blueprint, **options)


def connect(app: Flask, signal: Signal, receiver: Callable) -> None:
    """Connect ``receiver`` to ``signal`` as sent by ``app`` only (see ``clickpro.events``).

    Strong reference (module functions; connecting twice is a no-op). Another app in the
    same process, say one built with ``PLUGINS=()``, never runs this receiver.
    """
    signal.connect(receiver, sender=app, weak=False)


def register_periodic_job(app: Flask, job: PeriodicJob) -> None:
    add_periodic_job(app, job)


def register_admin_view(app: Flask, view) -> None:
    admin = app.extensions.get("clickpro.admin")
    if admin is not None:
        admin.add_view(view)
