"""Opt-out tests reuse the webhook payload helpers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webhook"))

import pytest  # noqa: E402
from optout_helpers import SANDBOX_ACCOUNT  # noqa: E402


@pytest.fixture
def shop(create_client, create_whatsapp_credential):
    """A client on its own Meta app (the sandbox account with its app secret)."""
    tenant = create_client("Loja Opt-out")
    create_whatsapp_credential(tenant, SANDBOX_ACCOUNT)
    return tenant


class Sent(list):
    """(client_id, contact_id, body, author) per confirmation; ``numbers``: the number
    (conversation.number_id) each went out from."""

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[int] = []


@pytest.fixture
def confirmations(monkeypatch):
    """Record the confirmation texts instead of sending them."""
    sent = Sent()

    def fake_send_text(conversation, body, *, author, **kwargs):
        sent.append((conversation.client_id, conversation.contact_id, body, author))
        sent.numbers.append(conversation.number_id)

    import clickpro.services.messaging.outbound as outbound

    monkeypatch.setattr(outbound, "send_text", fake_send_text)
    return sent
