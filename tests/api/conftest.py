"""Fixtures of the REST API tests: tokens and a small JSON client that sends them."""

from __future__ import annotations

import pytest
from api_helpers import Api

from clickpro.services.api import tokens as api_tokens


@pytest.fixture
def make_token(app):
    def _make(tenant, name: str = "integração") -> str:
        _row, raw = api_tokens.create_token(tenant.id, name)
        return raw

    return _make


@pytest.fixture
def api_for(app, make_token):
    """``api_for(tenant)`` → an :class:`Api` with a fresh token of that tenant."""

    def _api(tenant) -> Api:
        return Api(app.test_client(), make_token(tenant))

    return _api


@pytest.fixture
def tenant(create_client):
    return create_client("Loja API")


@pytest.fixture
def api(api_for, tenant) -> Api:
    return api_for(tenant)


BODY_ONLY = [
    {"type": "BODY", "text": "Olá {{1}}, seu cupom é {{2}}.",
     "example": {"body_text": [["Maria", "X1"]]}},
]  # fmt: skip


@pytest.fixture
def wired(app, sandbox, tenant, create_whatsapp_credential, create_template):
    """``tenant`` with a sandbox WhatsApp credential and a template approved on both sides."""
    create_whatsapp_credential(tenant)
    account = sandbox.account_for_number("100000000000011")
    body, status = sandbox.templates.create(
        account,
        {"name": "cupom", "language": "pt_BR", "category": "MARKETING", "components": BODY_ONLY},
    )
    assert status == 200
    sandbox.templates.set_status(body["id"], "APPROVED")
    template = create_template(
        tenant, name="cupom", components=BODY_ONLY, meta_template_id=body["id"]
    )

    class Wired:
        pass

    w = Wired()
    w.tenant, w.sandbox, w.template = tenant, sandbox, template
    return w
