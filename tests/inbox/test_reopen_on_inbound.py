"""A RESOLVED conversation reopens when the contact writes again.

The contact's new message (a real signed webhook from the sandbox) makes the conversation
OPEN and unread again, puts it back in "Abertas" (``status=OPEN`` of the list, read after
a reload over HTTP), assigns it as a new conversation is (team queue: no assignee) and the
live inbox gets it in the ``message:new`` event without a reload.
"""

from __future__ import annotations

from clickpro.extensions import db
from clickpro.extensions import socketio as flask_socketio
from clickpro.models import Contact, Conversation
from clickpro.models.accounts import Role
from clickpro.services.inbox import actions

PHONE_ID = "100000000000011"
WA_ID = "5511987650077"


def _socket(app, user, tenant):
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["client_id"] = tenant.id
    return flask_socketio.test_client(app, namespace="/inbox", flask_test_client=http)


def _open_ids(http) -> list[int]:
    answer = http.get("/inbox/api/conversations?status=OPEN")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["id"] for item in answer.get_json()["items"]]


def _conversation(tenant_id: int) -> Conversation:
    """The customer's conversation on the client's (single) number."""
    db.session.expire_all()
    contact = db.session.query(Contact).filter_by(client_id=tenant_id, wa_id=WA_ID).one()
    return db.session.query(Conversation).filter_by(contact_id=contact.id).one()


def test_resolved_conversation_reopens_unread_unassigned_and_live(
    app, wired, sandbox, create_member, login_as
):
    tenant = wired.a
    agent = create_member(tenant, Role.CLIENT_USER)
    # A new conversation: how it is assigned is the rule a reopened one must follow.
    sandbox.simulate_inbound(PHONE_ID, WA_ID, text="Oi, quero um orçamento", name="Rita")
    sandbox.flush()
    first = _conversation(tenant.id)
    new_rule = (first.status, first.assigned_user_id, first.unread_count)
    assert new_rule == ("OPEN", None, 1)

    # An agent takes it, reads it and resolves it: it leaves "Abertas".
    actions.assign(tenant.id, first.id, agent.id)
    actions.open_conversation(tenant.id, first.id)
    actions.set_status(tenant.id, first.id, "RESOLVED")
    http = login_as(wired.a_user, tenant)
    assert first.id not in _open_ids(http)

    sock = _socket(app, wired.a_user, tenant)
    sock.get_received("/inbox")
    sandbox.simulate_inbound(PHONE_ID, WA_ID, text="Voltei: e o frete?", name="Rita")
    sandbox.flush()

    again = _conversation(tenant.id)
    assert again.status == "OPEN"
    assert again.unread_count == 1
    assert (again.status, again.assigned_user_id) == new_rule[:2]
    # After a reload the conversation is listed in "Abertas" again, as open and unread.
    assert _open_ids(http)[0] == again.id
    item = http.get("/inbox/api/conversations?status=OPEN").get_json()["items"][0]
    assert (item["status"], item["unread_count"], item["assigned_user_id"]) == ("OPEN", 1, None)
    assert again.id not in [
        i["id"] for i in http.get("/inbox/api/conversations?status=RESOLVED").get_json()["items"]
    ]
    # The live inbox learns it from the event, without a reload.
    events = [e["args"][0] for e in sock.get_received("/inbox") if e["name"] == "message:new"]
    assert [e["message"]["body"] for e in events] == ["Voltei: e o frete?"]
    conversation = events[0]["conversation"]
    assert conversation["id"] == again.id
    assert (conversation["status"], conversation["unread_count"]) == ("OPEN", 1)
    assert conversation["assigned_user_id"] is None


def test_an_open_conversation_keeps_its_assignee_when_the_contact_writes(
    app, wired, sandbox, create_member
):
    tenant = wired.a
    agent = create_member(tenant, Role.CLIENT_USER)
    sandbox.simulate_inbound(PHONE_ID, WA_ID, text="Primeira", name="Rita")
    sandbox.flush()
    contact = _conversation(tenant.id)
    actions.assign(tenant.id, contact.id, agent.id)
    sandbox.simulate_inbound(PHONE_ID, WA_ID, text="Segunda", name="Rita")
    sandbox.flush()
    again = _conversation(tenant.id)
    assert (again.status, again.assigned_user_id, again.unread_count) == (
        "OPEN",
        agent.id,
        2,
    )
