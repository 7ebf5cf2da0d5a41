"""A webhook's BSUIDs are checked against Meta's format and never truncated (QA16 D1, D2),
and ``contacts.bsuid`` stays the contact's first BSUID across portfolios (QA16 D5)."""

from __future__ import annotations

import sqlalchemy as sa
from identity_helpers import WABA_ID, customer_message, post

from clickpro.extensions import db
from clickpro.integrations.meta.messages import is_bsuid
from clickpro.models import Contact, ContactIdentity, Message, WebhookEvent
from clickpro.services.contacts.identity import Seen, webhook_bsuid

BSUID = "BR.1502576394655843"


def _contacts(tenant) -> list[Contact]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Contact).where(Contact.client_id == tenant.id).order_by(Contact.id)
        )
    )


def _last_event() -> WebhookEvent | None:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()


def test_an_invalid_bsuid_alone_is_counted_malformed_and_creates_no_contact(client, shop):
    post(client, customer_message(bsuid="not-a-bsuid", username="qa16"))
    assert _contacts(shop) == []
    event = _last_event()
    assert event is not None and event.malformed == 1


def test_an_invalid_bsuid_beside_a_phone_is_ignored_and_the_message_stored_by_phone(client, shop):
    post(client, customer_message(bsuid="br.lower-case!", wa_id="5511987650101"))
    (contact,) = _contacts(shop)
    assert contact.phone_e164 == "+5511987650101" and contact.bsuid is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactIdentity)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Message).where(Message.contact_id == contact.id)
        )
        == 1
    )
    event = _last_event()
    assert event is not None and event.malformed == 0


def test_two_overlong_user_ids_with_one_prefix_are_never_one_person(client, shop):
    prefix = "BR." + "9" * 150
    post(client, customer_message(bsuid=prefix + "A", text="pessoa A"))
    post(client, customer_message(bsuid=prefix + "B", text="pessoa B"))
    contacts = _contacts(shop)
    assert all(c.bsuid is None or is_bsuid(c.bsuid) for c in contacts)
    senders = db.session.scalars(
        sa.select(Message.contact_id).where(Message.client_id == shop.id)
    ).all()
    assert senders == []  # both invalid (over 128 characters): malformed, not merged
    event = _last_event()
    assert event is not None and event.malformed == 1


def test_the_longest_valid_bsuid_is_kept_whole():
    longest = "BR.ENT." + "7" * 128
    assert webhook_bsuid(longest) == longest
    assert webhook_bsuid(longest + "7") is None
    seen = Seen.of(bsuid=" " + BSUID + " ", parent_bsuid="US.ENT." + "1" * 129)
    assert (seen.bsuid, seen.parent_bsuid) == (BSUID, None)


def test_contacts_bsuid_stays_the_first_portfolios_value(
    client, shop, sandbox, create_whatsapp_credential
):
    """A phone user seen with one BSUID on WABA 1 and another on WABA 2 keeps the first in
    ``contacts.bsuid`` (no flip on each inbound); both are identities of their WABA."""
    other = sandbox.create_account(access_token="h11-stable-token")
    create_whatsapp_credential(shop, other.public(), display_name="Suporte")
    first, second = "BR.1111111111", "BR.2222222222"
    post(client, customer_message(bsuid=first, wa_id="5511987650102"))
    post(
        client,
        customer_message(
            bsuid=second, wa_id="5511987650102",
            phone_number_id=other.phone_number_id, waba_id=other.waba_id,
        ),
    )  # fmt: skip
    (contact,) = _contacts(shop)
    assert contact.bsuid == first  # not flipped to WABA 2's
    post(client, customer_message(bsuid=first, wa_id="5511987650102"))
    (contact,) = _contacts(shop)
    assert contact.bsuid == first
    identities = db.session.execute(
        sa.select(ContactIdentity.waba_id, ContactIdentity.value).order_by(ContactIdentity.id)
    ).all()
    assert [tuple(r) for r in identities] == [(WABA_ID, first), (other.waba_id, second)]


def test_a_change_notice_with_an_invalid_new_bsuid_moves_nothing(client, shop):
    from identity_helpers import user_changed_user_id

    post(client, customer_message(bsuid=BSUID))
    post(client, user_changed_user_id(old_bsuid=BSUID, new_bsuid="BR." + "8" * 200))
    (contact,) = _contacts(shop)
    assert contact.bsuid == BSUID
    values = db.session.scalars(sa.select(ContactIdentity.value)).all()
    assert values == [BSUID]
