"""Quick replies with variables: filled from the contact (name, phone, attributes); a value
the contact lacks is listed as missing (the composer asks the agent), and a reply that
still carries a placeholder is refused, so "Você é de ?" never goes out."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import Message, QuickReply
from clickpro.services.inbox.quick_replies import missing_variables, render_quick_reply

PHONE_ID = "100000000000011"


def _reply(tenant, shortcut: str, body: str) -> QuickReply:
    reply = QuickReply(client_id=tenant.id, shortcut=shortcut, body=body)
    db.session.add(reply)
    db.session.commit()
    return reply


def test_render_fills_known_values_and_keeps_the_missing(app, tenants, create_contact):
    contact = create_contact(
        tenants.a, name="Ana Paula", attributes={"cidade": " ", "plano": "Ouro"}
    )
    text = render_quick_reply(
        "Oi {{first_name}} ({{phone}}), plano {{ plano }}; {{cidade}}?", contact
    )
    assert text == f"Oi Ana ({contact.phone_e164}), plano Ouro; {{{{cidade}}}}?"
    assert missing_variables(text) == ["cidade"]  # blank attribute = no value
    assert missing_variables("Olá {{a}} {{b}} {{a}}") == ["a", "b"]
    assert missing_variables("sem variáveis") == []


def test_the_composer_list_says_what_is_missing(wired, conversation, login_as):
    contact, _ = conversation(wired.a, name="Bia", attributes={"cidade": "Recife"})
    other, _ = conversation(wired.a, name="", attributes={})
    _reply(wired.a, "cidade", "Você é de {{cidade}}, {{first_name}}?")
    http = login_as(wired.a_user, wired.a)
    [item] = http.get(f"/inbox/api/quick-replies?conversation_id={contact.id}").get_json()["items"]
    assert (item["text"], item["missing"]) == ("Você é de Recife, Bia?", [])
    [item] = http.get(f"/inbox/api/quick-replies?conversation_id={other.id}").get_json()["items"]
    assert item["text"] == "Você é de {{cidade}}, {{first_name}}?"
    assert item["missing"] == ["cidade", "first_name"]


def test_a_reply_with_an_unfilled_placeholder_is_refused(wired, conversation, login_as, sandbox):
    contact, _ = conversation(wired.a, attributes={})
    http = login_as(wired.a_user, wired.a)
    url = f"/inbox/api/conversations/{contact.id}/messages"
    response = http.post(url, json={"body": "Você é de {{cidade}}?"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "unfilled_variables"
    assert "{{cidade}}" in error["message"]
    assert error["details"]["missing"] == ["cidade"]
    assert sandbox.list_sends(PHONE_ID) == []
    assert db.session.query(Message).filter_by(direction="OUT").count() == 0
    # filled by the agent: it goes out as written
    sent = http.post(url, json={"body": "Você é de Olinda?"})
    assert sent.status_code == 201, sent.get_json()
    assert [s["type"] for s in sandbox.list_sends(PHONE_ID)] == ["text"]
    assert sent.get_json()["message"]["body"] == "Você é de Olinda?"
