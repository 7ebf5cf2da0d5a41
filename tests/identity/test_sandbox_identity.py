"""The sandbox speaks BSUIDs: every fake customer has one, username users come without a
phone, statuses carry ``recipient_user_id``, and the user-id change is sent on demand."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from identity_helpers import PHONE_NUMBER_ID, WABA_ID

from clickpro.extensions import db
from clickpro.models import Contact, ContactIdentity, Conversation, Message, WebhookEvent
from clickpro.sandbox.customers import derived_bsuid

BSUID_FORMAT = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
WA_ID = "5511987650077"


def _all(model, *where):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).where(*where).order_by(model.id)))


def _values(field: str = "messages") -> list[dict]:
    """The change values the app received (the stored webhook bodies)."""
    found = []
    for event in _all(WebhookEvent):
        for entry in json.loads(event.body)["entry"]:
            for change in entry["changes"]:
                if change["field"] == field:
                    found.append(change["value"])
    return found


def test_each_fake_customer_has_a_deterministic_bsuid_per_waba(sandbox):
    account = sandbox.account_for_number(PHONE_NUMBER_ID)
    bsuid = sandbox.bsuid_of(account, WA_ID)
    assert BSUID_FORMAT.match(bsuid) and bsuid.startswith("BR.")
    assert bsuid == derived_bsuid(WABA_ID, WA_ID)  # documented: the same every run
    assert sandbox.bsuid_of(account, "551187650077") == bsuid  # 8-digit form: same person
    other = sandbox.create_account()
    assert sandbox.bsuid_of(other, WA_ID) != bsuid  # another portfolio, another BSUID


def test_inbound_webhooks_carry_the_bsuid_and_the_contact_gets_it(shop, sandbox):
    sandbox.simulate_inbound(PHONE_NUMBER_ID, WA_ID, text="Oi", name="Rita")
    sandbox.flush()
    (value,) = _values()
    bsuid = sandbox.bsuid_of(sandbox.account_for_number(PHONE_NUMBER_ID), WA_ID)
    assert value["contacts"] == [{"profile": {"name": "Rita"}, "user_id": bsuid, "wa_id": WA_ID}]
    (msg,) = value["messages"]
    assert (msg["from"], msg["from_user_id"]) == (WA_ID, bsuid)
    (contact,) = _all(Contact)
    assert (contact.phone_e164, contact.bsuid) == ("+" + WA_ID, bsuid)


def test_a_username_only_customer_has_no_phone_in_its_webhooks(shop, sandbox):
    sandbox.simulate_inbound(
        PHONE_NUMBER_ID, "BR.1502576394655843", text="Tem tamanho M?", username="lojadamaria"
    )
    sandbox.simulate_inbound(PHONE_NUMBER_ID, WA_ID, text="Oi", username="rita", hide_phone=True)
    sandbox.flush()
    values = _values()
    assert len(values) == 2
    for value in values:
        (contact,) = value["contacts"]
        (msg,) = value["messages"]
        assert "wa_id" not in contact and "from" not in msg
        assert contact["user_id"] == msg["from_user_id"]
    assert values[0]["contacts"][0]["profile"]["username"] == "lojadamaria"
    contacts = _all(Contact)
    assert [(c.phone_e164, c.username) for c in contacts] == [
        (None, "lojadamaria"),
        (None, "rita"),
    ]
    assert contacts[0].bsuid == "BR.1502576394655843"
    assert len(_all(Conversation)) == 2 and len(_all(Message)) == 2


def test_statuses_of_a_phone_send_carry_the_customer_bsuid(shop, sandbox):
    http = sandbox.app.test_client()
    answer = http.post(
        f"/graph/v23.0/{PHONE_NUMBER_ID}/messages",
        json={
            "messaging_product": "whatsapp",
            "to": WA_ID,
            "type": "text",
            "text": {"body": "Olá"},
        },  # fmt: skip
        headers={"Authorization": "Bearer sandbox-token"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    sandbox.flush()
    statuses = [s for v in _values() for s in v.get("statuses", [])]
    bsuid = sandbox.bsuid_of(sandbox.account_for_number(PHONE_NUMBER_ID), WA_ID)
    assert statuses and all(s["recipient_user_id"] == bsuid for s in statuses)


def test_user_id_change_on_demand_in_both_shapes_moves_the_identity(shop, sandbox):
    account = sandbox.account_for_number(PHONE_NUMBER_ID)
    old = sandbox.bsuid_of(account, WA_ID)
    sandbox.simulate_inbound(PHONE_NUMBER_ID, WA_ID, text="Oi", name="Rita")
    sandbox.flush()
    http = sandbox.app.test_client()
    answer = http.post(
        "/_control/user-id-change",
        json={"phone_number_id": PHONE_NUMBER_ID, "from": WA_ID, "new_wa_id": "5511955551234"},
    )
    assert answer.status_code == 202, answer.get_data(as_text=True)
    change = answer.get_json()
    assert change["previous"] == old and change["current"] != old
    assert BSUID_FORMAT.match(change["current"]) and change["wa_id"] == "5511955551234"
    sandbox.flush()
    (system,) = [m for v in _values() for m in v["messages"] if m["type"] == "system"]
    assert system["system"]["type"] == "user_changed_user_id"
    assert system["system"]["user_id"] == change["current"] and system["from_user_id"] == old
    (update,) = _values("user_id_update")
    assert update["user_id_update"][0]["user_id"] == {"previous": old, "current": change["current"]}
    (contact,) = _all(Contact)
    assert (contact.bsuid, contact.phone_e164) == (change["current"], "+5511955551234")
    assert {(i.value, i.replaced_at is None) for i in _all(ContactIdentity)} == {
        (old, False),
        (change["current"], True),
    }
    (note,) = _all(Message, Message.is_internal_note.is_(True))  # one note for both notices
    assert note.author == "SYSTEM"
    # From now on the sandbox's webhooks name the customer by the new identity.
    sandbox.simulate_inbound(PHONE_NUMBER_ID, "5511955551234", text="Número novo")
    sandbox.flush()
    assert [c.id for c in _all(Contact)] == [contact.id]


def test_control_inbound_accepts_a_user_id_and_bad_shapes_are_refused(shop, sandbox):
    http = sandbox.app.test_client()
    answer = http.post(
        "/_control/inbound",
        json={
            "phone_number_id": PHONE_NUMBER_ID,
            "user_id": "BR.42",
            "text": "oi",
            "username": "@quarentaedois",
        },  # fmt: skip
    )
    assert answer.status_code == 202
    assert "from" not in answer.get_json()["message"]
    refused = http.post(
        "/_control/user-id-change",
        json={"phone_number_id": PHONE_NUMBER_ID, "user_id": "BR.42", "shape": "fax"},
    )
    assert refused.status_code == 400
    sandbox.flush()
    (contact,) = _all(Contact)
    assert (contact.bsuid, contact.username, contact.phone_e164) == (
        "BR.42",
        "@quarentaedois",
        None,
    )
