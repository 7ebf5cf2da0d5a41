"""QA of issue #16 (h9): reproductions of defects found walking the feature end to end.

Each test names the defect it reproduces (QA16-Dn in the QA report). They are expected to
FAIL until the defect is fixed; none of them encodes current behaviour.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, Conversation

PNID_1, WABA_1 = "100000000000011", "100000000000001"
APP_SECRET = "test-app-secret"
_seq = itertools.count(1)


def _post(client, value: dict, *, waba_id: str = WABA_1) -> None:
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def _bsuid_only_message(bsuid: str, *, pnid: str = PNID_1, text: str = "oi") -> dict[str, Any]:
    """A username user's text: user_id / from_user_id, no wa_id / from."""
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000", "phone_number_id": pnid},
        "contacts": [{"user_id": bsuid, "profile": {"name": "Cliente", "username": "qa16"}}],
        "messages": [
            {
                "from_user_id": bsuid,
                "id": f"wamid.QA16T{next(_seq):06d}",
                "timestamp": str(int(time.time())),  # inside the 24 h window
                "type": "text",
                "text": {"body": text},
            }
        ],
    }


def _contacts(tenant) -> list[Contact]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Contact).where(Contact.client_id == tenant.id).order_by(Contact.id)
        )
    )


# QA16-D3: a reply from the inbox to a contact whose stored BSUID is not valid raises
# ValueError("'recipient' must be a BSUID") in integrations/meta/messages.check_addressing,
# uncaught: the inbox answers 500 "internal error" (and the AI job crashes, leaving its
# message QUEUED and its run SENDING).
def test_d3_inbox_reply_to_a_contact_with_an_unusable_bsuid_is_not_a_500(
    app, client, sandbox, create_client, create_whatsapp_credential, login_as
):
    tenant = create_client("QA16 D3")
    create_whatsapp_credential(tenant)
    _post(client, _bsuid_only_message("not-a-bsuid"))
    db.session.expire_all()
    conversation = db.session.scalars(
        sa.select(Conversation).where(Conversation.client_id == tenant.id)
    ).first()
    if conversation is None:  # D1 fixed: the message was counted malformed, nothing to answer
        return
    web = login_as(tenant.admin, tenant)
    response = web.post(
        f"/inbox/api/conversations/{conversation.id}/messages", json={"body": "Olá"}
    )
    assert response.status_code < 500, response.get_data(as_text=True)


# QA16-D6: POST /api/v1/messages with a template of WABA 2 and no phone_number_id is sent
# from the first number (WABA 1): no check before the call, Meta answers 132001 and the
# API returns 201 with a FAILED message in the customer's thread. Campaigns refuse another
# WABA's template before sending; the single send should too (422), or send from a number
# of the template's WABA.
def test_d6_api_template_of_another_waba_is_refused_before_sending(
    app, sandbox, create_client, create_whatsapp_credential, create_template
):
    from clickpro.services.api import tokens as api_tokens

    tenant = create_client("QA16 D6")
    create_whatsapp_credential(tenant)
    other = sandbox.create_account(access_token="qa16-d6-token")
    create_whatsapp_credential(tenant, other.public(), display_name="Suporte")
    body, status = sandbox.templates.create(
        other,
        {"name": "aviso", "language": "pt_BR", "category": "UTILITY",
         "components": [{"type": "BODY", "text": "Oi!"}]},
    )  # fmt: skip
    assert status == 200, body
    sandbox.templates.set_status(body["id"], "APPROVED")
    template = create_template(
        tenant, name="aviso", category="UTILITY", components=[{"type": "BODY", "text": "Oi!"}],
        meta_template_id=body["id"], waba_id=other.waba_id,
    )  # fmt: skip
    _row, raw = api_tokens.create_token(tenant.id, "qa16")
    response = app.test_client().post(
        "/api/v1/messages",
        json={"phone": "+5511987650001", "template_id": template.id},
        headers={"Authorization": f"Bearer {raw}"},
    )
    out = response.get_json()
    if response.status_code == 201:  # acceptable only if it went out from the template's WABA
        assert out["phone_number_id"] == other.phone_number_id, out
        assert out["status"] != "FAILED", out
    else:
        assert response.status_code == 422, out
