"""Inbox HTTP API: replies and the 24-hour window, read receipts, team tools, tenancy.

Routes are keyed by conversation id (a contact on one of the client's numbers)."""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.models import Contact, Conversation, Label, Message, Role

PHONE_ID = "100000000000011"


def _sends(sandbox, kind=None):
    sends = sandbox.list_sends(PHONE_ID)
    return [s for s in sends if kind is None or s.get("type") == kind]


def test_reply_with_window_open_is_sent_and_pauses_ai(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    contact = db.session.get(Contact, conv.contact_id)
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{conv.id}/messages", json={"body": "Olá!"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["message"]
    assert data["status"] == "SENT" and data["author"] == "AGENT"
    assert data["author_label"] == wired.a_user.name
    row = db.session.get(Message, data["id"])
    assert row.wamid and row.agent_id == wired.a_user.id
    assert (row.number_id, row.conversation_id) == (conv.number_id, conv.id)
    assert [s["to"] for s in _sends(sandbox)] == [contact.wa_id]
    db.session.refresh(conv)
    assert conv.ai_paused is True


def test_free_text_with_window_closed_is_refused_server_side(
    wired, conversation, login_as, sandbox, approved_template
):
    contact, _ = conversation(wired.a, minutes_ago=25 * 60)  # the conversation
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{contact.id}/messages", json={"body": "Oi"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "window_closed"
    assert "janela de 24 horas" in error["message"]
    assert error["details"]["text"] == [error["message"]]
    assert _sends(sandbox) == []
    assert db.session.query(Message).filter_by(direction="OUT").count() == 0
    # media is free-form too
    response = http.post(
        f"/inbox/api/conversations/{contact.id}/media",
        data={"file": (__import__("io").BytesIO(b"%PDF-1.4"), "a.pdf", "application/pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "window_closed"

    # the template fallback goes through
    template = approved_template(wired.a)
    listed = http.get("/inbox/api/templates").get_json()["items"]
    assert [t["id"] for t in listed] == [template.id]
    assert listed[0]["slots"]["body"] == 1
    response = http.post(
        f"/inbox/api/conversations/{contact.id}/template",
        json={"template_id": template.id, "values": {"body": ["Maria"]}},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["message"]["body"].startswith("Olá Maria")
    assert len(_sends(sandbox)) == 1
    # a template with a missing variable is a clear 422, not a 500
    response = http.post(
        f"/inbox/api/conversations/{contact.id}/template",
        json={"template_id": template.id, "values": {}},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert response.get_json()["error"]["message"]


def test_other_clients_conversation_is_404_on_every_inbox_route(
    wired, conversation, login_as, sandbox, approved_template
):
    conv_b, inbound_b = conversation(wired.b)
    template = approved_template(wired.a)
    http = login_as(wired.a_user, wired.a)
    base = f"/inbox/api/conversations/{conv_b.id}"
    assert http.get(f"/inbox/c/{conv_b.id}").status_code == 404
    assert http.get(f"/inbox/?contact={conv_b.contact_id}").status_code == 404
    assert http.get(base).status_code == 404
    assert http.get(base + "/messages").status_code == 404
    assert http.get(f"/inbox/api/quick-replies?conversation_id={conv_b.id}").status_code == 404
    posts = {
        "/messages": {"body": "x"},
        "/notes": {"body": "x"},
        "/read": {},
        "/assign": {"user_id": "me"},
        "/labels": {"label_ids": []},
        "/status": {"status": "RESOLVED"},
        "/ai": {"paused": True},
        "/template": {"template_id": template.id, "values": {"body": ["x"]}},
    }
    for path, body in posts.items():
        assert http.post(base + path, json=body).status_code == 404, path
    upload = {"file": (__import__("io").BytesIO(b"%PDF-1.4"), "a.pdf", "application/pdf")}
    media = http.post(base + "/media", data=upload, content_type="multipart/form-data")
    assert media.status_code == 404
    assert http.get(f"/inbox/media/{inbound_b.id}").status_code == 404
    listed = http.get("/inbox/api/conversations").get_json()["items"]
    assert conv_b.id not in [c["id"] for c in listed]
    assert _sends(sandbox) == []
    db.session.refresh(conv_b)
    assert conv_b.status == "OPEN" and conv_b.unread_count == 1 and not conv_b.ai_paused
    assert db.session.query(Message).filter_by(client_id=wired.b.id).count() == 1


def test_two_numbers_reply_goes_out_from_the_conversations_number(
    wired, conversation, login_as, sandbox, second_number
):
    support = second_number(wired.a, "Suporte")
    on_first, _ = conversation(wired.a, name="Rita", body="quero comprar")
    contact = db.session.get(Contact, on_first.contact_id)
    on_support, _ = conversation(wired.a, number=support, contact=contact, body="deu defeito")
    http = login_as(wired.a_user, wired.a)

    listed = http.get("/inbox/api/conversations").get_json()["items"]
    assert {c["id"] for c in listed} == {on_first.id, on_support.id}
    assert {c["contact_id"] for c in listed} == {contact.id}
    names = {c["id"]: (c["number_name"], c["phone_number_id"]) for c in listed}
    assert names[on_support.id] == ("Suporte", support.phone_number_id)
    assert names[on_first.id][1] == PHONE_ID
    only = http.get(f"/inbox/api/conversations?number={support.id}").get_json()["items"]
    assert [c["id"] for c in only] == [on_support.id]

    thread = http.get(f"/inbox/api/conversations/{on_support.id}/messages").get_json()["items"]
    assert [m["body"] for m in thread] == ["deu defeito"]
    response = http.post(
        f"/inbox/api/conversations/{on_support.id}/messages", json={"body": "Vamos trocar."}
    )
    assert response.status_code == 201, response.get_json()
    sent = db.session.get(Message, response.get_json()["message"]["id"])
    assert (sent.number_id, sent.conversation_id) == (support.id, on_support.id)
    from_support = sandbox.list_sends(support.phone_number_id)
    assert [(s["wamid"], s["to"]) for s in from_support] == [(sent.wamid, contact.wa_id)]
    assert _sends(sandbox) == []  # nothing from the first number
    assert db.session.get(Conversation, on_support.id).ai_paused is True
    assert db.session.get(Conversation, on_first.id).ai_paused is False
    first_thread = http.get(f"/inbox/api/conversations/{on_first.id}/messages").get_json()
    assert [m["body"] for m in first_thread["items"]] == ["quero comprar"]

    # deep link and the old contact link
    page = http.get(f"/inbox/c/{on_support.id}")
    assert page.status_code == 200 and 'data-multi-number="1"' in page.get_data(as_text=True)
    assert 'data-testid="number-filter"' in page.get_data(as_text=True)
    old = http.get(f"/inbox/?contact={contact.id}")
    assert old.status_code == 302 and old.headers["Location"].endswith(f"/inbox/c/{on_support.id}")


def test_open_conversation_sends_read_receipt_and_zeroes_unread(
    wired, conversation, login_as, sandbox, message_in
):
    conv, first = conversation(wired.a, unread_count=2)
    last = message_in(conv, body="segunda", wamid="wamid.last")
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{conv.id}/read", json={})
    assert response.status_code == 200
    assert response.get_json()["conversation"]["unread_count"] == 0
    assert sandbox.read_marks == [last.wamid]
    db.session.refresh(conv)
    assert conv.unread_count == 0


def test_internal_note_is_stored_never_sent(wired, conversation, login_as, sandbox):
    contact, _ = conversation(wired.a, minutes_ago=48 * 60)  # works even with window closed
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{contact.id}/notes", json={"body": "VIP"})
    assert response.status_code == 201
    note = db.session.get(Message, response.get_json()["message"]["id"])
    assert note.is_internal_note and note.author == "AGENT" and note.wamid is None
    assert _sends(sandbox) == []
    assert (
        http.post(f"/inbox/api/conversations/{contact.id}/notes", json={"body": " "}).status_code
        == 422
    )


def test_assign_labels_resolve_and_ai_toggle(wired, conversation, login_as, create_member):
    contact, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    base = f"/inbox/api/conversations/{contact.id}"
    assert (
        http.post(base + "/assign", json={"user_id": "me"}).get_json()["conversation"][
            "assigned_user_id"
        ]
        == wired.a_user.id
    )
    mine = http.get("/inbox/api/conversations?filter=mine").get_json()["items"]
    assert [c["id"] for c in mine] == [contact.id]
    # a user of another client cannot be assigned
    assert http.post(base + "/assign", json={"user_id": wired.b_user.id}).status_code == 422

    label = http.post("/inbox/api/labels", json={"name": "Suporte"}).get_json()["label"]
    other = Label(client_id=wired.b.id, name="B")
    db.session.add(other)
    db.session.commit()
    assert http.post(base + "/labels", json={"label_ids": [other.id]}).status_code == 404
    conv = http.post(base + "/labels", json={"label_ids": [label["id"]]}).get_json()
    assert [lbl["name"] for lbl in conv["conversation"]["labels"]] == ["Suporte"]
    filtered = http.get(f"/inbox/api/conversations?label={label['id']}").get_json()["items"]
    assert [c["id"] for c in filtered] == [contact.id]

    assert http.post(base + "/status", json={"status": "RESOLVED"}).status_code == 200
    assert http.get("/inbox/api/conversations?status=OPEN").get_json()["items"] == []
    assert http.post(base + "/status", json={"status": "OPEN"}).status_code == 200
    assert http.post(base + "/status", json={"status": "??"}).status_code == 422

    assert http.post(base + "/ai", json={"paused": True}).get_json()["conversation"]["ai_paused"]
    refused = http.post(base + "/ai", json={"paused": "yes"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["paused"]
    assert db.session.get(Conversation, contact.id).ai_paused is True


def test_quick_replies_admin_page_and_rendering(wired, conversation, login_as):
    contact, _ = conversation(wired.a, name="Ana Paula", attributes={"cidade": "Recife"})
    http = login_as(wired.a_user, wired.a)
    assert http.get("/inbox/quick-replies").status_code == 403  # agents use, admins manage
    http = login_as(wired.a.admin, wired.a)
    response = http.post(
        "/inbox/quick-replies",
        data={"shortcut": "/oi", "body": "Olá {{first_name}}, de {{ cidade }}? {{nada}}"},
    )
    assert response.status_code == 302
    dup = http.post("/inbox/quick-replies", data={"shortcut": "oi", "body": "x"})
    assert dup.status_code == 200 and "já existe" in dup.get_data(as_text=True)
    items = http.get(f"/inbox/api/quick-replies?conversation_id={contact.id}").get_json()["items"]
    # a variable the contact has no value for stays, listed in "missing" (the composer asks)
    assert [(i["shortcut"], i["text"], i["missing"]) for i in items] == [
        ("oi", "Olá Ana, de Recife? {{nada}}", ["nada"])
    ]


def test_old_media_address_redirects_to_the_store_tenant_checked(
    wired, conversation, login_as, sandbox, message_in
):
    """``/inbox/media/<id>`` no longer fetches Meta on every view: it sends the member to
    the stored copy at ``/media/<id>``; another client's id is a 404 before any redirect."""
    conv, _ = conversation(wired.a)
    media_id = sandbox.add_media(b"\x89PNG fake", "image/png")
    message = message_in(conv, type="image", body="foto", media_id=media_id)
    http = login_as(wired.a_user, wired.a)
    response = http.get(f"/inbox/media/{message.id}")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/media/{message.id}")
    login_as(wired.b_user, wired.b)
    assert http.get(f"/inbox/media/{message.id}").status_code == 404
    assert http.get(f"/media/{message.id}").status_code == 404


def test_location_and_author_labels(wired, conversation, login_as, message_in):
    contact, _ = conversation(wired.a, name="Bia")
    message_in(
        contact,
        type="location",
        body="Loja",
        payload={"type": "location", "location": {"latitude": -23.5, "longitude": -46.6}},
    )
    message_in(contact, direction="OUT", author="AI", body="Resposta da IA")
    http = login_as(wired.a_user, wired.a)
    items = http.get(f"/inbox/api/conversations/{contact.id}/messages").get_json()["items"]
    assert [i["author_label"] for i in items] == ["Bia", "Bia", "IA"]
    assert items[1]["location"]["url"].startswith("https://www.openstreetmap.org/?mlat=-23.5")


def test_page_renders_and_needs_login(wired, client, login_as, create_member):
    assert client.get("/inbox/").status_code == 302
    http = login_as(wired.a_user, wired.a)
    page = http.get("/inbox/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "js/inbox.js" in html and "socket.io.min.js" in html and 'id="bell-count"' in html
    admin_only = create_member(wired.a, Role.CLIENT_ADMIN)
    assert login_as(admin_only, wired.a).get("/inbox/").status_code == 200


def test_bad_parameters_are_4xx_not_500(wired, login_as):
    http = login_as(wired.a_user, wired.a)
    assert http.get("/inbox/api/conversations?cursor=zz").status_code == 422
    assert http.get("/inbox/api/conversations?filter=zz").status_code == 422
    assert http.get("/inbox/api/conversations?date_from=ontem").status_code == 400  # BadParameter
    assert http.get("/inbox/api/updates?since=nope").status_code == 400  # BadParameter
    assert http.post("/inbox/api/conversations/999/messages", data="x").status_code == 415
    assert http.post("/inbox/api/conversations/999/messages", json={"body": "x"}).status_code == 404
    huge = "9" * 30  # beyond the id column: a 404, not a database error
    assert http.get(f"/inbox/c/{huge}").status_code == 404
    assert http.get(f"/inbox/api/conversations/{huge}/messages").status_code == 404
    assert http.get(f"/inbox/?contact={huge}").status_code in (400, 404)
