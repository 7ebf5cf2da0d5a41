"""Fixtures of the credentials tests: transports that fail, a logged-in admin."""

from __future__ import annotations

import httpx
import pytest

from clickpro.integrations.meta import GraphClient

WA_DATA = {
    "access_token": "sandbox-token",
    "waba_id": "100000000000001",
    "phone_number_id": "100000000000011",
    "app_id": "100000000000021",
}


class RaisingTransport(httpx.BaseTransport):
    """Every request fails with ``exc`` (a timeout or a refused connection)."""

    def __init__(self, exc: type[httpx.TransportError]) -> None:
        self.exc = exc
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        raise self.exc("simulated", request=request)


@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(GraphClient, "retry_backoff_s", 0)


@pytest.fixture
def break_meta(app, sandbox, no_backoff):
    """Call it to make Meta unreachable from then on (every Graph call raises ``exc``)."""

    def _break(exc: type[httpx.TransportError] = httpx.ConnectError) -> RaisingTransport:
        transport = RaisingTransport(exc)
        app.config["META_HTTP_TRANSPORT"] = transport
        app.extensions.pop("clickpro.meta_http", None)
        return transport

    return _break


@pytest.fixture
def meta_down(break_meta):
    """Meta unreachable: every Graph call raises ConnectError."""
    return break_meta()


@pytest.fixture
def openai_down(app, sandbox):
    """OpenAI unreachable: every call times out."""
    transport = RaisingTransport(httpx.ConnectTimeout)
    app.config["OPENAI_HTTP_TRANSPORT"] = transport
    app.extensions.pop("clickpro.openai_http", None)
    return transport


@pytest.fixture
def wa_data():
    return dict(WA_DATA)


@pytest.fixture
def ai_data():
    return {
        "api_key": "sk-test-abcdef123456WXYZ",
        "model": "gpt-4.1-mini",
        "instructions": "Você é a atendente da Loja Teste.",
        "temperature": "0,5",
        "context_messages": "8",
        "max_output_tokens": "300",
        "handoff_keywords": "atendente, falar com alguém",
        "fallback_text": "Já te respondemos!",
        "ai_enabled": True,
        "hours_mode": "always",
        "non_text_policy": "handoff",
    }
