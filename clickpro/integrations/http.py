"""Shared helpers for the integrations' pooled httpx clients."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from flask import Flask


def app_pooled_client(
    app: Flask,
    key: str,
    lock: threading.Lock,
    transport_setting: str,
    options: Callable[[], dict[str, Any]],
) -> httpx.Client:
    """The pooled client stored at ``app.extensions[key]``, created on first use.

    Creation is double-checked under ``lock``; ``options()`` gives the client's keyword
    arguments, and the ``transport_setting`` config value (tests), when set, its transport.
    """
    client = app.extensions.get(key)
    if client is not None:
        return client
    with lock:
        client = app.extensions.get(key)
        if client is None:
            kwargs = options()
            transport = app.config[transport_setting]
            if transport is not None:
                kwargs["transport"] = transport
            client = httpx.Client(**kwargs)
            app.extensions[key] = client
    return client
