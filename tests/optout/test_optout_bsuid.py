"""SAIR from a WhatsApp username user (no phone in the webhook) opts its BSUID out; the
confirmation goes back with ``recipient``; campaigns and the opt-out page follow."""

from __future__ import annotations

import time

import sqlalchemy as sa
from optout_helpers import SANDBOX_ACCOUNT
from webhook_helpers import messages_payload, new_wamid, post

from clickpro.extensions import db
from clickpro.models import Contact, Message, OptOut
from clickpro.services.contacts import optout

BSUID = "BR.1502576394655843"
SECRET = SANDBOX_ACCOUNT["app_secret"]


def username_inbound(body: str, *, bsuid: str = BSUID, username: str = "realsheena") -> dict:
    """Reference §1's example: contacts[].user_id + profile.username, no wa_id/from."""
    return messages_payload({
        "contacts": [{"profile": {"name": "Sheena", "username": username}, "user_id": bsuid}],
        "messages": [{"from_user_id": bsuid, "id": new_wamid(), "timestamp": str(int(time.time())),
                      "type": "text", "text": {"body": body}}],
    })  # fmt: skip


def test_sair_from_a_username_user_opts_the_bsuid_out(client, shop, confirmations):
    assert post(client, username_inbound("SAIR"), secret=SECRET).status_code == 200
    row = db.session.scalar(sa.select(OptOut).where(OptOut.client_id == shop.id))
    assert row is not None and (row.phone_e164, row.bsuid) == (None, BSUID)
    assert row.source == "keyword"
    assert optout.is_opted_out(shop.id, None, bsuid=BSUID)
    assert len(confirmations) == 1
    post(client, username_inbound("VOLTAR"), secret=SECRET)
    assert not optout.is_opted_out(shop.id, None, bsuid=BSUID)


def test_the_confirmation_goes_back_with_recipient(client, shop, sandbox):
    before = len(sandbox.sends)
    post(client, username_inbound("SAIR"), secret=SECRET)
    sent = sandbox.sends[before:]
    assert len(sent) == 1
    assert sent[0]["recipient"] == BSUID and sent[0]["to"] is None and not sent[0]["dropped"]
    contact = db.session.scalar(sa.select(Contact).where(Contact.bsuid == BSUID))
    out = db.session.scalar(
        sa.select(Message).where(Message.contact_id == contact.id, Message.direction == "OUT")
    )
    assert out.payload["recipient"] == BSUID and "to" not in out.payload


def test_opt_out_page_shows_the_username(client, shop, confirmations, login_as):
    post(client, username_inbound("SAIR"), secret=SECRET)
    db.session.add(OptOut(client_id=shop.id, bsuid="BR.99000000123456", source="manual"))
    db.session.commit()
    page = login_as(shop.admin, shop).get("/contacts/opt-outs").get_data(as_text=True)
    assert "@realsheena" in page
    assert "Usuário do WhatsApp · 123456" in page  # no contact, no username: short id
    search = login_as(shop.admin, shop).get("/contacts/opt-outs?q=realsheena")
    assert "@realsheena" in search.get_data(as_text=True)
    assert "123456" not in search.get_data(as_text=True)


def test_manual_opt_out_by_bsuid_on_the_page(client, shop, login_as):
    web = login_as(shop.admin, shop)
    response = web.post("/contacts/opt-outs", data={"phone": BSUID, "reason": "pediu"})
    assert response.status_code == 302
    assert optout.is_opted_out(shop.id, None, bsuid=BSUID)
    bad = web.post("/contacts/opt-outs", data={"phone": "BR.não-é"})
    assert bad.status_code == 400
