"""Webhooks of a client with several numbers: each number is routed by its own app
secret / verify token, and a removed (archived) number is nobody's."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from webhook_helpers import inbound, post

from clickpro.extensions import db
from clickpro.models import Message, WebhookEvent
from clickpro.services.credentials import archive_number, update_number
from clickpro.services.webhook.ingest import clear_secret_cache
from clickpro.services.webhook.route import clear_route_cache

OWN_SECRET = "segredo-do-app-do-numero-dois"
OWN_VERIFY = "verifica-numero-dois"
PNID_2 = "300000000000011"
NUMBER_2 = {"access_token": "token-numero-dois", "waba_id": "300000000000001",
            "phone_number_id": PNID_2, "app_secret": OWN_SECRET}  # fmt: skip


@pytest.fixture
def shop(create_client, create_whatsapp_credential):
    """Number 1 on the platform's app (PHONE_NUMBER_ID), number 2 on the client's own app."""
    tenant = create_client("Loja Dois Apps")
    first = create_whatsapp_credential(tenant, display_name="Vendas")
    second = create_whatsapp_credential(tenant, NUMBER_2, display_name="Suporte")
    update_number(tenant, second.id, {"verify_token": OWN_VERIFY})
    clear_secret_cache()
    clear_route_cache()
    return tenant, first, second


def _last_event() -> WebhookEvent:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()


def _messages(tenant) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Message.id)).where(Message.client_id == tenant.id)
    )


def _verify(client, token: str):
    return client.get(
        "/webhook",
        query_string={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"},
    )


def test_each_number_is_routed_by_its_own_app(client, shop):
    tenant, _first, _second = shop
    assert post(client, inbound("5511911110001")).status_code == 200  # platform's app
    assert _last_event().client_id == tenant.id
    assert post(client, inbound("5511911110002", phone_number_id=PNID_2),
                secret=OWN_SECRET).status_code == 200  # fmt: skip
    assert _last_event().client_id == tenant.id
    assert _messages(tenant) == 2
    # Number 2's message signed by the platform's app is dropped (another app's number).
    post(client, inbound("5511911110003", phone_number_id=PNID_2))
    assert _messages(tenant) == 2
    assert _verify(client, OWN_VERIFY).get_data(as_text=True) == "42"


def test_an_archived_number_is_not_routed(client, shop):
    tenant, first, second = shop
    post(client, inbound("5511911110001"))  # routed: and its owner is now in the cache
    post(client, inbound("5511911110002", phone_number_id=PNID_2), secret=OWN_SECRET)
    assert _messages(tenant) == 2

    archive_number(tenant, first.id)
    assert post(client, inbound("5511911110004")).status_code == 200
    event = _last_event()
    assert event.routed is False and event.client_id is None  # unrouted, like today
    assert event.error is None and event.processed_at is not None
    assert _messages(tenant) == 2

    archive_number(tenant, second.id)
    # Its secret is gone: a delivery signed with it is refused before anything is stored.
    stored = db.session.scalar(sa.select(sa.func.count(WebhookEvent.id)))
    body = inbound("5511911110005", phone_number_id=PNID_2)
    assert post(client, body, secret=OWN_SECRET).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == stored
    # Signed by the platform: stored and unrouted.
    assert post(client, body).status_code == 200
    assert _last_event().routed is False
    assert _messages(tenant) == 2
    assert _verify(client, OWN_VERIFY).status_code == 403
