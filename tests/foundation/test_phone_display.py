"""Phones read the Brazilian way everywhere one is shown (filter ``phone``)."""

from __future__ import annotations

import pytest

from clickpro.extensions import db
from clickpro.models import OptOut
from clickpro.web import format_phone


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+5511955550001", "+55 11 95555-0001"),  # mobile
        ("+551133334444", "+55 11 3333-4444"),  # landline
        ("+12025550123", "+1 202-555-0123"),  # foreign: international format
        ("+351912345678", "+351 912 345 678"),
        ("5511955550001", "+55 11 95555-0001"),  # a wa_id without the plus
        ("+55 11 3000-0000", "+55 11 3000-0000"),  # Meta's display number as it comes
        ("+5511", "+5511"),  # not a number: shown unchanged, never an error
        ("", ""),
        (None, ""),
    ],
)
def test_format_phone(stored, shown):
    assert format_phone(stored) == shown


def test_pages_show_formatted_phones(create_client, login_as, create_contact, create_list,
                                     create_whatsapp_credential):  # fmt: skip
    tenant = create_client("Loja Fones")
    web = login_as(tenant.admin, tenant)
    mobile = create_contact(tenant, phone="+5511955550001", name="Ana")
    landline = create_contact(tenant, phone="+551133334444", name="")
    foreign = create_contact(tenant, phone="+12025550123", name="Joe")
    lst = create_list(tenant, contacts=[mobile, landline, foreign])
    db.session.add(OptOut(client_id=tenant.id, phone_e164="+5521966660002", source="manual"))
    db.session.commit()
    create_whatsapp_credential(tenant, {"access_token": "sandbox-token", "waba_id": "100000000000001",
                                        "phone_number_id": "100000000000011",
                                        "display_phone_number": "+551130000000"})  # fmt: skip
    contacts = web.get("/contacts").get_data(as_text=True)
    for shown in ("+55 11 95555-0001", "+55 11 3333-4444", "+1 202-555-0123"):
        assert shown in contacts
    assert "+5511955550001<" not in contacts
    assert "+55 11 95555-0001" in web.get(f"/contacts/{mobile.id}").get_data(as_text=True)
    nameless = web.get(f"/contacts/{landline.id}").get_data(as_text=True)
    assert "<title>+55 11 3333-4444" in nameless or "+55 11 3333-4444" in nameless
    assert "+1 202-555-0123" in web.get(f"/contacts/lists/{lst.id}").get_data(as_text=True)
    assert "+55 21 96666-0002" in web.get("/contacts/opt-outs").get_data(as_text=True)
    assert "+55 11 3000-0000" in web.get("/credentials").get_data(as_text=True)


def test_inbox_scripts_format_phones():
    """Conversation names and the contact panel show a phone only through formatPhone
    (i18n.js) or the server's ``contact_label`` (phone already formatted, else @username,
    issue 16): never ``c.phone`` raw."""
    import re
    from pathlib import Path

    js = Path(__file__).parents[2] / "clickpro/static/js"
    conversations = (js / "inbox/conversations.js").read_text()
    panel = (js / "inbox/panel.js").read_text()
    assert "c.contact_label || formatPhone(c.phone)" in conversations
    assert "c.name || c.contact_label;" in panel  # the thread's name
    assert '$("thread-phone").textContent = c.contact_label' in panel  # the thread's header
    assert "c.phone ? formatPhone(c.phone)" in panel  # the side panel's phone row
    for text in (conversations, panel):
        uses = re.findall(r"[\w.(]*\bc\.phone\b\)?", text)
        assert set(uses) <= {"formatPhone(c.phone)", "c.phone"}, uses
        bare = len(re.findall(r"\bc\.phone\b", text)) - text.count("formatPhone(c.phone)")
        assert bare == text.count("c.phone ? formatPhone(c.phone)")  # only the test for one
    assert "export function formatPhone" in (js / "i18n.js").read_text()


def test_inbox_api_labels_a_phone_contact_with_the_formatted_phone(
    create_client, login_as, create_contact, create_conversation
):
    tenant = create_client("Loja Fones")
    web = login_as(tenant.admin, tenant)
    contact = create_contact(tenant, phone="+5511955550001", name="")
    conversation = create_conversation(tenant, contact)
    item = web.get(f"/inbox/api/conversations/{conversation.id}").get_json()
    item = item.get("conversation", item)
    assert item["contact_label"] == "+55 11 95555-0001"
    assert "+5511955550001" not in item["contact_label"]
