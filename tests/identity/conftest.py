"""Fixtures of the identity tests: a client owning the test number, signal spies."""

from __future__ import annotations

import pytest

from clickpro import events


@pytest.fixture
def shop(create_client, create_whatsapp_credential):
    """A client whose first number is the sandbox's default (PHONE_NUMBER_ID / WABA_ID)."""
    tenant = create_client("Loja Identidade")
    tenant.credential = create_whatsapp_credential(tenant)
    return tenant


@pytest.fixture
def received(app):
    """The ``message_received`` calls (kwargs) during the test."""
    calls: list[dict] = []

    def _record(sender, **kwargs):
        calls.append(kwargs)

    events.message_received.connect(_record, weak=False)
    yield calls
    events.message_received.disconnect(_record)
