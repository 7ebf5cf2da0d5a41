"""Fixtures of the outbound tests: a client wired to the sandbox and a contact in window."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from clickpro.models.base import utcnow

PNID = "100000000000011"


class TimeoutOnSend(httpx.BaseTransport):
    """The sandbox, except that POST …/messages times out (outcome unknown)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sends = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.sends += 1
            raise httpx.ReadTimeout("simulated timeout", request=request)
        return self.inner.handle_request(request)


class Spy(httpx.BaseTransport):
    """The sandbox, calling ``on_send(request)`` just before each POST …/messages."""

    def __init__(self, inner: httpx.BaseTransport, on_send) -> None:
        self.inner = inner
        self.on_send = on_send

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/messages"):
            self.on_send(request)
        return self.inner.handle_request(request)


@pytest.fixture
def wire_transport(app, sandbox):
    """Replace the Meta transport by ``factory(sandbox_transport)``."""

    def _wire(factory):
        transport = factory(app.config["META_HTTP_TRANSPORT"])
        app.config["META_HTTP_TRANSPORT"] = transport
        app.extensions.pop("clickpro.meta_http", None)
        return transport

    return _wire


@pytest.fixture
def shop(
    app, sandbox, create_client, create_whatsapp_credential, create_contact, create_conversation
):
    """A client with valid sandbox credentials and a contact who wrote 1 hour ago."""

    class Shop:
        pass

    shop = Shop()
    shop.tenant = create_client("Loja Envio")
    shop.credential = create_whatsapp_credential(shop.tenant)
    shop.contact = create_contact(shop.tenant, "+5511987654321", "Maria Souza")
    # Her conversation on the shop's number: she wrote to it 1 hour ago (window open).
    shop.conversation = create_conversation(
        shop.tenant, shop.contact, shop.credential, last_inbound_at=utcnow() - timedelta(hours=1)
    )
    shop.sandbox = sandbox
    return shop


@pytest.fixture
def timeout_on_send(wire_transport):
    """From now on every send times out (the sandbox never sees it)."""
    return wire_transport(TimeoutOnSend)


@pytest.fixture
def spy_sends(wire_transport):
    """Call with ``on_send(request)``: run just before each send reaches the sandbox."""
    return lambda on_send: wire_transport(lambda inner: Spy(inner, on_send))


class AfterSend(httpx.BaseTransport):
    """The sandbox, calling ``after(response_json)`` when a send returns (before we see it)."""

    def __init__(self, inner: httpx.BaseTransport, after) -> None:
        self.inner = inner
        self.after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/messages"):
            response.read()
            self.after(response.json())
        return response


@pytest.fixture
def after_sends(wire_transport):
    """Call with ``after(body)``: run when the sandbox answered a send, before our code."""
    return lambda after: wire_transport(lambda inner: AfterSend(inner, after))
