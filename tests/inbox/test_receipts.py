"""Read receipts and the typing indicator sent to WhatsApp (sandbox: real Meta shape)."""

from __future__ import annotations

from clickpro.extensions import redis_connection
from clickpro.services.inbox import attention

PHONE_ID = "100000000000011"


def _typing_sends(sandbox):
    return list(sandbox.typing_indicators)


def test_opening_marks_the_last_inbound_read(wired, conversation, login_as, sandbox):
    conv, inbound = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    assert http.post(f"/inbox/api/conversations/{conv.id}/read").status_code == 200
    assert sandbox.read_marks == [inbound.wamid]
    # nothing unread any more: a second open sends nothing
    assert http.post(f"/inbox/api/conversations/{conv.id}/read").status_code == 200
    assert sandbox.read_marks == [inbound.wamid]


def test_typing_indicator_has_metas_shape_and_is_throttled(
    app, wired, conversation, login_as, sandbox
):
    conv, inbound = conversation(wired.a)
    other, other_inbound = conversation(wired.a)
    http = login_as(wired.a_user, wired.a)
    first = http.post(f"/inbox/api/conversations/{conv.id}/typing")
    assert first.status_code == 200 and first.get_json() == {"sent": True, "reason": None}
    assert _typing_sends(sandbox) == [{"message_id": inbound.wamid, "phone_number_id": PHONE_ID}]
    # it also marks the message read (same body as mark-as-read)
    assert sandbox.read_marks == [inbound.wamid]
    # keystrokes within 20 s send nothing more
    for _ in range(5):
        again = http.post(f"/inbox/api/conversations/{conv.id}/typing").get_json()
        assert again == {"sent": False, "reason": "throttled"}
    assert len(_typing_sends(sandbox)) == 1
    # the throttle is per conversation
    assert http.post(f"/inbox/api/conversations/{other.id}/typing").get_json()["sent"] is True
    # the key expires after ~20 s (Redis EX); dropping it sends again
    ttl = redis_connection(app).ttl(f"inbox:typing:{conv.id}")
    assert 0 < ttl <= attention.TYPING_THROTTLE_S
    redis_connection(app).delete(f"inbox:typing:{conv.id}")
    assert http.post(f"/inbox/api/conversations/{conv.id}/typing").get_json()["sent"] is True
    assert [t["message_id"] for t in _typing_sends(sandbox)] == [
        inbound.wamid,
        other_inbound.wamid,
        inbound.wamid,
    ]


def test_typing_without_inbound_sends_nothing(
    wired, create_contact, create_conversation, login_as, sandbox
):
    contact = create_contact(wired.a)
    conv = create_conversation(wired.a, contact)
    http = login_as(wired.a_user, wired.a)
    answer = http.post(f"/inbox/api/conversations/{conv.id}/typing").get_json()
    assert answer == {"sent": False, "reason": "no_inbound"}
    assert _typing_sends(sandbox) == []


def test_sandbox_refuses_a_bad_typing_indicator(app, sandbox):
    from clickpro.sandbox.messaging import handle_send

    account = sandbox.accounts()[0]
    body, status = handle_send(
        sandbox,
        account,
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.X",
            "typing_indicator": {"type": "audio"},
        },
    )
    assert status == 400 and sandbox.typing_indicators == []
