"""Read side of the inbox: cursor pagination, search and filters (service layer).

A conversation is a contact on one of the client's numbers (``conversations``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clickpro.extensions import db
from clickpro.models import Contact, ContactLabel, Label, OptOut
from clickpro.models.base import utcnow
from clickpro.services.inbox import service as inbox
from clickpro.services.inbox.service import ConversationQuery


def test_message_cursor_pages_cover_every_message_once_in_order(
    tenants, create_contact, create_conversation, bulk_messages
):
    conv = create_conversation(tenants.a, create_contact(tenants.a))
    other = create_conversation(tenants.a, create_contact(tenants.a))
    bulk_messages(tenants.a, conv, 2000)
    bulk_messages(tenants.a, other, 30)  # interleaved conversation must not leak in

    first = inbox.load_messages(conv)
    assert len(first.items) == 50
    assert [m.body for m in first.items][-1] == "mensagem número 1999"
    seen = [m.id for m in first.items]
    cursor = first.next_cursor
    pages = 1
    while cursor:
        page = inbox.load_messages(conv, before_id=int(cursor), limit=200)
        assert all(m.id < int(cursor) for m in page.items)
        seen = [m.id for m in page.items] + seen
        cursor = page.next_cursor
        pages += 1
    assert len(seen) == 2000 == len(set(seen))
    assert seen == sorted(seen)
    assert pages == 1 + 10  # 1,950 remaining rows at 200 per page


def test_two_numbers_give_one_contact_two_separate_threads(
    tenants, conversation, message_in, create_whatsapp_credential
):
    sales = create_whatsapp_credential(tenants.a, display_name="Vendas")
    support = create_whatsapp_credential(
        tenants.a,
        {"access_token": "t2", "waba_id": "100000000000002", "phone_number_id": "100000000000012"},
        display_name="Suporte",
    )
    on_sales, _ = conversation(tenants.a, number=sales, body="quero comprar")
    contact = db.session.get(Contact, on_sales.contact_id)
    on_support, _ = conversation(tenants.a, number=support, contact=contact, body="deu defeito")
    message_in(on_support, body="a tela não liga")

    assert on_sales.id != on_support.id and on_sales.contact_id == on_support.contact_id
    listed = inbox.list_conversations(tenants.a.id).items
    assert {c.id for c in listed} == {on_sales.id, on_support.id}
    assert [m.body for m in inbox.load_messages(on_sales).items] == ["quero comprar"]
    assert [m.body for m in inbox.load_messages(on_support).items] == [
        "deu defeito",
        "a tela não liga",
    ]
    # the number filter
    by_number = inbox.list_conversations(tenants.a.id, ConversationQuery(number_id=support.id))
    assert [c.id for c in by_number.items] == [on_support.id]
    # search by text finds only the conversation that holds it
    hits = inbox.list_conversations(tenants.a.id, ConversationQuery(q="tela"))
    assert [c.id for c in hits.items] == [on_support.id]
    # an old contact link goes to the most recent of its conversations
    assert inbox.latest_conversation(tenants.a.id, contact.id).id == on_support.id
    assert inbox.latest_conversation(tenants.b.id, contact.id) is None


def test_conversation_keyset_pagination_with_equal_timestamps(
    tenants, create_contact, create_conversation
):
    same = utcnow() - timedelta(hours=1)
    convs = [
        create_conversation(
            tenants.a,
            create_contact(tenants.a),
            last_message_at=same if n % 3 else same - timedelta(minutes=n),
        )
        for n in range(37)
    ]
    create_conversation(tenants.a, create_contact(tenants.a))  # never messaged: not listed
    create_conversation(tenants.b, create_contact(tenants.b), last_message_at=same)

    ids, cursor = [], None
    while True:
        page = inbox.list_conversations(tenants.a.id, ConversationQuery(cursor=cursor, limit=10))
        ids += [c.id for c in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(ids) == sorted(c.id for c in convs)
    assert len(ids) == len(set(ids))
    keys = [(c.last_message_at, c.id) for c in sorted(convs, key=lambda c: ids.index(c.id))]
    assert keys == sorted(keys, reverse=True)


def test_bad_cursor_is_a_clear_error(tenants):
    with pytest.raises(inbox.InboxQueryError):
        inbox.list_conversations(tenants.a.id, ConversationQuery(cursor="not-a-cursor"))


def test_search_by_body_name_username_and_number(tenants, conversation, message_in):
    maria, _ = conversation(tenants.a, name="Maria Souza", phone="+5511987654321", body="Oi")
    joao, _ = conversation(tenants.a, name="João", phone="+5521912345678", body="Olá")
    message_in(joao, body="Quero o boleto do pedido 4471")
    nick, _ = conversation(tenants.a, name="", username="lojista.sp", bsuid="BR.1502576394655843")
    username_only = db.session.get(Contact, nick.contact_id)
    username_only.phone_e164 = username_only.wa_id = None  # no counter-made phone to match
    db.session.commit()
    conversation(tenants.b, name="Maria da Loja B", phone="+5511911112222", body="boleto")

    def found(q: str) -> set[int]:
        return {c.id for c in inbox.list_conversations(tenants.a.id, ConversationQuery(q=q)).items}

    assert found("boleto") == {joao.id}
    assert found("BOLETO do") == {joao.id}  # case-insensitive
    assert found("maria") == {maria.id}
    assert found("Ma") == {maria.id}  # short terms search names/numbers only
    assert found("98765") == {maria.id}  # number digits
    assert found("(21) 91234") == {joao.id}  # formatted number
    assert found("100%") == set()  # LIKE wildcards are literal
    assert found("_") == set()
    assert found("lojista") == {nick.id}  # username, with or without the @
    assert found("@lojista.sp") == {nick.id}
    hits = inbox.search_messages(tenants.a.id, "pedido 44")
    assert [m.contact_id for m in hits] == [joao.contact_id]
    with pytest.raises(inbox.InboxQueryError):
        inbox.search_messages(tenants.a.id, "a")


def test_filters(tenants, conversation, message_in, create_member):
    agent = tenants.a_user
    unread, _ = conversation(tenants.a, unread_count=3)
    mine, _ = conversation(tenants.a, unread_count=0, assigned_user_id=agent.id)
    human, _ = conversation(tenants.a, unread_count=0, ai_paused=True)
    ai, _ = conversation(tenants.a, unread_count=0)
    message_in(ai, direction="OUT", author="AI", body="Posso ajudar?")
    opted, _ = conversation(tenants.a, unread_count=0, phone="+5511955550000")
    db.session.add(OptOut(client_id=tenants.a.id, phone_e164="+5511955550000", source="keyword"))
    by_bsuid, _ = conversation(tenants.a, unread_count=0, phone=None, bsuid="BR.77001")
    db.session.add(OptOut(client_id=tenants.a.id, bsuid="BR.77001", source="keyword"))
    resolved, _ = conversation(tenants.a, unread_count=0, status="RESOLVED")
    label = Label(client_id=tenants.a.id, name="VIP")
    db.session.add(label)
    db.session.flush()
    db.session.add(ContactLabel(contact_id=resolved.contact_id, label_id=label.id))
    db.session.commit()

    def ids(**kw) -> set[int]:
        query = ConversationQuery(user_id=agent.id, **kw)
        return {c.id for c in inbox.list_conversations(tenants.a.id, query).items}

    assert ids(filters=("unread",)) == {unread.id}
    assert ids(filters=("mine",)) == {mine.id}
    assert ids(filters=("human",)) == {human.id}
    assert ids(filters=("ai",)) == {ai.id}
    assert ids(filters=("opted_out",)) == {opted.id, by_bsuid.id}
    assert ids(label_id=label.id) == {resolved.id}
    assert ids(status="RESOLVED") == {resolved.id}
    assert resolved.id not in ids(status="OPEN")
    assert ids(filters=("unread", "mine")) == set()
    with pytest.raises(inbox.InboxQueryError):
        ids(filters=("nope",))


def test_campaign_replies_and_date_range(tenants, conversation, message_in, create_template):
    from clickpro.models import Campaign

    template = create_template(tenants.a)
    campaign = Campaign(client_id=tenants.a.id, name="Black Friday", template_id=template.id)
    db.session.add(campaign)
    db.session.commit()
    replied, _ = conversation(tenants.a, minutes_ago=5)
    message_in(
        replied,
        direction="OUT",
        author="CAMPAIGN",
        campaign_id=campaign.id,
        created_at=utcnow() - timedelta(hours=2),
    )
    silent, _ = conversation(tenants.a, minutes_ago=60 * 24 * 10)
    message_in(
        silent,
        direction="OUT",
        author="CAMPAIGN",
        campaign_id=campaign.id,
        created_at=utcnow() - timedelta(days=2),
    )
    ids = {
        c.id
        for c in inbox.list_conversations(
            tenants.a.id, ConversationQuery(filters=("campaign",))
        ).items
    }
    assert ids == {replied.id}

    today = utcnow().date()
    recent = ConversationQuery(
        date_from=today - timedelta(days=1), date_to=today + timedelta(days=1)
    )
    old = ConversationQuery(date_from=date(2000, 1, 1), date_to=today - timedelta(days=5))
    assert {c.id for c in inbox.list_conversations(tenants.a.id, recent).items} == {replied.id}
    assert {c.id for c in inbox.list_conversations(tenants.a.id, old).items} == {silent.id}


def test_updates_since_returns_new_messages_and_status_moves(tenants, conversation, message_in):
    conv, first = conversation(tenants.a)
    mark = utcnow()
    out = message_in(conv, direction="OUT", body="resposta", status="SENT")
    conversation(tenants.b)  # other client: never in A's catch-up
    result = inbox.updates_since(tenants.a.id, since_id=first.id)
    assert [m.id for m in result.messages] == [out.id]
    assert [c.id for c in result.conversations] == [conv.id]
    assert result.last_id == out.id
    # a status move on an old message shows up through ``since``
    out.status = "READ"
    db.session.commit()
    result = inbox.updates_since(tenants.a.id, since_id=out.id, since=mark)
    assert [m.id for m in result.messages] == [out.id]
    assert result.messages[0].status == "READ"
