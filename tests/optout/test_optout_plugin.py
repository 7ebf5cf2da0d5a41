"""The opt-out plugin reacting to inbound webhooks: keywords, quick replies, confirmations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from optout_helpers import PHONE, SANDBOX_ACCOUNT
from webhook_helpers import inbound, post

from clickpro.extensions import db
from clickpro.models import Message, OptOut
from clickpro.services.contacts import optout, optout_rules


def _text(body: str) -> dict:
    return {"type": "text", "text": {"body": body}}


@pytest.mark.parametrize("word", ["SAIR", "sair ", "Sáir", "parar promoções"])
def test_stop_keyword_opts_out_and_confirms_once(client, shop, confirmations, word):
    assert (
        post(client, inbound("5511987654321", _text(word)), secret="sandbox-app-secret").status_code
        == 200
    )
    assert optout.is_opted_out(shop.id, PHONE)
    row = db.session.scalar(sa.select(OptOut))
    assert row.source == "keyword"
    assert len(confirmations) == 1
    assert confirmations[0][2] == optout_rules.STOP_CONFIRMATION and confirmations[0][3] == "SYSTEM"
    post(client, inbound("5511987654321", _text("SAIR")), secret="sandbox-app-secret")
    assert len(confirmations) == 1  # a second SAIR confirms nothing


def test_quick_reply_stop_promotions(client, shop, confirmations):
    reply = {"type": "button", "button": {"payload": "STOP_PROMOS", "text": "Parar promoções"}}
    post(client, inbound("551187654321", reply), secret="sandbox-app-secret")
    assert optout.is_opted_out(shop.id, PHONE)
    assert len(confirmations) == 1


def test_resubscribe_removes_and_confirms(client, shop, confirmations):
    post(client, inbound("5511987654321", _text("SAIR")), secret="sandbox-app-secret")
    post(client, inbound("5511987654321", _text("VOLTAR")), secret="sandbox-app-secret")
    assert not optout.is_opted_out(shop.id, PHONE)
    assert [c[2] for c in confirmations] == [
        optout_rules.STOP_CONFIRMATION,
        optout_rules.RESUBSCRIBE_CONFIRMATION,
    ]
    post(client, inbound("5511987654321", _text("voltar")), secret="sandbox-app-secret")
    assert len(confirmations) == 2


def test_ordinary_text_is_not_an_opt_out(client, shop, confirmations):
    post(
        client,
        inbound("5511987654321", _text("Quero sair mais cedo amanhã")),
        secret="sandbox-app-secret",
    )
    assert not optout.is_opted_out(shop.id, PHONE) and confirmations == []


def test_failing_confirmation_keeps_the_opt_out(client, shop, monkeypatch):
    import clickpro.services.messaging.outbound as outbound

    def boom(*args, **kwargs):
        raise RuntimeError("Meta fora do ar")

    monkeypatch.setattr(outbound, "send_text", boom)
    assert (
        post(
            client, inbound("5511987654321", _text("PARAR")), secret="sandbox-app-secret"
        ).status_code
        == 200
    )
    assert optout.is_opted_out(shop.id, PHONE)


@pytest.fixture
def platform_shop(create_client, create_whatsapp_credential):
    """The shop on the platform's Meta app (no app secret of its own), as the sandbox
    signs with the platform's secret: a delivery reaches only the app that signed it."""
    tenant = create_client("Loja Opt-out")
    account = {k: v for k, v in SANDBOX_ACCOUNT.items() if k != "app_secret"}
    create_whatsapp_credential(tenant, account)
    return tenant


def test_end_to_end_with_sandbox_sends_one_confirmation(sandbox, platform_shop):
    shop = platform_shop
    control = sandbox.app.test_client()

    def say(text: str) -> None:
        control.post(
            "/_control/inbound",
            json={"phone_number_id": "100000000000011", "from": "5511987654321", "text": text},
        )
        assert sandbox.flush()["failed"] == 0

    def confirmations() -> list[Message]:
        return db.session.scalars(
            sa.select(Message).where(Message.direction == "OUT", Message.author == "SYSTEM")
        ).all()

    say("Sair")
    assert optout.is_opted_out(shop.id, PHONE)
    sends = [s for s in sandbox.list_sends("100000000000011") if s["to"] == "5511987654321"]
    assert len(sends) == 1 and len(confirmations()) == 1
    assert confirmations()[0].body == optout_rules.STOP_CONFIRMATION
    say("SAIR")
    assert len(sandbox.list_sends("100000000000011")) == 1
    say("VOLTAR")
    assert not optout.is_opted_out(shop.id, PHONE)
    assert len(sandbox.list_sends("100000000000011")) == 2
