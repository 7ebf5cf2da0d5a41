"""Cost tests reuse the webhook payload helpers and the shared factories."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webhook"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "campaigns"))

import pytest  # noqa: E402

from clickpro.extensions import db  # noqa: E402
from clickpro.models import Campaign, CampaignList, Message  # noqa: E402
from clickpro.models.base import utcnow  # noqa: E402

_seq = itertools.count(1)


@pytest.fixture
def shop(create_client, create_whatsapp_credential):
    """A client whose credential owns the webhook helpers' PHONE_NUMBER_ID / WABA_ID."""
    tenant = create_client("Loja Custos")
    tenant.credential = create_whatsapp_credential(tenant)
    return tenant


@pytest.fixture
def sent_campaign(create_contact, create_list, create_template):
    """``make(tenant, phones, status=…)``: a campaign whose rows went out (with wamids)."""

    def _make(tenant, phones, *, campaign_status="RUNNING", category="MARKETING", template=None):
        template = template or create_template(tenant, category=category)
        contacts = [create_contact(tenant, phone) for phone in phones]
        contact_list = create_list(tenant, contacts=contacts)
        campaign = Campaign(
            client_id=tenant.id,
            name=f"Campanha {next(_seq)}",
            template_id=template.id,
            status=campaign_status,
            materialized_at=utcnow(),
            started_at=utcnow(),
        )
        db.session.add(campaign)
        db.session.flush()
        db.session.add(CampaignList(campaign_id=campaign.id, list_id=contact_list.id))
        rows = []
        for contact in contacts:
            row = Message(
                client_id=tenant.id,
                contact_id=contact.id,
                campaign_id=campaign.id,
                direction="OUT",
                author="CAMPAIGN",
                type="template",
                template_id=template.id,
                status="SENT",
                wamid=f"wamid.COST{next(_seq):08d}",
                sent_at=utcnow(),
            )
            db.session.add(row)
            rows.append(row)
        db.session.commit()
        campaign.rows = rows
        campaign.template = template
        return campaign

    return _make


@pytest.fixture
def wired(app, sandbox, create_client, create_whatsapp_credential, create_template):
    """A tenant on the sandbox with approved marketing and utility templates (both sides)."""
    from campaign_helpers import BODY_ONLY, sandbox_template

    class Wired:
        pass

    w = Wired()
    w.sandbox = sandbox
    w.account = sandbox.account_for_number("100000000000011")
    w.tenant = create_client("Loja Envios")
    w.credential = create_whatsapp_credential(w.tenant)
    w.marketing = create_template(w.tenant, name="oferta", components=BODY_ONLY)
    sandbox_template(sandbox, "oferta", BODY_ONLY)
    w.utility = create_template(w.tenant, name="aviso", components=BODY_ONLY, category="UTILITY")
    body, status = sandbox.templates.create(
        w.account,
        {"name": "aviso", "language": "pt_BR", "category": "UTILITY", "components": BODY_ONLY},
    )
    assert status == 200, body
    return w
