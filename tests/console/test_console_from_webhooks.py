"""The console shows what Meta's webhooks stored: quality and tier (2026 field names)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from clickpro.services.console import build_console

WABA = "100000000000001"


def _post(http, field: str, value: dict):
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "time": 1732400000, "changes": [{"field": field, "value": value}]}],
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(b"test-app-secret", body, hashlib.sha256).hexdigest()
    response = http.post(
        "/webhook",
        data=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "tier_field", ["max_daily_conversations_per_business", "current_limit"]
)  # fmt: skip
def test_quality_update_webhook_reaches_the_console(
    client, create_client, create_whatsapp_credential, tier_field
):
    shop = create_client("Loja Webhook")
    create_whatsapp_credential(shop, messaging_tier="TIER_250")  # display +55 11 3000-0000
    _post(
        client,
        "phone_number_quality_update",
        {"display_phone_number": "551130000000", "event": "FLAGGED", tier_field: "TIER_2K"},
    )
    (row,) = build_console().clients
    (number,) = row.numbers
    assert (number.quality_rating, number.messaging_tier) == ("RED", "TIER_2K")
    assert row.bad_quality == 1 and row.problems == 1
    _post(
        client,
        "phone_number_quality_update",
        {"display_phone_number": "551130000000", "event": "UNFLAGGED"},
    )
    (row,) = build_console().clients
    assert row.numbers[0].quality_rating == "GREEN" and row.problems == 0
