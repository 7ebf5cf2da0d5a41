"""A single API send of a template goes out from a number of the template's WABA
(QA16-D6: it went out from the client's first number, Meta answered 132001, API said 201)."""

from __future__ import annotations

import pytest

from clickpro.services.api import tokens as api_tokens
from clickpro.services.conversations import first_number


@pytest.fixture
def two_wabas(app, sandbox, create_client, create_whatsapp_credential, create_template):
    tenant = create_client("Template WABA API")
    create_whatsapp_credential(tenant)
    other = sandbox.create_account(access_token="api-waba2-token")
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
    _row, raw = api_tokens.create_token(tenant.id, "waba")
    return tenant, other, template, {"Authorization": f"Bearer {raw}"}


def test_without_a_number_the_template_goes_from_its_wabas_number(app, two_wabas):
    _tenant, other, template, headers = two_wabas
    response = app.test_client().post(
        "/api/v1/messages", json={"phone": "+5511987650001", "template_id": template.id},
        headers=headers,
    )  # fmt: skip
    out = response.get_json()
    assert response.status_code == 201, out
    assert out["phone_number_id"] == other.phone_number_id, out
    assert out["status"] != "FAILED", out


def test_a_number_of_another_waba_is_refused_before_sending(app, sandbox, two_wabas):
    tenant, _other, template, headers = two_wabas
    sent_before = len(sandbox.sends)
    response = app.test_client().post(
        "/api/v1/messages",
        json={"phone": "+5511987650002", "template_id": template.id,
              "phone_number_id": first_number(tenant.id).phone_number_id},
        headers=headers,
    )  # fmt: skip
    out = response.get_json()
    assert response.status_code == 422, out
    assert "é de outra conta do WhatsApp (WABA)" in out["error"]["message"]
    assert "template_id" in out["error"]["details"]
    assert len(sandbox.sends) == sent_before
