"""A BSUID works only inside its business portfolio (reference §1 "Format and scope"):
every send addresses a username user with the BSUID of the SENDING number's WABA, and a
contact known only on another portfolio is refused before anything is sent (QA16 D4, D5).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Conversation, Message
from clickpro.services.contacts.display import contact_label
from clickpro.services.contacts.identity import bsuid_for
from clickpro.services.messaging.addressing import NoAddress, OtherPortfolio, recipient_for

PNID_1, WABA_1 = "100000000000011", "100000000000001"
APP_SECRET = "test-app-secret"
BSUID = "BR.1502576394655843"
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


def _username_message(bsuid: str, *, pnid: str = PNID_1, text: str = "oi") -> dict[str, Any]:
    """A username user's text: user_id / from_user_id, no wa_id / from (no username)."""
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000", "phone_number_id": pnid},
        "contacts": [{"user_id": bsuid, "profile": {"name": "Cliente"}}],
        "messages": [
            {
                "from_user_id": bsuid,
                "id": f"wamid.H11P{next(_seq):06d}",
                "timestamp": str(int(time.time())),  # inside the 24 h window
                "type": "text",
                "text": {"body": text},
            }
        ],
    }


@pytest.fixture
def two_wabas(sandbox, create_client, create_whatsapp_credential):
    tenant = create_client("Portfólios")
    first = create_whatsapp_credential(tenant)
    other = sandbox.create_account(access_token="h11-portfolio-token")
    second = create_whatsapp_credential(tenant, other.public(), display_name="Suporte")
    tenant.numbers = (first, second)
    tenant.other = other
    return tenant


def _contacts(tenant) -> list[Contact]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Contact).where(Contact.client_id == tenant.id).order_by(Contact.id)
        )
    )


def _approved_template_on(sandbox, account, create_template, tenant):
    body, status = sandbox.templates.create(
        account,
        {"name": "aviso", "language": "pt_BR", "category": "UTILITY",
         "components": [{"type": "BODY", "text": "Oi!"}]},
    )  # fmt: skip
    assert status == 200, body
    sandbox.templates.set_status(body["id"], "APPROVED")
    return create_template(
        tenant, name="aviso", category="UTILITY", components=[{"type": "BODY", "text": "Oi!"}],
        meta_template_id=body["id"], waba_id=account.waba_id,
    )  # fmt: skip


def test_username_user_on_a_second_waba_is_answered_with_that_portfolios_bsuid(
    app, client, sandbox, two_wabas, login_as
):
    other = two_wabas.other
    _post(client, _username_message(BSUID, text="na loja"))
    _post(
        client,
        _username_message(BSUID, pnid=other.phone_number_id, text="no suporte"),
        waba_id=other.waba_id,
    )
    first, second = _contacts(two_wabas)  # per portfolio: two contacts (never merged)
    assert (first.bsuid, second.bsuid, second.phone_e164) == (BSUID, None, None)
    conversation = db.session.scalars(
        sa.select(Conversation).where(Conversation.contact_id == second.id)
    ).one()
    web = login_as(two_wabas.admin, two_wabas)
    response = web.post(
        f"/inbox/api/conversations/{conversation.id}/messages", json={"body": "Oi!"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    wire = sandbox.sends[-1]
    assert wire["phone_number_id"] == other.phone_number_id
    assert wire["recipient"] == BSUID and wire["to"] is None


def test_the_second_portfolios_contact_shows_its_bsuid_in_the_api_and_label(app, client, two_wabas):
    from clickpro.schemas.contacts import contact_shape, contact_shapes

    other = two_wabas.other
    _post(client, _username_message(BSUID))
    _post(client, _username_message(BSUID, pnid=other.phone_number_id), waba_id=other.waba_id)
    first, second = _contacts(two_wabas)
    out = contact_shape(second)
    assert out.phone is None and out.bsuid == BSUID  # "phone or bsuid is set" holds
    assert out.label == "Usuário do WhatsApp · 655843"
    assert [s.bsuid for s in contact_shapes([first, second])] == [BSUID, BSUID]
    assert contact_label(second) == "Usuário do WhatsApp · 655843"


def test_api_send_from_another_portfolios_number_is_refused_before_sending(
    app, client, sandbox, two_wabas, create_template
):
    from clickpro.services.api import tokens as api_tokens

    other = two_wabas.other
    _post(client, _username_message(BSUID, text="na loja"))  # known on WABA 1 only
    template = _approved_template_on(sandbox, other, create_template, two_wabas)
    _row, raw = api_tokens.create_token(two_wabas.id, "h11")
    before = len(sandbox.sends)
    response = app.test_client().post(
        "/api/v1/messages",
        json={"bsuid": BSUID, "template_id": template.id, "phone_number_id": other.phone_number_id},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "bsuid_other_portfolio"
    assert "outro portfólio" in error["message"]
    assert sandbox.sends[before:] == []
    stored = db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.client_id == two_wabas.id)
    )
    assert stored == 1  # the customer's message only: nothing queued for the refused send


def test_bsuid_for_rules(app, client, two_wabas):
    """Own portfolio's identity; an imported (unscoped) BSUID from any number; another
    portfolio's never; the parent BSUID across portfolios."""
    other = two_wabas.other
    _post(client, _username_message(BSUID))
    (known,) = _contacts(two_wabas)
    assert bsuid_for(two_wabas.id, known.id, WABA_1) == BSUID
    assert bsuid_for(two_wabas.id, known.id, other.waba_id) is None
    with pytest.raises(OtherPortfolio):
        recipient_for(two_wabas.id, known, other.waba_id)

    imported = Contact(client_id=two_wabas.id, bsuid="BR.424242", name="Importado")
    parent = Contact(client_id=two_wabas.id, bsuid="BR.515151", parent_bsuid="BR.ENT.99")
    nobody = Contact(client_id=two_wabas.id, name="Sem nada", phone_e164=None)
    db.session.add_all([imported, parent, nobody])
    db.session.flush()
    db.session.add(
        ContactIdentity(client_id=two_wabas.id, contact_id=parent.id, kind="bsuid",
                        waba_id=WABA_1, value="BR.515151")
    )  # fmt: skip
    db.session.commit()
    assert recipient_for(two_wabas.id, imported, other.waba_id).bsuid == "BR.424242"
    assert bsuid_for(two_wabas.id, parent.id, other.waba_id) == "BR.ENT.99"
    with pytest.raises(NoAddress) as refused:
        recipient_for(two_wabas.id, nobody, WABA_1)
    assert not isinstance(refused.value, OtherPortfolio)
    phone = Contact(client_id=two_wabas.id, phone_e164="+5511987650001", bsuid="BR.1")
    assert recipient_for(two_wabas.id, phone, other.waba_id).phone == "5511987650001"


def test_sair_on_the_second_portfolio_opts_out_and_confirms_from_that_number(
    app, client, sandbox, two_wabas
):
    from clickpro.services.contacts import optout

    other = two_wabas.other
    _post(client, _username_message(BSUID))
    before = len(sandbox.sends)
    _post(
        client,
        _username_message(BSUID, pnid=other.phone_number_id, text="SAIR"),
        waba_id=other.waba_id,
    )
    assert optout.is_opted_out(two_wabas.id, None, bsuid=BSUID)
    confirmations = [s for s in sandbox.sends[before:] if s["recipient"] == BSUID]
    assert [s["phone_number_id"] for s in confirmations] == [other.phone_number_id]
