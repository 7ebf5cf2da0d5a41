"""Core signal receivers, connected explicitly when the app is created.

One list, so a reader sees who reacts to which domain event (plugins add their own
receivers in their ``init_app``).
"""

from __future__ import annotations

from flask import Flask

# (signal, "module:function") pairs; imported lazily so features stay decoupled.
CORE_RECEIVERS: tuple[tuple[str, str], ...] = ()


def connect_receivers(app: Flask) -> None:
    import importlib

    from clickpro import events

    for signal_name, target in CORE_RECEIVERS:
        module_name, func_name = target.split(":")
        receiver = getattr(importlib.import_module(module_name), func_name)
        getattr(events, signal_name).connect(receiver, weak=False)
