"""Fixtures of the outbound identity tests: a shop wired to the sandbox, with a phone
contact and a username-only contact (BSUID, no phone)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from clickpro.extensions import db as _db
from clickpro.models import Contact
from clickpro.models.base import utcnow

PNID = "100000000000011"
WABA = "100000000000001"
_n = itertools.count(1)


@pytest.fixture
def create_bsuid_contact(app, create_conversation):
    """A contact known only by BSUID (and maybe a username): no phone, no wa_id.
    ``last_inbound_at``/``last_message_at`` go to its conversation on the first number."""

    def _create(tenant, bsuid: str | None = None, username: str | None = "realsheena", **kw):
        state = {k: kw.pop(k) for k in ("last_inbound_at", "last_message_at") if k in kw}
        contact = Contact(
            client_id=tenant.id,
            phone_e164=None,
            wa_id=None,
            bsuid=bsuid or f"BR.{1502576394655843 + next(_n)}",
            username=username,
            name=kw.pop("name", "Sheena"),
            **kw,
        )
        _db.session.add(contact)
        _db.session.commit()
        if state:
            create_conversation(tenant, contact, **state)
        return contact

    return _create


@pytest.fixture
def shop(app, sandbox, create_client, create_whatsapp_credential, create_contact,
         create_bsuid_contact):  # fmt: skip
    class Shop:
        pass

    shop = Shop()
    shop.tenant = create_client("Loja BSUID")
    shop.credential = create_whatsapp_credential(shop.tenant)
    recent = utcnow() - timedelta(hours=1)
    shop.phone_contact = create_contact(
        shop.tenant, "+5511987654321", "Maria", last_inbound_at=recent
    )
    shop.bsuid_contact = create_bsuid_contact(shop.tenant, "BR.1502576394655843",
                                              last_inbound_at=recent)  # fmt: skip
    shop.sandbox = sandbox
    return shop
