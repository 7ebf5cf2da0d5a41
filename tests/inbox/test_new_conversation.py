"""“Nova conversa”: contact or typed number, number of the client, template outside the
window (only that number's WABA), free text inside it; 400s and tenancy."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Message, OptOut

PHONE_ID = "100000000000011"
WABA = "100000000000001"


def _sends(sandbox):
    return sandbox.list_sends(PHONE_ID)


def _template(approved_template, tenant, waba=WABA, name="retomar_contato"):
    template = approved_template(tenant, name)
    template.waba_id = waba
    db.session.commit()
    return template


def _number(tenant):
    from clickpro.services.conversations import first_number

    return first_number(tenant.id)


def test_new_number_gets_a_template_and_lands_in_its_conversation(
    wired, login_as, sandbox, approved_template
):
    template = _template(approved_template, wired.a)
    number = _number(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = http.post(
        "/inbox/api/new-conversation",
        json={
            "number_id": number.id,
            "phone": "(11) 98765-4321",
            "name": "Rita Souza",
            "template_id": template.id,
            "values": {"body": ["Rita"]},
        },
    )
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    contact = db.session.query(Contact).filter_by(client_id=wired.a.id).one()
    assert contact.phone_e164 == "+5511987654321" and contact.name == "Rita Souza"
    conv = db.session.get(Conversation, data["conversation_id"])
    assert (conv.contact_id, conv.number_id) == (contact.id, number.id)
    assert data["url"] == f"/inbox/c/{conv.id}" and data["created_contact"] is True
    assert data["message"]["type"] == "template"
    assert data["message"]["body"].startswith("Olá Rita")
    sends = _sends(sandbox)
    assert len(sends) == 1 and sends[0]["type"] == "template"
    assert sends[0]["to"] == "5511987654321"
    assert http.get(data["url"]).status_code == 200
    # the same number again: the existing contact and conversation, no duplicate
    again = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "phone": "11987654321", "template_id": template.id,
              "values": {"body": ["Rita"]}},
    )  # fmt: skip
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["conversation_id"] == conv.id
    assert again.get_json()["created_contact"] is False
    assert db.session.query(Contact).filter_by(client_id=wired.a.id).count() == 1


def test_inside_the_window_free_text_goes_out(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    state = http.get(
        f"/inbox/api/new-conversation/state?number_id={conv.number_id}&contact_id={conv.contact_id}"
    ).get_json()
    assert state["window_open"] is True and state["conversation_id"] == conv.id
    response = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": conv.number_id, "contact_id": conv.contact_id, "text": "Oi de novo"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["conversation_id"] == conv.id
    assert response.get_json()["message"]["body"] == "Oi de novo"
    assert [s["type"] for s in _sends(sandbox)] == ["text"]


def test_clear_400s(wired, create_contact, login_as, sandbox, approved_template):
    number = _number(wired.a)
    http = login_as(wired.a_user, wired.a)
    # invalid number
    bad = http.post("/inbox/api/new-conversation", json={"number_id": number.id, "phone": "123"})
    assert bad.status_code == 400
    assert "Número inválido" in bad.get_json()["error"]["message"]
    # no approved template of that number's WABA (another WABA's does not count)
    _template(approved_template, wired.a, waba="999999999999999", name="outra_waba")
    contact = create_contact(wired.a)
    none = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "contact_id": contact.id, "text": "Oi"},
    )
    assert none.status_code == 400
    assert "nenhum modelo aprovado" in none.get_json()["error"]["message"]
    # the picker lists only this number's WABA's templates
    assert http.get(f"/inbox/api/templates?number_id={number.id}").get_json()["items"] == []
    mine = _template(approved_template, wired.a)
    listed = http.get(f"/inbox/api/templates?number_id={number.id}").get_json()["items"]
    assert [t["id"] for t in listed] == [mine.id]
    # a template of another WABA is refused by id too
    other = db.session.query(type(mine)).filter_by(name="outra_waba").one()
    refused = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "contact_id": contact.id, "template_id": other.id,
              "values": {"body": ["x"]}},
    )  # fmt: skip
    assert refused.status_code == 400
    # opted-out contact
    db.session.add(OptOut(client_id=wired.a.id, phone_e164=contact.phone_e164))
    db.session.commit()
    opted = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "contact_id": contact.id, "template_id": mine.id,
              "values": {"body": ["x"]}},
    )  # fmt: skip
    assert opted.status_code == 400
    assert "descadastrado" in opted.get_json()["error"]["message"]
    assert _sends(sandbox) == []
    assert db.session.query(Message).filter_by(direction="OUT").count() == 0


def test_another_clients_contact_number_or_template_is_404(
    wired, create_contact, login_as, sandbox, approved_template, create_whatsapp_credential,
    create_template,
):  # fmt: skip
    number = _number(wired.a)
    mine = _template(approved_template, wired.a)
    theirs_contact = create_contact(wired.b)
    theirs_number = create_whatsapp_credential(
        wired.b, {"access_token": "t", "waba_id": "5", "phone_number_id": "55555"}
    )
    theirs_template = create_template(wired.b, waba_id=WABA)
    http = login_as(wired.a_user, wired.a)
    own_contact = create_contact(wired.a)
    cases = [
        {"number_id": number.id, "contact_id": theirs_contact.id, "template_id": mine.id},
        {"number_id": theirs_number.id, "contact_id": own_contact.id, "template_id": mine.id},
        {"number_id": number.id, "contact_id": own_contact.id, "template_id": theirs_template.id},
    ]
    for body in cases:
        response = http.post(
            "/inbox/api/new-conversation", json={**body, "values": {"body": ["x"]}}
        )
        assert response.status_code == 404, (body, response.get_json())
    state = http.get(
        f"/inbox/api/new-conversation/state?number_id={number.id}&contact_id={theirs_contact.id}"
    )
    assert state.status_code == 404
    assert http.get(f"/inbox/api/templates?number_id={theirs_number.id}").status_code == 404
    hits = http.get("/inbox/api/new-conversation/contacts?q=").get_json()["items"]
    assert theirs_contact.id not in [h["id"] for h in hits]
    assert _sends(sandbox) == []


def test_typed_bsuid_gets_a_template_sent_with_recipient_never_to(
    wired, login_as, sandbox, approved_template
):
    """A username user known only by a BSUID typed by the agent (no contact yet): the
    template goes with ``recipient`` (a BSUID in ``to`` is accepted by Meta but never
    delivered), the contact is created with that BSUID, typing it again reuses it."""
    template = _template(approved_template, wired.a)
    number = _number(wired.a)
    http = login_as(wired.a_user, wired.a)
    bsuid = "BR.ENT.7f3a9c2e41"
    response = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "bsuid": f"  {bsuid} ", "name": "Bia Usuária",
              "template_id": template.id, "values": {"body": ["Bia"]}},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    contact = db.session.query(Contact).filter_by(client_id=wired.a.id).one()
    assert (contact.bsuid, contact.phone_e164, contact.name) == (bsuid, None, "Bia Usuária")
    conv = db.session.get(Conversation, data["conversation_id"])
    assert (conv.contact_id, conv.number_id) == (contact.id, number.id)
    assert data["created_contact"] is True and data["message"]["type"] == "template"
    [send] = _sends(sandbox)
    assert send["type"] == "template" and send["template"] == "retomar_contato"
    assert send["recipient"] == bsuid and send["to"] is None and not send["dropped"]
    stored = db.session.get(Message, data["message"]["id"])
    assert stored.wamid == send["wamid"] and stored.contact_id == contact.id
    again = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "bsuid": bsuid, "template_id": template.id,
              "values": {"body": ["Bia"]}},
    )  # fmt: skip
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["conversation_id"] == conv.id
    assert again.get_json()["created_contact"] is False
    assert [s["recipient"] for s in _sends(sandbox)] == [bsuid, bsuid]
    assert all(s["to"] is None for s in _sends(sandbox))
    # a malformed BSUID: a 400 on the field, nothing sent
    bad = http.post(
        "/inbox/api/new-conversation",
        json={"number_id": number.id, "bsuid": "not a bsuid", "template_id": template.id,
              "values": {"body": ["X"]}},
    )  # fmt: skip
    assert bad.status_code == 400 and len(_sends(sandbox)) == 2
