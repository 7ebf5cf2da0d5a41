"""Interactive messages: reply buttons and lists from the composer (limits, window,
tenancy) and the customer's button_reply / list_reply / template button shown as a
reply quoting the option and linked to the message it answers."""

from __future__ import annotations

import pytest

from clickpro.extensions import db
from clickpro.models import Message

PHONE_ID = "100000000000011"


def _sends(sandbox):
    return sandbox.list_sends(PHONE_ID)


LIST = {
    "kind": "list",
    "body": "Escolha o horário",
    "button": "Ver horários",
    "sections": [
        {
            "title": "Manhã",
            "rows": [{"title": "09:00"}, {"title": "10:00", "description": "Sala 2"}],
        },
        {"title": "Tarde", "rows": [{"title": "14:00"}]},
    ],
}


def test_reply_buttons_are_sent_with_real_shapes(wired, conversation, login_as, sandbox):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = http.post(
        f"/inbox/api/conversations/{conv.id}/interactive",
        json={"kind": "buttons", "body": "Confirma a visita?", "buttons": ["Sim", "Não"]},
    )
    assert response.status_code == 201, response.get_json()
    message = response.get_json()["message"]
    assert message["type"] == "interactive" and message["status"] == "SENT"
    assert message["interactive"]["buttons"] == ["Sim", "Não"]
    (sent,) = _sends(sandbox)
    assert sent["type"] == "interactive"
    row = db.session.get(Message, message["id"])
    inter = row.payload["interactive"]
    assert inter["type"] == "button"
    assert inter["action"]["buttons"][0] == {
        "type": "reply",
        "reply": {"id": "btn_1", "title": "Sim"},
    }


def test_list_is_sent_and_the_customers_choice_shows_as_reply(
    wired, conversation, login_as, sandbox
):
    conv, inbound = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{conv.id}/interactive", json=LIST)
    assert response.status_code == 201, response.get_json()
    sent = response.get_json()["message"]
    assert sent["interactive"]["button"] == "Ver horários"
    assert [r["title"] for r in sent["interactive"]["sections"][0]["rows"]] == ["09:00", "10:00"]
    row = db.session.get(Message, sent["id"])
    sections = row.payload["interactive"]["action"]["sections"]
    assert sections[1]["rows"] == [{"id": "row_3", "title": "14:00"}]

    from clickpro.models import Contact

    contact = db.session.get(Contact, conv.contact_id)
    sandbox.simulate_inbound(
        PHONE_ID,
        contact.wa_id,
        message={
            "type": "interactive",
            "interactive": {
                "type": "list_reply",
                "list_reply": {"id": "row_2", "title": "10:00", "description": "Sala 2"},
            },
        },
        context_id=row.wamid,
        name="Cliente",
    )
    sandbox.flush()
    items = http.get(f"/inbox/api/conversations/{conv.id}/messages").get_json()["items"]
    reply = items[-1]
    assert reply["direction"] == "IN" and reply["type"] == "interactive"
    assert reply["reply"] == {"kind": "list_reply", "id": "row_2", "title": "10:00",
                              "description": "Sala 2"}  # fmt: skip
    assert reply["context"]["id"] == sent["id"]
    assert reply["context"]["body"] == "Escolha o horário"
    # a button_reply to the buttons, and a template's quick-reply button
    sandbox.simulate_inbound(
        PHONE_ID,
        contact.wa_id,
        message={"type": "interactive", "interactive": {"type": "button_reply",
                 "button_reply": {"id": "btn_1", "title": "Sim"}}},
        context_id=row.wamid,
    )  # fmt: skip
    sandbox.simulate_inbound(
        PHONE_ID,
        contact.wa_id,
        message={"type": "button", "button": {"payload": "P", "text": "Ver mais"}},
    )
    sandbox.flush()
    items = http.get(f"/inbox/api/conversations/{conv.id}/messages").get_json()["items"]
    assert items[-2]["reply"]["title"] == "Sim" and items[-2]["context"]["id"] == sent["id"]
    assert items[-1]["reply"] == {
        "kind": "button",
        "id": "P",
        "title": "Ver mais",
        "description": None,
    }


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"kind": "buttons", "body": "x", "buttons": []}, "1 a 3"),
        ({"kind": "buttons", "body": "x", "buttons": ["a", "b", "c", "d"]}, "1 a 3"),
        ({"kind": "buttons", "body": "x", "buttons": ["a" * 21]}, "20 caracteres"),
        ({"kind": "buttons", "body": "x", "buttons": ["Sim", "sim"]}, "diferentes"),
        ({"kind": "buttons", "body": "", "buttons": ["Sim"]}, "texto"),
        ({**LIST, "button": "b" * 21}, "20 caracteres"),
        (
            {**LIST, "sections": [{"rows": [{"title": f"op {n}"} for n in range(11)]}]},
            "limite do WhatsApp é 10",
        ),
        ({**LIST, "sections": [{"rows": [{"title": "t" * 25}]}]}, "24 caracteres"),
        ({**LIST, "sections": [{"rows": [{"title": "a"}]}, {"rows": [{"title": "b"}]}]}, "seção 1"),
        ({**LIST, "sections": []}, "1 a 10 seções"),
    ],
)
def test_limits_are_clear_422s(wired, conversation, login_as, sandbox, body, needle):
    conv, _ = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{conv.id}/interactive", json=body)
    assert response.status_code == 422, response.get_json()
    assert needle in response.get_json()["error"]["message"]
    assert _sends(sandbox) == []


def test_window_closed_and_tenancy(wired, conversation, login_as, sandbox):
    closed, _ = conversation(wired.a, minutes_ago=25 * 60)
    http = login_as(wired.a_user, wired.a)
    response = http.post(f"/inbox/api/conversations/{closed.id}/interactive", json=LIST)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "window_closed"
    theirs, _ = conversation(wired.b)
    response = http.post(f"/inbox/api/conversations/{theirs.id}/interactive", json=LIST)
    assert response.status_code == 404
    assert _sends(sandbox) == []


def test_sandbox_refuses_wrong_shapes(sandbox):
    from clickpro.sandbox.messaging import _check_interactive

    assert _check_interactive({"type": "button", "body": {"text": "x"}, "action": {"buttons": []}})
    ok = {"type": "button", "body": {"text": "x"},
          "action": {"buttons": [{"type": "reply", "reply": {"id": "1", "title": "Sim"}}]}}  # fmt: skip
    assert _check_interactive(ok) is None
