"""A campaign to a list with phone contacts and username-only (BSUID) contacts: phones go
in ``to``, BSUIDs in ``recipient``, opted-out BSUIDs are never sent, authentication
templates skip the BSUID-only recipients with a reason."""

from __future__ import annotations

import sqlalchemy as sa
from campaign_helpers import BODY_ONLY, add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Contact, Message
from clickpro.services.campaigns import service as svc
from clickpro.services.contacts import optout

VARS = {"body": ["{{contact.name}}", "{{contact.cupom}}"]}


def _bsuid_contacts(tenant, n: int) -> list[Contact]:
    rows = [
        Contact(client_id=tenant.id, phone_e164=None, wa_id=None, bsuid=f"BR.77{i:014d}",
                username=f"cliente{i}", name=f"Usuário {i}", attributes={"cupom": f"U{i}"})
        for i in range(n)
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _run(setup, list_id, template_id=None):
    payload = {"name": "Mista", "template_id": template_id or setup.template.id,
               "list_ids": [list_id], "variables": VARS, "rate_mps": 50}  # fmt: skip
    campaign = svc.save_campaign(setup.tenant.id, payload)
    return campaign, svc.start_campaign(setup.tenant.id, campaign.id)


def test_mixed_list_phone_in_to_bsuid_in_recipient_opted_out_bsuid_skipped(setup, recorder):
    phone_ids = add_contacts(setup.tenant, 3)
    users = _bsuid_contacts(setup.tenant, 3)
    lst = make_list(setup.tenant, phone_ids + [u.id for u in users])
    # "SAIR" from a username user: opted out by BSUID only (no phone known).
    assert optout.add_contact_opt_out(users[0], "keyword", "SAIR") is True
    assert optout.is_opted_out(setup.tenant.id, None, bsuid=users[0].bsuid)

    campaign, _ = _run(setup, lst.id)
    count = svc.audience_of(campaign)
    assert (count.total, count.opted_out, count.eligible) == (6, 1, 5)
    db.session.refresh(campaign)
    assert campaign.status == "COMPLETED"

    payloads = recorder.payloads
    assert len(payloads) == 5
    by_phone = [p for p in payloads if "to" in p]
    by_bsuid = [p for p in payloads if "recipient" in p]
    assert len(by_phone) == 3 and len(by_bsuid) == 2
    assert all("recipient" not in p and p["to"].isdigit() for p in by_phone)
    assert {p["recipient"] for p in by_bsuid} == {users[1].bsuid, users[2].bsuid}
    assert all(p["recipient_type"] == "individual" and "to" not in p for p in by_bsuid)
    assert users[0].bsuid not in str(payloads)  # the opted-out BSUID never went out

    sent = setup.sandbox.list_sends()
    assert {s["recipient"] for s in sent if s["recipient"]} == {users[1].bsuid, users[2].bsuid}
    assert not any(s["dropped"] for s in sent)  # no BSUID ever went in "to"
    skipped = db.session.scalar(
        sa.select(Message.error_title).where(
            Message.campaign_id == campaign.id, Message.contact_id == users[0].id
        )
    )
    assert skipped == "Contato descadastrado (opt-out)"


def test_authentication_template_skips_bsuid_only_recipients(setup, recorder, create_template):
    auth = create_template(setup.tenant, name="codigo", category="AUTHENTICATION",
                           components=BODY_ONLY)  # fmt: skip
    account = setup.sandbox.account_for_number("100000000000011")
    body, status = setup.sandbox.templates.create(
        account, {"name": "codigo", "language": "pt_BR", "category": "AUTHENTICATION",
                  "components": BODY_ONLY})  # fmt: skip
    assert status == 200, body
    setup.sandbox.templates.set_status(body["id"], "APPROVED")
    phone_ids = add_contacts(setup.tenant, 2)
    users = _bsuid_contacts(setup.tenant, 2)
    lst = make_list(setup.tenant, phone_ids + [u.id for u in users])

    campaign, _ = _run(setup, lst.id, auth.id)
    assert len(recorder.payloads) == 2 and all("to" in p for p in recorder.payloads)
    rows = db.session.execute(
        sa.select(Message.contact_id, Message.status, Message.error_title).where(
            Message.campaign_id == campaign.id
        )
    ).all()
    skipped = {cid: title for cid, status, title in rows if status == "SKIPPED"}
    assert set(skipped) == {u.id for u in users}
    assert all("autenticação" in t and "131062" in t for t in skipped.values())


def test_131050_to_a_bsuid_recipient_opts_the_bsuid_out(setup, recorder):
    users = _bsuid_contacts(setup.tenant, 2)
    lst = make_list(setup.tenant, [u.id for u in users])
    setup.sandbox.set_failures("100000000000011", [{"code": 131050, "to": [users[0].bsuid]}])
    _run(setup, lst.id)
    assert optout.is_opted_out(setup.tenant.id, None, bsuid=users[0].bsuid)
    assert not optout.is_opted_out(setup.tenant.id, None, bsuid=users[1].bsuid)
