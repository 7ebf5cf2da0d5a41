"""A campaign from a number of a second WABA addresses each username user with the BSUID
of THAT portfolio; one known only on another portfolio is skipped with the reason (a
BSUID works only inside its portfolio; QA16 D5)."""

from __future__ import annotations

import sqlalchemy as sa
from campaign_helpers import BODY_ONLY, add_contacts, make_list

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Message
from clickpro.services.campaigns import service as svc


def test_campaign_from_a_second_portfolio_uses_its_bsuids_and_skips_the_others(
    setup, recorder, create_whatsapp_credential, create_template
):
    tenant, sandbox = setup.tenant, setup.sandbox
    other = sandbox.create_account(access_token="h11-campaign-token")
    second = create_whatsapp_credential(tenant, other.public(), display_name="Suporte")
    body, status = sandbox.templates.create(
        other, {"name": "aviso", "language": "pt_BR", "category": "MARKETING",
                "components": BODY_ONLY},
    )  # fmt: skip
    assert status == 200, body
    sandbox.templates.set_status(body["id"], "APPROVED")
    template = create_template(tenant, name="aviso", components=BODY_ONLY,
                               meta_template_id=body["id"], waba_id=other.waba_id)  # fmt: skip
    phone_ids = add_contacts(tenant, 1)
    # seen on WABA 1 only (another portfolio than the campaign's number)
    first_only = Contact(client_id=tenant.id, bsuid="BR.1000000001", name="Loja")
    # seen on both: contacts.bsuid is WABA 1's, WABA 2 knows it by its own BSUID
    both = Contact(client_id=tenant.id, bsuid="BR.2000000001", name="Ambos")
    db.session.add_all([first_only, both])
    db.session.flush()
    db.session.add_all(
        [
            ContactIdentity(client_id=tenant.id, contact_id=first_only.id, kind="bsuid",
                            waba_id=setup.credential.waba_id, value="BR.1000000001"),
            ContactIdentity(client_id=tenant.id, contact_id=both.id, kind="bsuid",
                            waba_id=setup.credential.waba_id, value="BR.2000000001"),
            ContactIdentity(client_id=tenant.id, contact_id=both.id, kind="bsuid",
                            waba_id=other.waba_id, value="BR.2000000002"),
        ]
    )  # fmt: skip
    db.session.commit()
    lst = make_list(tenant, [*phone_ids, first_only.id, both.id])
    payload = {"name": "Suporte", "template_id": template.id, "number_id": second.id,
               "list_ids": [lst.id], "rate_mps": 50,
               "variables": {"body": ["{{contact.name}}", "x"]}}  # fmt: skip
    campaign = svc.save_campaign(tenant.id, payload)
    svc.start_campaign(tenant.id, campaign.id)
    db.session.refresh(campaign)
    assert campaign.status == "COMPLETED"

    payloads = recorder.payloads
    assert len(payloads) == 2
    assert sorted(p.get("recipient", "") for p in payloads) == ["", "BR.2000000002"]
    assert "BR.1000000001" not in str(payloads) and "BR.2000000001" not in str(payloads)
    skipped = db.session.execute(
        sa.select(Message.status, Message.error_title).where(
            Message.campaign_id == campaign.id, Message.contact_id == first_only.id
        )
    ).one()
    assert skipped.status == "SKIPPED"
    assert "outro portfólio" in (skipped.error_title or "")
