"""Costs of username users (BSUID, no phone): a late 131050 opts the BSUID out, and the
campaign estimate prices them in their BSUID's country (``BR.…`` → BR), not as a market
outside the card (QA16 D12c)."""

from __future__ import annotations

import time

from campaign_helpers import add_contacts, make_list
from webhook_helpers import post, statuses_payload

from clickpro.extensions import db
from clickpro.models import Contact
from clickpro.services.contacts.optout import is_opted_out
from clickpro.services.costs.estimate import audience_prefixes, price_audience

NOW = int(time.time())


def _bsuid_contact(tenant, bsuid: str) -> Contact:
    contact = Contact(client_id=tenant.id, phone_e164=None, bsuid=bsuid, name="Usuário")
    db.session.add(contact)
    db.session.commit()
    return contact


def test_late_131050_to_a_bsuid_only_recipient_opts_its_bsuid_out(client, shop, sent_campaign):
    campaign = sent_campaign(shop, ["+5511990000731"])
    (row,) = campaign.rows
    user = _bsuid_contact(shop, "BR.7310000001")
    row.contact_id = user.id
    db.session.commit()
    delivered = {"id": row.wamid, "status": "delivered", "timestamp": str(NOW - 60),
                 "recipient_user_id": user.bsuid}  # fmt: skip
    failed = {"id": row.wamid, "status": "failed", "timestamp": str(NOW),
              "recipient_user_id": user.bsuid,
              "errors": [{"code": 131050, "title": "Marketing", "message": "x"}]}  # fmt: skip
    post(client, statuses_payload([delivered]))
    post(client, statuses_payload([failed]))
    assert is_opted_out(shop.id, None, bsuid="BR.7310000001")


def test_estimate_prices_bsuid_only_contacts_in_their_bsuids_country(shop):
    phones = add_contacts(shop, 2)
    users = [_bsuid_contact(shop, f"BR.74{i:08d}").id for i in range(3)]
    foreign = _bsuid_contact(shop, "US.7400000099").id
    lst = make_list(shop, [*phones, *users, foreign])
    prefixes = audience_prefixes(shop.id, [lst.id], [], {}, "send_anyway")
    assert prefixes == {"+551": 2, "BR.": 3, "US.": 1}
    estimate = price_audience(shop.id, "MARKETING", prefixes)
    assert estimate is not None
    assert estimate.by_market["BR"]["count"] == 5
    assert estimate.by_market["US"]["count"] == 1
    assert "*" not in estimate.by_market  # none counted as "outside the card"
    assert estimate.by_market["BR"]["price"] is not None
    assert estimate.unpriced == (1 if estimate.by_market["US"]["price"] is None else 0)
