"""Plugin loading: one door (CTFd's ``init_plugins``), after the core is set up.

A plugin is a module in ``clickpro.plugins`` or an entry point of the ``clickpro.plugins``
group, exposing ``init_app(app)``. ``PLUGINS`` in the config lists the enabled ones.
Plugins use only ``clickpro.plugins.api``.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points

from flask import Flask

log = logging.getLogger(__name__)


def _load_module(name: str):
    for ep in entry_points(group="clickpro.plugins"):
        if ep.name == name:
            return ep.load()
    return importlib.import_module(f"clickpro.plugins.{name}")


def init_plugins(app: Flask) -> None:
    loaded = []
    for name in app.config["PLUGINS"]:
        try:
            module = _load_module(name)
        except ModuleNotFoundError:
            log.error("plugin %r is enabled in PLUGINS but not installed; skipped", name)
            continue
        module.init_app(app)
        loaded.append(name)
    app.extensions["clickpro.plugins"] = tuple(loaded)
