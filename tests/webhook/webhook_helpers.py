"""Builders of Meta webhook payloads (reference shapes) and signed POSTs."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PHONE_NUMBER_ID = "100000000000011"
WABA_ID = "100000000000001"
APP_SECRET = "test-app-secret"
_seq = itertools.count(1)


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block (whitespace folded)."""
    import sqlalchemy as sa

    from clickpro.extensions import db

    seen: list[str] = []

    def record(conn, cursor, statement, *_):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def post(client, payload: Any, *, secret: str | None = APP_SECRET, raw: bytes | None = None):
    body = raw if raw is not None else encode(payload)
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return client.post("/webhook", data=body, headers=headers)


def new_wamid() -> str:
    return f"wamid.TEST{next(_seq):08d}"


def messages_payload(
    value: dict, phone_number_id: str = PHONE_NUMBER_ID, waba_id: str = WABA_ID
) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "551130000000",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def inbound(
    wa_id: str,
    message: dict | None = None,
    *,
    name: str = "Maria",
    wamid: str | None = None,
    timestamp: int = 1732400000,
    phone_number_id: str = PHONE_NUMBER_ID,
) -> dict:
    msg = {"from": wa_id, "id": wamid or new_wamid(), "timestamp": str(timestamp)}
    msg.update(message or {"type": "text", "text": {"body": "Quero saber mais"}})
    return messages_payload(
        {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [msg]},
        phone_number_id,
    )


def status(
    wamid: str,
    value: str,
    timestamp: int,
    *,
    recipient: str = "5511987654321",
    callback: str | None = None,
    error_code: int | None = None,
) -> dict:
    item: dict = {
        "id": wamid,
        "status": value,
        "timestamp": str(timestamp),
        "recipient_id": recipient,
        "conversation": {"id": "conv1", "origin": {"type": "marketing"}},
        "pricing": {"billable": True, "pricing_model": "PMP", "category": "marketing"},
    }
    if callback:
        item["biz_opaque_callback_data"] = callback
    if value == "failed":
        item["errors"] = [
            {
                "code": error_code or 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message undeliverable"},
            }
        ]
    return item


def statuses_payload(items: list[dict], phone_number_id: str = PHONE_NUMBER_ID) -> dict:
    return messages_payload({"statuses": items}, phone_number_id)


def field_payload(field: str, value: dict, waba_id: str = WABA_ID) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": waba_id, "time": 1732400000, "changes": [{"field": field, "value": value}]}
        ],
    }
