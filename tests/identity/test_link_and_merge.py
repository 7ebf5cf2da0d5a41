"""Phone and BSUID seen together: linked on one contact; two contacts merged into one."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from identity_helpers import WABA_ID, customer_message, post

from clickpro.extensions import db
from clickpro.models import (
    AuditEntry,
    Contact,
    ContactIdentity,
    ContactLabel,
    ContactListMember,
    ContactMerge,
    Conversation,
    Label,
    Message,
    OptOut,
)
from clickpro.models.base import utcnow

BSUID = "BR.1502576394655843"
WA_ID = "5511987654321"
PHONE = "+5511987654321"


def _all(model, *where):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(*where)))


def test_phone_and_bsuid_together_link_the_phone_contact(client, shop, create_contact):
    known = create_contact(shop, PHONE, name="Maria (VIP)")
    post(client, customer_message(bsuid=BSUID, wa_id=WA_ID, username="maria"))
    (contact,) = _all(Contact)
    assert contact.id == known.id
    assert (contact.phone_e164, contact.bsuid, contact.username) == (PHONE, BSUID, "maria")
    assert contact.name == "Maria (VIP)"  # the typed name stays
    assert [(i.contact_id, i.value) for i in _all(ContactIdentity)] == [(known.id, BSUID)]
    # Later the phone is hidden (username adopted): the BSUID alone finds the same person.
    post(client, customer_message(bsuid=BSUID, username="maria", text="sem telefone agora"))
    assert [c.id for c in _all(Contact)] == [known.id]
    (conversation,) = _all(Conversation)
    assert conversation.unread_count == 2


def test_a_bsuid_contact_gets_the_phone_when_it_shows(client, shop):
    post(client, customer_message(bsuid=BSUID, username="maria"))
    (first,) = _all(Contact)
    post(client, customer_message(bsuid=BSUID, wa_id="551187654321"))  # 8-digit form
    (contact,) = _all(Contact)
    assert contact.id == first.id
    assert (contact.phone_e164, contact.wa_id) == (PHONE, "551187654321")
    post(client, customer_message(wa_id=WA_ID, text="só telefone"))  # the 9-digit form
    assert [c.id for c in _all(Contact)] == [first.id]


def _two_people(shop, create_contact, create_list, create_message):
    """The same person twice: by phone (older, opted in) and by BSUID (newer, opted out)."""
    by_phone = create_contact(shop, PHONE, name="Maria", attributes={"cidade": "Santos"})
    by_phone.created_at = utcnow() - timedelta(days=30)
    by_bsuid = create_contact(shop, None, name="", bsuid=BSUID, username="maria")
    by_bsuid.phone_e164 = None
    by_bsuid.wa_id = None
    by_bsuid.attributes = {"cidade": "Campinas", "plano": "ouro"}
    db.session.add(
        ContactIdentity(client_id=shop.id, contact_id=by_bsuid.id, waba_id=WABA_ID, value=BSUID)
    )
    db.session.commit()
    number = shop.credential.id
    conv_phone = Conversation(
        client_id=shop.id, contact_id=by_phone.id, number_id=number, unread_count=2,
        last_message_at=utcnow() - timedelta(hours=5), last_message_preview="antiga",
        status="RESOLVED", last_inbound_at=utcnow() - timedelta(hours=5),
    )  # fmt: skip
    conv_bsuid = Conversation(
        client_id=shop.id, contact_id=by_bsuid.id, number_id=number, unread_count=1,
        last_message_at=utcnow() - timedelta(hours=1), last_message_preview="recente",
        status="OPEN", last_inbound_at=utcnow() - timedelta(hours=1),
    )  # fmt: skip
    db.session.add_all([conv_phone, conv_bsuid])
    db.session.commit()
    for contact, conv, body in (
        (by_phone, conv_phone, "antiga"),
        (by_bsuid, conv_bsuid, "recente"),
    ):
        create_message(shop, contact, body=body, number_id=number, conversation_id=conv.id)
    vip, promo = create_list(shop, "VIP", [by_phone]), create_list(shop, "Promo", [by_bsuid])
    both = create_list(shop, "Todos", [by_phone, by_bsuid])
    red, blue = Label(client_id=shop.id, name="Quente"), Label(client_id=shop.id, name="Pix")
    db.session.add_all([red, blue])
    db.session.flush()
    db.session.add_all(
        [
            ContactLabel(contact_id=by_phone.id, label_id=red.id),
            ContactLabel(contact_id=by_bsuid.id, label_id=red.id),
            ContactLabel(contact_id=by_bsuid.id, label_id=blue.id),
            OptOut(client_id=shop.id, phone_e164=None, bsuid=BSUID, source="keyword"),
        ]
    )
    db.session.commit()
    return by_phone, by_bsuid, {vip.id, promo.id, both.id}, {red.id, blue.id}


def test_two_contacts_are_merged_into_the_older(
    client, shop, create_contact, create_list, create_message
):
    by_phone, by_bsuid, lists, labels = _two_people(
        shop, create_contact, create_list, create_message
    )
    kept_id, gone_id = by_phone.id, by_bsuid.id
    now = int(utcnow().timestamp())
    post(
        client,
        customer_message(bsuid=BSUID, wa_id=WA_ID, username="maria", text="agora", timestamp=now),
    )

    (contact,) = _all(Contact)
    assert contact.id == kept_id  # the older one, whatever order the webhook names them
    assert (contact.phone_e164, contact.bsuid, contact.username) == (PHONE, BSUID, "maria")
    assert contact.name == "Maria"
    assert contact.attributes == {"cidade": "Santos", "plano": "ouro"}  # kept, then filled
    messages = _all(Message)
    assert {m.contact_id for m in messages} == {kept_id} and len(messages) == 3
    (conversation,) = _all(Conversation)
    assert {m.conversation_id for m in messages} == {conversation.id}
    # The newest state wins (the BSUID one was open, more recent); unread counts add up.
    assert conversation.status == "OPEN" and conversation.last_message_preview == "agora"
    assert conversation.unread_count == 2 + 1 + 1
    members = _all(ContactListMember)
    assert {m.list_id for m in members} == lists and {m.contact_id for m in members} == {kept_id}
    assert len(members) == 3  # "Todos" had both: once now
    tagged = _all(ContactLabel)
    assert {t.label_id for t in tagged} == labels and {t.contact_id for t in tagged} == {kept_id}
    assert len(tagged) == 2
    assert {i.contact_id for i in _all(ContactIdentity)} == {kept_id}
    # Either was opted out: the kept contact is, by its phone and by its BSUID.
    opt_outs = _all(OptOut)
    assert {o.phone_e164 for o in opt_outs if o.phone_e164} == {PHONE}
    assert {o.bsuid for o in opt_outs if o.bsuid} == {BSUID}
    (merge,) = _all(ContactMerge)
    assert (merge.client_id, merge.kept_contact_id, merge.merged_contact_id) == (
        shop.id,
        kept_id,
        gone_id,
    )
    assert merge.snapshot["bsuid"] == BSUID and merge.snapshot["phone_e164"] is None
    assert merge.snapshot["attributes"] == {"cidade": "Campinas", "plano": "ouro"}
    assert merge.snapshot["messages"] == 1 and merge.snapshot["opted_out"] is True
    (audit,) = _all(AuditEntry, AuditEntry.action == "contacts.merged")
    assert (audit.client_id, audit.target_id, audit.actor_email) == (
        shop.id,
        str(kept_id),
        "system",
    )
    assert audit.details["merged_contact_id"] == gone_id


def test_merge_keeps_the_older_even_when_it_is_the_bsuid_one(client, shop, create_contact):
    older = create_contact(shop, None, name="Usuário", bsuid=BSUID)
    older.phone_e164 = older.wa_id = None
    older.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    older_id, newer_id = older.id, create_contact(shop, PHONE, name="Maria").id
    post(client, customer_message(bsuid=BSUID, wa_id=WA_ID))
    (contact,) = _all(Contact)
    assert contact.id == older_id and contact.phone_e164 == PHONE and contact.bsuid == BSUID
    assert contact.name == "Usuário"
    (merge,) = _all(ContactMerge)
    assert merge.merged_contact_id == newer_id


def test_two_conversations_on_different_numbers_both_move(
    client, shop, create_contact, create_whatsapp_credential
):
    second = create_whatsapp_credential(
        shop,
        {"access_token": "t2", "waba_id": WABA_ID, "phone_number_id": "100000000000099"},
    )
    post(client, customer_message(wa_id=WA_ID, text="vendas"))
    post(client, customer_message(bsuid=BSUID, text="suporte", phone_number_id="100000000000099"))
    assert len(_all(Contact)) == 2
    post(client, customer_message(bsuid=BSUID, wa_id=WA_ID, text="os dois"))
    (contact,) = _all(Contact)
    conversations = _all(Conversation)
    assert {c.number_id for c in conversations} == {shop.credential.id, second.id}
    assert {c.contact_id for c in conversations} == {contact.id}


def test_merge_moves_campaign_rows_ai_runs_and_notifications(
    client, shop, create_contact, create_message
):
    from clickpro.models import AIReplyRun, Campaign, Notification

    by_phone = create_contact(shop, PHONE, name="Maria")
    by_phone.created_at = utcnow() - timedelta(days=1)
    by_bsuid = create_contact(shop, None, name="", bsuid=BSUID)
    by_bsuid.phone_e164 = by_bsuid.wa_id = None
    campaign = Campaign(client_id=shop.id, name="Black Friday")
    db.session.add(campaign)
    db.session.commit()
    kept_id, gone_id = by_phone.id, by_bsuid.id
    rows = {}
    for contact in (by_phone, by_bsuid):  # the same campaign reached both (phone, BSUID)
        sent = create_message(shop, contact, direction="OUT", campaign_id=campaign.id)
        inbound = create_message(shop, contact, body="quero")
        rows[contact.id] = sent.id
        db.session.add(
            AIReplyRun(client_id=shop.id, contact_id=contact.id, trigger_message_id=inbound.id,
                       after_message_id=0, message_ids=[inbound.id], status="DONE")
        )  # fmt: skip
    db.session.add(
        Notification(client_id=shop.id, kind="handoff", text="Maria pediu um atendente",
                     contact_id=gone_id)
    )  # fmt: skip
    db.session.commit()

    post(client, customer_message(bsuid=BSUID, wa_id=WA_ID))

    (contact,) = _all(Contact)
    assert contact.id == kept_id
    campaign_rows = {m.id: m.campaign_id for m in _all(Message, Message.id.in_(rows.values()))}
    # One row per (campaign, contact): the kept one stays in the campaign, the other in
    # the thread only; the merge record names it.
    assert campaign_rows == {rows[kept_id]: campaign.id, rows[gone_id]: None}
    runs = _all(AIReplyRun)
    assert {r.contact_id for r in runs} == {kept_id} and len(runs) == 2
    assert sorted(r.after_message_id for r in runs)[1] == 0  # the kept chain is untouched
    assert {n.contact_id for n in _all(Notification)} == {kept_id}
    (merge,) = _all(ContactMerge)
    assert merge.snapshot["campaign_rows_detached"] == [rows[gone_id]]
