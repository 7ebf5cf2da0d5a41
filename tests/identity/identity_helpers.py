"""Meta webhook payloads of the 2026 identity shapes (reference §1) and signed POSTs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from typing import Any

PHONE_NUMBER_ID = "100000000000011"
WABA_ID = "100000000000001"
APP_SECRET = "test-app-secret"
_seq = itertools.count(1)


def new_wamid() -> str:
    return f"wamid.IDENT{next(_seq):08d}"


def post(client, payload: Any):
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
    response = client.post("/webhook", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def change(field: str, value: dict, *, waba_id: str = WABA_ID) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": field, "value": value}]}],
    }


def messages_value(
    contacts: list[dict], messages: list[dict], *, phone_number_id: str = PHONE_NUMBER_ID
) -> dict:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551130000000", "phone_number_id": phone_number_id},
        "contacts": contacts,
        "messages": messages,
    }


def customer_message(
    *,
    bsuid: str | None = None,
    wa_id: str | None = None,
    username: str | None = None,
    name: str = "Maria",
    parent: str | None = None,
    text: str = "Tem em outra cor?",
    wamid: str | None = None,
    timestamp: int = 1780000000,
    phone_number_id: str = PHONE_NUMBER_ID,
    waba_id: str = WABA_ID,
) -> dict:
    """A text from a customer identified by BSUID and/or phone (username users: no phone)."""
    profile: dict[str, Any] = {"name": name}
    if username is not None:
        profile["username"] = username
    contact: dict[str, Any] = {"profile": profile}
    msg: dict[str, Any] = {
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": text},
    }
    if bsuid:
        contact["user_id"] = bsuid
        msg["from_user_id"] = bsuid
    if parent:
        contact["parent_user_id"] = parent
        msg["from_parent_user_id"] = parent
    if wa_id:
        contact["wa_id"] = wa_id
        msg["from"] = wa_id
    value = messages_value([contact], [msg], phone_number_id=phone_number_id)
    return change("messages", value, waba_id=waba_id)


def user_changed_user_id(
    *, old_bsuid: str, new_bsuid: str, new_wa_id: str | None = None, wa_id: str | None = None
) -> dict:
    """Meta's system message for a user whose BSUID changed (new phone number)."""
    system: dict[str, Any] = {
        "body": f"User Maria changed from {old_bsuid} to {new_bsuid}",
        "type": "user_changed_user_id",
        "user_id": new_bsuid,
    }
    if new_wa_id:
        system["wa_id"] = new_wa_id
    msg: dict[str, Any] = {
        "from_user_id": old_bsuid,
        "id": new_wamid(),
        "timestamp": "1780000100",
        "type": "system",
        "system": system,
    }
    contact: dict[str, Any] = {"profile": {"name": "Maria"}, "user_id": old_bsuid}
    if wa_id:
        msg["from"] = wa_id
        contact["wa_id"] = wa_id
    return change("messages", messages_value([contact], [msg]))


def user_changed_number(*, old_wa_id: str, new_wa_id: str) -> dict:
    """The older system message: the sender is the old number, ``new_wa_id`` the new."""
    msg = {
        "from": old_wa_id,
        "id": new_wamid(),
        "timestamp": "1780000200",
        "type": "system",
        "system": {
            "body": f"Maria changed from {old_wa_id} to {new_wa_id}",
            "new_wa_id": new_wa_id,
            "type": "user_changed_number",
        },
    }
    contact = {"profile": {"name": "Maria"}, "wa_id": old_wa_id}
    return change("messages", messages_value([contact], [msg]))


def user_id_update(
    *, previous: str, current: str, wa_id: str | None = None, waba_id: str = WABA_ID
) -> dict:
    """The ``user_id_update`` webhook field (subscribed separately)."""
    item: dict[str, Any] = {
        "detail": "user changed phone number",
        "user_id": {"previous": previous, "current": current},
        "timestamp": "1780000300",
    }
    value: dict[str, Any] = {"messaging_product": "whatsapp", "user_id_update": [item]}
    if wa_id:
        item["wa_id"] = wa_id
        value["contacts"] = [{"wa_id": wa_id}]
    return change("user_id_update", value, waba_id=waba_id)
