"""Search ignores accents and case: "tenis" finds "Tênis" and "tênis" finds "Tenis".

PostgreSQL through ``unaccent`` (the extension the migration and the test schema create),
SQLite through the Python ``unaccent`` registered on its connections; contacts search and
the inbox (conversation list by name or message text, and message search).
"""

from __future__ import annotations

import pytest

from clickpro.models.base import utcnow
from clickpro.services.contacts.service import ContactFilters, search_contacts
from clickpro.services.inbox import service as inbox


@pytest.fixture
def shop(create_client, create_contact, create_message):
    tenant = create_client("Loja Acentos")
    other = create_client("Outra Loja")
    now = utcnow()
    accented = create_contact(tenant, name="Tênis Clube São João", last_message_at=now)
    plain = create_contact(tenant, name="Tenis Bar Joao", last_message_at=now)
    upper = create_contact(tenant, name="JOSÉ AÇÃO", last_message_at=now)
    create_contact(other, name="Tênis de outra loja", last_message_at=now)
    create_message(tenant, accented, body="Quero a promoção do tênis azul")
    create_message(tenant, plain, body="Vocês fazem entrega em Goiânia?")
    return tenant, accented, plain, upper


def names(page) -> set[str]:
    return {c.name for c in page.items}


def test_contacts_search_ignores_accents(shop):
    tenant, accented, plain, upper = shop
    both = {accented.name, plain.name}
    assert names(search_contacts(tenant.id, ContactFilters(q="tenis"))) == both
    assert names(search_contacts(tenant.id, ContactFilters(q="tênis"))) == both
    assert names(search_contacts(tenant.id, ContactFilters(q="TÊNIS"))) == both
    assert names(search_contacts(tenant.id, ContactFilters(q="são joão"))) == {accented.name}
    assert names(search_contacts(tenant.id, ContactFilters(q="sao joao"))) == {accented.name}
    assert names(search_contacts(tenant.id, ContactFilters(q="jose acao"))) == {upper.name}
    assert names(search_contacts(tenant.id, ContactFilters(q="50%"))) == set()


def test_contacts_page_search(shop, login_as):
    tenant, accented, plain, _upper = shop
    page = login_as(tenant.admin, tenant).get("/contacts?q=tenis").get_data(as_text=True)
    assert accented.name in page and plain.name in page and "outra loja" not in page


def test_inbox_search_ignores_accents(shop):
    tenant, accented, plain, _upper = shop
    by_name = inbox.list_conversations(tenant.id, inbox.ConversationQuery(q="tenis"))
    assert {c.id for c in by_name.items} == {accented.id, plain.id}
    by_body = inbox.list_conversations(tenant.id, inbox.ConversationQuery(q="promocao"))
    assert [c.id for c in by_body.items] == [accented.id]
    by_body = inbox.list_conversations(tenant.id, inbox.ConversationQuery(q="goiania"))
    assert [c.id for c in by_body.items] == [plain.id]
    found = inbox.search_messages(tenant.id, "TENIS AZUL")
    assert [m.body for m in found] == ["Quero a promoção do tênis azul"]
    assert inbox.search_messages(tenant.id, "entrega em goiânia")[0].contact_id == plain.id
