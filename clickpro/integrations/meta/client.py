"""The Graph client assembled from its parts, and the app-configured factory."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import httpx
from flask import Flask, current_app

from clickpro.integrations.http import app_pooled_client
from clickpro.integrations.meta.lean_http import LeanHTTP
from clickpro.integrations.meta.media import MediaAPI
from clickpro.integrations.meta.messages import MessagesAPI
from clickpro.integrations.meta.templates import TemplatesAPI

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
_EXTENSION_KEY = "clickpro.meta_http"
_LEAN_KEY = "clickpro.meta_lean_http"
_create_lock = threading.Lock()


class GraphClient(MessagesAPI, MediaAPI, TemplatesAPI):
    """A thin, typed client for the Graph endpoints ClickPro uses.

    Cheap to create (one per credential and task); the pooled ``http`` client is shared.
    """

    def list_phone_numbers(self, waba_id: str) -> list[dict]:
        return list(self._paginate(f"{waba_id}/phone_numbers", {}))


def shared_http_client(app: Flask | None = None) -> httpx.Client:
    """The app's pooled client for Meta, created on first use (never at import)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]

    def options() -> dict[str, Any]:
        timeout = float(app.config["META_HTTP_TIMEOUT"])
        return {
            # ~1000 req/s at ~100-200 ms latency needs ~100-200 connections in flight.
            "limits": httpx.Limits(
                max_connections=200, max_keepalive_connections=200, keepalive_expiry=30.0
            ),
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            "headers": {"User-Agent": "ClickPro/1.0"},
        }

    return app_pooled_client(app, _EXTENSION_KEY, _create_lock, "META_HTTP_TRANSPORT", options)


def shared_lean_client(app: Flask | None = None) -> LeanHTTP | None:
    """The app's lean pooled client for JSON POSTs (sends), or None when the app injects an
    httpx transport (tests, the embedded sandbox): then every request goes through it."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["META_HTTP_TRANSPORT"] is not None:
        return None
    lean = app.extensions.get(_LEAN_KEY)
    if lean is None:
        with _create_lock:
            lean = app.extensions.get(_LEAN_KEY)
            if lean is None:
                timeout = float(app.config["META_HTTP_TIMEOUT"])
                lean = LeanHTTP(
                    max_connections=200,
                    keepalive_expiry=30.0,
                    connect_timeout=min(timeout, 5.0),
                    headers={"User-Agent": "ClickPro/1.0"},
                    ssl_context=_ssl_context,
                )
                app.extensions[_LEAN_KEY] = lean
    return lean


def _ssl_context() -> ssl.SSLContext:
    """Verified TLS with the same CA bundle httpx uses (certifi when installed)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def graph_client(access_token: str, app: Flask | None = None) -> GraphClient:
    """A :class:`GraphClient` configured from the app's settings."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    client = GraphClient(
        access_token,
        base_url=app.config["META_GRAPH_URL"] or DEFAULT_GRAPH_URL,
        api_version=app.config["META_API_VERSION"] or DEFAULT_API_VERSION,
        http=shared_http_client(app),
        timeout=float(app.config["META_HTTP_TIMEOUT"]),
        lean=shared_lean_client(app),
    )
    client.max_media_bytes = int(app.config["META_MEDIA_MAX_BYTES"])
    return client
