"""Fixtures of the webhook tests: a tenant owning the sandbox's phone number, signal spies,
the group-committed ack path and the order of live ``message:new`` emits."""

from __future__ import annotations

import pytest

from clickpro import events
from clickpro.extensions import db
from clickpro.services.inbox import events as inbox_events
from clickpro.services.webhook import ingest


@pytest.fixture
def shop(create_client, create_whatsapp_credential):
    """A client whose WhatsApp credential owns PHONE_NUMBER_ID / WABA_ID."""
    tenant = create_client("Loja Webhook")
    tenant.credential = create_whatsapp_credential(tenant)
    return tenant


class SignalSpy:
    def __init__(self, signal):
        self.signal = signal
        self.calls: list[dict] = []
        signal.connect(self._record, weak=False)

    def _record(self, sender, **kwargs):
        self.calls.append(kwargs)

    def close(self):
        self.signal.disconnect(self._record)


@pytest.fixture
def spy():
    spies: list[SignalSpy] = []

    def _spy(name: str) -> SignalSpy:
        s = SignalSpy(getattr(events, name))
        spies.append(s)
        return s

    yield _spy
    for s in spies:
        s.close()


@pytest.fixture
def queued(app, shop):
    """The production ack path: a worker queue (not inline), so acks are group-committed."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("group commit is the PostgreSQL ack path")
    app.config.update(EMBEDDED=False, RQ_ASYNC=True)
    app.extensions.pop("clickpro.webhook_committer", None)
    assert ingest.groups_commits()
    yield app
    app.extensions.pop("clickpro.webhook_committer", None)


@pytest.fixture
def emit_order(monkeypatch) -> list[tuple[str, int]]:
    """A list that records ``("message:new", message id)`` for each inbox emit, in order
    (the emit still happens); tests append their receivers' calls to the same list."""
    order: list[tuple[str, int]] = []
    real_publish = inbox_events.publish_message

    def publish(client_id, message_id):
        order.append(("message:new", message_id))
        real_publish(client_id, message_id)

    monkeypatch.setattr(inbox_events, "publish_message", publish)
    return order
