"""Graph API error objects as Meta returns them (shape and HTTP status per code)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, jsonify

# code -> (HTTP status, message, type, subcode, details)
_CATALOG: dict[int, tuple[int, str, str, int | None, str | None]] = {
    190: (401, "Invalid OAuth access token - Cannot parse access token", "OAuthException", None, None),
    10: (403, "(#10) Application does not have permission for this action", "OAuthException", None, None),
    200: (403, "(#200) Permissions error", "OAuthException", None, None),
    100: (400, "(#100) Invalid parameter", "OAuthException", None, None),
    4: (400, "(#4) Application request limit reached", "OAuthException", None, None),
    80007: (400, "(#80007) Rate limit hit for WhatsApp Business Account", "OAuthException", None, None),
    130429: (400, "(#130429) Rate limit hit", "OAuthException", None,
             "Cloud API message throughput has been reached."),
    131056: (400, "(#131056) (Business Account, Consumer Account) pair rate limit hit", "OAuthException", 2494055,
             "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."),
    131057: (400, "(#131057) Account in maintenance mode", "OAuthException", None,
             "Business Account is in maintenance mode (throughput upgrade)."),
    131047: (400, "(#131047) Re-engagement message", "OAuthException", None,
             "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
    131026: (400, "(#131026) Message undeliverable", "OAuthException", None,
             "Message failed to send because the recipient is not a WhatsApp user or has not accepted the latest Terms of Service."),
    131049: (400, "(#131049) This message was not delivered to maintain healthy ecosystem engagement.", "OAuthException", None,
             "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."),
    131050: (400, "(#131050) Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business", "OAuthException", None, None),
    131048: (400, "(#131048) Spam rate limit hit", "OAuthException", None,
             "Message failed to send because there are restrictions on how many messages can be sent from this phone number."),
    131000: (500, "(#131000) Something went wrong", "OAuthException", None,
             "Message failed to send due to an unknown error."),
    131031: (400, "(#131031) Business Account locked", "OAuthException", None,
             "The WhatsApp Business Account associated with the app has been restricted or disabled."),
    131042: (400, "(#131042) Business eligibility payment issue", "OAuthException", None,
             "Message failed to send because there were one or more errors related to your payment method."),
    368: (400, "(#368) Temporarily blocked for policies violations", "OAuthException", None, None),
    132000: (400, "(#132000) Number of parameters does not match the expected number of params", "OAuthException", None, None),
    132001: (404, "(#132001) Template name does not exist in the translation", "OAuthException", None, None),
    132012: (400, "(#132012) Parameter format does not match format in the created template", "OAuthException", None, None),
    132015: (400, "(#132015) Template is Paused", "OAuthException", None, None),
    132016: (400, "(#132016) Template is disabled", "OAuthException", None, None),
    133010: (400, "(#133010) Account not registered", "OAuthException", None, None),
    # Marketing Messages API (reference/whatsapp-2026.md §4)
    134100: (400, "(#134100) Only marketing messages are supported", "OAuthException", None, None),
    134102: (400, "(#134102) Template unavailable or business not onboarded to Marketing Messages API", "OAuthException", None, None),
}  # fmt: skip


def error_body(
    code: int, *, details: str | None = None, subcode: int | None = None, message: str | None = None
) -> tuple[dict[str, Any], int]:
    """The ``{"error": …}`` body and HTTP status Meta answers for ``code``."""
    status, default_message, type_, default_subcode, default_details = _CATALOG.get(
        code, (400, f"(#{code}) Error", "OAuthException", None, None)
    )
    error: dict[str, Any] = {
        "message": message or default_message,
        "type": type_,
        "code": code,
        "fbtrace_id": "A" + secrets.token_urlsafe(15)[:20],
    }
    sub = subcode if subcode is not None else default_subcode
    if sub is not None:
        error["error_subcode"] = sub
    det = details or default_details
    if det or code >= 130000:
        error["error_data"] = {"messaging_product": "whatsapp", "details": det or error["message"]}
    return {"error": error}, status


def error_response(code: int, **kwargs: Any) -> tuple[Response, int]:
    body, status = error_body(code, **kwargs)
    return jsonify(body), status


def not_found_body(object_id: str) -> tuple[dict[str, Any], int]:
    """Code 100 subcode 33: unknown object or not visible to this token."""
    return error_body(
        100,
        subcode=33,
        message=(
            f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation."
        ),
    )


def not_found_object(object_id: str) -> tuple[Response, int]:
    body, status = not_found_body(object_id)
    return jsonify(body), status


def status_error(code: int) -> dict[str, Any]:
    """The ``errors[]`` item of a ``failed`` status webhook for ``code``."""
    body, _ = error_body(code)
    err = body["error"]
    title = err["message"].split(") ", 1)[-1]
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": err.get("error_data", {}).get("details", title)},
    }
