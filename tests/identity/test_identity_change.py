"""A user's new BSUID or phone (both of Meta's shapes) moves the identity to it."""

from __future__ import annotations

import sqlalchemy as sa
from identity_helpers import (
    customer_message,
    post,
    user_changed_number,
    user_changed_user_id,
    user_id_update,
)

from clickpro.extensions import db
from clickpro.models import (
    Contact,
    ContactIdentity,
    ContactMerge,
    Conversation,
    Message,
    WebhookEvent,
)

OLD = "BR.1502576394655843"
NEW = "BR.9907776665554443"


def _all(model, *where):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(*where).order_by(model.id)))


def _notes():
    return _all(Message, Message.is_internal_note.is_(True))


def _identities():
    return {(i.value, i.replaced_at is not None) for i in _all(ContactIdentity)}


def test_system_message_user_changed_user_id_moves_the_bsuid(client, shop, received):
    post(client, customer_message(bsuid=OLD, username="maria"))
    (contact,) = _all(Contact)
    post(client, user_changed_user_id(old_bsuid=OLD, new_bsuid=NEW))
    (moved,) = _all(Contact)
    assert moved.id == contact.id and moved.bsuid == NEW
    assert _identities() == {(OLD, True), (NEW, False)}  # the old one is kept, replaced
    (note,) = _notes()
    (conversation,) = _all(Conversation)
    assert (note.author, note.direction, note.conversation_id, note.number_id) == (
        "SYSTEM",
        "OUT",
        conversation.id,
        shop.credential.id,
    )
    assert OLD in note.body and NEW in note.body and "mudou" in note.body
    assert len(received) == 1  # the system message is not a customer message (no AI reply)
    # The next message with the new BSUID is the same person, and so is a late old one.
    post(client, customer_message(bsuid=NEW, text="oi com o id novo"))
    post(client, customer_message(bsuid=OLD, text="atrasada com o id antigo"))
    assert [c.id for c in _all(Contact)] == [contact.id]
    assert _all(Contact)[0].bsuid == NEW
    # Meta's other shape for the same change: nothing more moves, no second note.
    post(client, user_id_update(previous=OLD, current=NEW))
    assert len(_notes()) == 1 and _identities() == {(OLD, True), (NEW, False)}


def test_user_id_update_field_moves_the_bsuid_and_the_phone(client, shop, create_contact):
    post(client, customer_message(bsuid=OLD, wa_id="5511987654321"))
    (contact,) = _all(Contact)
    post(client, user_id_update(previous=OLD, current=NEW, wa_id="5521976543210"))
    (moved,) = _all(Contact)
    assert moved.id == contact.id and moved.bsuid == NEW
    assert (moved.phone_e164, moved.wa_id) == ("+5521976543210", "5521976543210")
    assert _identities() == {(OLD, True), (NEW, False)}
    (note,) = _notes()
    assert "+5511987654321" in note.body and "+5521976543210" in note.body
    # The second shape for the same change is a no-op.
    post(client, user_changed_user_id(old_bsuid=OLD, new_bsuid=NEW, new_wa_id="5521976543210"))
    assert len(_notes()) == 1


def test_new_bsuid_already_seen_merges_the_two_contacts(client, shop):
    post(client, customer_message(bsuid=OLD, username="maria", text="antes"))
    post(client, customer_message(bsuid=NEW, text="do número novo, antes do aviso"))
    first, second = (c.id for c in _all(Contact))
    post(client, user_changed_user_id(old_bsuid=OLD, new_bsuid=NEW))
    (contact,) = _all(Contact)
    assert contact.id == first and contact.bsuid == NEW and contact.username == "maria"
    assert {m.contact_id for m in _all(Message)} == {first}
    (merge,) = _all(ContactMerge)
    assert merge.merged_contact_id == second and merge.reason == "bsuid_change"
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 2


def test_user_changed_number_updates_the_phone(client, shop):
    post(client, customer_message(wa_id="5511987654321"))
    post(client, user_changed_number(old_wa_id="5511987654321", new_wa_id="5511977776666"))
    (contact,) = _all(Contact)
    assert (contact.phone_e164, contact.wa_id) == ("+5511977776666", "5511977776666")
    (note,) = _notes()
    assert "+5511977776666" in note.body
    post(client, customer_message(wa_id="5511977776666", text="do número novo"))
    assert len(_all(Contact)) == 1


def test_new_phone_of_another_contact_merges_them(client, shop, create_contact):
    post(client, customer_message(bsuid=OLD, wa_id="5511987654321"))
    post(client, customer_message(wa_id="5511977776666", name="Outro cadastro"))
    first, second = (c.id for c in _all(Contact))
    post(
        client,
        user_changed_user_id(
            old_bsuid=OLD, new_bsuid=NEW, new_wa_id="5511977776666", wa_id="5511987654321"
        ),
    )
    (contact,) = _all(Contact)
    assert contact.id == first and contact.phone_e164 == "+5511977776666"
    assert contact.bsuid == NEW
    assert {m.contact_id for m in _all(Message)} == {first}
    assert [m.merged_contact_id for m in _all(ContactMerge)] == [second]


def test_user_id_update_for_an_unknown_user_changes_nothing(client, shop):
    post(client, user_id_update(previous=OLD, current=NEW))
    assert _all(Contact) == [] and _all(ContactIdentity) == []


def test_user_id_update_of_another_waba_is_not_routed(client, shop):
    post(client, customer_message(bsuid=OLD))
    post(client, user_id_update(previous=OLD, current=NEW, waba_id="999999999999999"))
    assert _all(Contact)[0].bsuid == OLD and _identities() == {(OLD, False)}
    last = _all(WebhookEvent)[-1]
    assert last.processed_at is not None and not last.routed  # kept for the super admin
