"""Fixtures of the webhook tests: a tenant owning the sandbox's phone number, signal spies."""

from __future__ import annotations

import pytest

from clickpro import events


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
