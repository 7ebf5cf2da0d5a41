"""Attack: one tenant's Meta app signs a body that also names another tenant's number/WABA.

Client A runs its own Meta app (own app secret); client B uses the platform's app. A body
signed with A's secret is A's delivery: whatever else it names — B's number (messages,
statuses), B's WABA (template status/quality/category, phone-number quality) — lands
nothing in B. Before the fix, any secret of any number in the body verified it and every
change was routed on its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from webhook_helpers import (
    PHONE_NUMBER_ID,
    WABA_ID,
    field_payload,
    inbound,
    post,
    status,
    statuses_payload,
)

from clickpro.crypto import encrypt, last4
from clickpro.extensions import db
from clickpro.models import AIReplyRun, Contact, Message, OpenAICredential, WebhookEvent
from clickpro.models.templates import Template
from clickpro.services.webhook.ingest import clear_secret_cache, dropped_changes_since
from clickpro.services.webhook.route import clear_route_cache

A_SECRET = "segredo-do-app-da-agencia-a"
A_PNID = "200000000000011"
A_WABA = "200000000000001"
A_ACCOUNT = {
    "access_token": "token-a",
    "waba_id": A_WABA,
    "phone_number_id": A_PNID,
    "app_id": "200000000000021",
    "app_secret": A_SECRET,
}


def _count(model, **where) -> int:
    stmt = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def _tenants(create_client, create_whatsapp_credential, create_template):
    """A (own app) and B (platform app, with OpenAI and an approved template)."""
    a = create_client("Agência A")
    create_whatsapp_credential(a, A_ACCOUNT)
    b = create_client("Loja B")
    create_whatsapp_credential(b)  # PHONE_NUMBER_ID / WABA_ID, no own app secret
    db.session.add(
        OpenAICredential(
            client_id=b.id,
            api_key_enc=encrypt("sk-test-b-000000000001"),
            key_last4=last4("sk-test-b-000000000001"),
            status="VALID",
        )
    )
    db.session.commit()
    template = create_template(b, name="promo_b", meta_template_id="594425479261596")
    clear_secret_cache()
    clear_route_cache()
    return a, b, template


def _attack_body() -> dict:
    """A's own message plus, for B: an inbound, a status, template and quality updates."""
    body = inbound("5511911112222", phone_number_id=A_PNID, name="Cliente de A")
    body["entry"][0]["id"] = A_WABA
    b_message = inbound("5511987654321", phone_number_id=PHONE_NUMBER_ID, name="Vítima")
    b_status = statuses_payload([status("wamid.B-OUT-1", "read", 1732400005)])
    b_template = field_payload(
        "message_template_status_update",
        {
            "event": "REJECTED",
            "message_template_id": 594425479261596,
            "message_template_name": "promo_b",
            "message_template_language": "pt_BR",
            "reason": "ABUSIVE_CONTENT",
        },
        WABA_ID,
    )
    b_category = field_payload(
        "template_category_update",
        {
            "message_template_id": 594425479261596,
            "message_template_name": "promo_b",
            "message_template_language": "pt_BR",
            "new_category": "UTILITY",
        },
        WABA_ID,
    )
    b_quality = field_payload(
        "phone_number_quality_update",
        {"display_phone_number": "551130000000", "event": "FLAGGED", "current_limit": "TIER_50"},
        WABA_ID,
    )
    for other in (b_message, b_status, b_template, b_category, b_quality):
        body["entry"].extend(other["entry"])
    return body


def test_body_signed_by_a_lands_nothing_in_b(
    client, create_client, create_whatsapp_credential, create_template, spy
):
    a, b, template = _tenants(create_client, create_whatsapp_credential, create_template)
    received = spy("message_received")
    assert post(client, _attack_body(), secret=A_SECRET).status_code == 200

    db.session.expire_all()
    assert _count(Message, client_id=a.id) == 1  # A's own message is A's
    assert _count(Message, client_id=b.id) == 0
    assert _count(Contact, client_id=b.id) == 0
    assert _count(AIReplyRun, client_id=b.id) == 0
    assert [c["client_id"] for c in received.calls] == [a.id]  # no AI trigger for B
    template = db.session.get(Template, template.id)
    assert template.status == "APPROVED" and template.category == "MARKETING"
    from clickpro.models import WhatsAppCredential

    b_cred = db.session.scalar(sa.select(WhatsAppCredential).filter_by(client_id=b.id))
    assert b_cred.messaging_tier == "TIER_1K" and b_cred.quality_rating != "RED"
    event = db.session.scalar(sa.select(WebhookEvent))
    assert event.client_id == a.id and event.error is None
    assert event.dropped == 5  # B's message, status, template, category, quality changes
    assert dropped_changes_since(event.received_at) == 5


def test_control_the_platform_signed_body_does_reach_b(
    client, create_client, create_whatsapp_credential, create_template, spy
):
    """The same B changes signed by B's app (the platform's) are applied: the test can fail."""
    _, b, template = _tenants(create_client, create_whatsapp_credential, create_template)
    received = spy("message_received")
    body = _attack_body()
    body["entry"] = body["entry"][1:]  # only B's entries
    assert post(client, body).status_code == 200  # signed with META_APP_SECRET
    db.session.expire_all()
    assert _count(Message, client_id=b.id) == 1
    assert [c["client_id"] for c in received.calls] == [b.id]
    assert db.session.get(Template, template.id).status == "REJECTED"
    assert db.session.scalar(sa.select(WebhookEvent)).dropped == 0


def test_platform_signed_body_cannot_reach_an_own_app_client(
    client, create_client, create_whatsapp_credential, create_template
):
    a, _, _ = _tenants(create_client, create_whatsapp_credential, create_template)
    body = inbound("5511911112222", phone_number_id=A_PNID)
    assert post(client, body).status_code == 200  # the platform secret is valid...
    db.session.expire_all()
    assert _count(Message, client_id=a.id) == 0  # ...but A's number is not its app's
    assert db.session.scalar(sa.select(WebhookEvent)).dropped == 1


def test_a_secret_over_only_b_entries_is_refused(
    client, create_client, create_whatsapp_credential, create_template
):
    _, b, _ = _tenants(create_client, create_whatsapp_credential, create_template)
    body = _attack_body()
    body["entry"] = body["entry"][1:]
    assert post(client, body, secret=A_SECRET).status_code == 403
    assert _count(WebhookEvent) == 0 and _count(Message, client_id=b.id) == 0


def test_clients_sharing_one_own_app_both_receive(
    client, create_client, create_whatsapp_credential
):
    """An agency's one Meta app serving two clients: both numbers are that app's."""
    a = create_client("Agência A")
    create_whatsapp_credential(a, A_ACCOUNT)
    a2 = create_client("Agência A, loja 2")
    create_whatsapp_credential(
        a2, {**A_ACCOUNT, "phone_number_id": "200000000000012", "access_token": "token-a2"}
    )
    clear_secret_cache()
    clear_route_cache()
    body = inbound("5511911112222", phone_number_id=A_PNID)
    body["entry"].extend(inbound("5511933334444", phone_number_id="200000000000012")["entry"])
    assert post(client, body, secret=A_SECRET).status_code == 200
    db.session.expire_all()
    assert _count(Message, client_id=a.id) == 1 and _count(Message, client_id=a2.id) == 1
    assert db.session.scalar(sa.select(WebhookEvent)).dropped == 0
