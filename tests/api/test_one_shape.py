"""One shape per resource: the same message, conversation and contact are the same JSON in
the REST API, the inbox JSON, the Socket.IO events and the outbound webhook payloads; the
builders keep a fixed query count whatever the page size."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from clickpro import events
from clickpro.extensions import db
from clickpro.models import ContactLabel, Label
from clickpro.models.base import utcnow
from clickpro.schemas import conversation_shapes, message_shapes
from clickpro.services.api import outbound_webhooks as hooks
from clickpro.services.inbox import events as inbox_events


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.read()))
        return httpx.Response(200, text="ok")


@pytest.fixture
def emitted(monkeypatch):
    """Socket.IO events the inbox would emit: (event, payload)."""
    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        inbox_events, "emit_to_client", lambda _cid, event, data: seen.append((event, data))
    )
    return seen


@pytest.fixture
def conversation(tenant, create_contact, create_conversation, create_message):
    now = utcnow()
    contact = create_contact(
        tenant, "+5511987650042", name="Maria Shape", attributes={"cidade": "SP"}
    )
    conv = create_conversation(
        tenant,
        contact,
        last_inbound_at=now - timedelta(minutes=5),
        last_message_at=now - timedelta(minutes=5),
        last_message_preview="Oi, onde fica a loja?",
        unread_count=1,
    )
    label = Label(client_id=tenant.id, name="VIP", color="success")
    db.session.add(label)
    db.session.flush()
    db.session.add(ContactLabel(contact_id=contact.id, label_id=label.id))
    db.session.commit()
    message = create_message(
        tenant,
        contact,
        conversation=conv,
        body="Oi, onde fica a loja?",
        type="location",
        payload={"location": {"latitude": -23.5, "longitude": -46.6, "name": "Loja"}},
        wamid="wamid.shape-1",
    )
    return contact, message


def test_the_same_message_is_the_same_json_on_every_edge(
    app, tenant, api, login_as, conversation, emitted
):
    contact, message = conversation
    recorder = Recorder()
    app.config.update(OUTBOUND_WEBHOOK_TRANSPORT=recorder)
    hooks.create_endpoint(tenant.id, "https://erp.test/hook", ["message.received"])

    from_api = api.get(f"/api/v1/messages/{message.id}").get_json()
    web = login_as(tenant.admin, tenant)
    page = web.get(f"/inbox/api/conversations/{message.conversation_id}/messages").get_json()
    [from_inbox] = [m for m in page["items"] if m["id"] == message.id]
    inbox_events.publish_message(tenant.id, message.id)
    [(event, payload)] = [e for e in emitted if e[0] == "message:new"]
    from_socket = payload["message"]
    events.send_safely(
        events.message_received, client_id=tenant.id, message_id=message.id, contact_id=contact.id
    )
    [webhook] = recorder.bodies
    from_webhook = webhook["data"]["message"]

    assert from_api == from_inbox == from_socket == from_webhook
    # one complete shape (public API fields plus the display ones), not a subset
    assert from_api["phone"] == "+5511987650042" and from_api["wamid"] == "wamid.shape-1"
    assert from_api["author_label"] == "Maria Shape" and from_api["is_note"] is False
    assert from_api["location"]["name"] == "Loja" and "openstreetmap" in from_api["location"]["url"]

    # the contact of the webhook event is GET /api/v1/contacts/<id>
    assert webhook["data"]["contact"] == api.get(f"/api/v1/contacts/{contact.id}").get_json()
    # the conversation: API list row == inbox list row == the socket's conversation
    api_row = api.get("/api/v1/conversations").get_json()["data"][0]
    inbox_row = web.get("/inbox/api/conversations").get_json()["items"][0]
    assert api_row == inbox_row == payload["conversation"]
    assert api_row["unread_count"] == 1 and api_row["window_open"] is True
    assert [lbl["name"] for lbl in api_row["labels"]] == ["VIP"]
    assert (api_row["id"], api_row["contact_id"]) == (message.conversation_id, contact.id)
    assert api_row["number_id"] == message.number_id and api_row["phone_number_id"]
    assert api_row["phone"] == "+5511987650042" and api_row["bsuid"] is None


def _queries(app, run) -> int:
    count = 0

    def seen(*_args, **_kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return count


def test_builders_keep_a_fixed_query_count(
    app, tenant, create_contact, create_conversation, create_message, create_user
):
    agent = create_user()
    convs, rows = [], []
    for _ in range(30):
        contact = create_contact(tenant)
        conv = create_conversation(
            tenant, contact, assigned_user_id=agent.id, last_message_at=utcnow()
        )
        convs.append(conv)
        rows.append(
            create_message(tenant, contact, conversation=conv, direction="OUT", agent_id=agent.id)
        )
    db.session.expire_all()
    few_convs = [db.session.get(type(c), c.id) for c in convs[:2]]
    all_convs = [db.session.get(type(c), c.id) for c in convs]
    few_rows = [db.session.get(type(m), m.id) for m in rows[:2]]
    all_rows = [db.session.get(type(m), m.id) for m in rows]
    for c in all_convs:  # loaded: only the builders' own queries are counted below
        _ = (c.contact_id, c.last_inbound_at)
    for m in all_rows:
        _ = (m.body, m.agent_id)

    assert _queries(app, lambda: message_shapes(few_rows)) == _queries(
        app, lambda: message_shapes(all_rows)
    )
    assert _queries(app, lambda: conversation_shapes(few_convs)) == _queries(
        app, lambda: conversation_shapes(all_convs)
    )
    # contacts, numbers, labels, opt-outs, assignees
    assert _queries(app, lambda: conversation_shapes(all_convs)) <= 5
