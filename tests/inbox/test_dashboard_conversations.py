"""The dashboard counts conversations (one per contact per number), not contacts."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import Contact
from clickpro.services.dashboard import figures_for


def test_unread_conversations_are_counted_per_number(
    tenants, conversation, create_whatsapp_credential, login_as
):
    sales = create_whatsapp_credential(tenants.a, display_name="Vendas")
    support = create_whatsapp_credential(
        tenants.a,
        {"access_token": "t2", "waba_id": "100000000000002", "phone_number_id": "100000000000012"},
        display_name="Suporte",
    )
    on_sales, _ = conversation(tenants.a, number=sales, unread_count=2)
    contact = db.session.get(Contact, on_sales.contact_id)
    conversation(tenants.a, number=support, contact=contact, unread_count=1)
    conversation(tenants.a, number=sales, unread_count=0)  # read: not counted
    conversation(tenants.b, unread_count=5)  # another client

    assert figures_for(tenants.a).unread_conversations == 2
    assert figures_for(tenants.b).unread_conversations == 1
    page = login_as(tenants.a.admin, tenants.a).get("/")
    assert page.status_code == 200
    assert 'data-testid="unread-count">2<' in page.get_data(as_text=True)
