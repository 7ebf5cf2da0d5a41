"""Sending messages (text, template, media) and read receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clickpro.integrations.meta.errors import GraphError
from clickpro.integrations.meta.transport import GraphTransport

MESSAGES = "messages"
MARKETING_MESSAGES = "marketing_messages"  # Meta's Marketing Messages API (marketing only)
HELD_FOR_QUALITY = "held_for_quality_assessment"  # template pacing (send response only)


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None
    raw: dict = field(repr=False)
    # ``messages[0].message_status``: "accepted" or "held_for_quality_assessment".
    message_status: str | None = None
    endpoint: str = MESSAGES

    def row_payload(self) -> dict:
        """What the message row keeps of the response (pacing state, endpoint used)."""
        out: dict = {}
        if self.message_status == HELD_FOR_QUALITY:
            out["message_status"] = self.message_status
        if self.endpoint != MESSAGES:
            out["sent_via"] = self.endpoint
        return out


class MessagesAPI(GraphTransport):
    """``/{phone_number_id}/messages``."""

    def send_message(
        self, phone_number_id: str, payload: dict, *, endpoint: str = MESSAGES
    ) -> SendResult:
        """POST to ``/messages`` (or ``/marketing_messages``: same body, marketing only)."""
        if endpoint not in (MESSAGES, MARKETING_MESSAGES):
            raise ValueError(f"unknown send endpoint {endpoint!r}")
        body = dict(payload)
        body.setdefault("messaging_product", "whatsapp")
        body.setdefault("recipient_type", "individual")
        raw = self._post(f"{phone_number_id}/{endpoint}", json=body)
        messages = raw.get("messages") or []
        if not messages or not messages[0].get("id"):
            raise GraphError(status_code=200, code=None, title="Send response without wamid")
        contacts = raw.get("contacts") or []
        wa_id = contacts[0].get("wa_id") if contacts else None
        status = messages[0].get("message_status")
        return SendResult(
            wamid=str(messages[0]["id"]),
            wa_id=wa_id,
            raw=raw,
            message_status=str(status) if status else None,
            endpoint=endpoint,
        )

    def marketing_messages_status(self, waba_id: str) -> str | None:
        """The WABA's ``marketing_messages_onboarding_status`` (ONBOARDED, ELIGIBLE, …)."""
        raw = self._get(str(waba_id), params={"fields": "marketing_messages_onboarding_status"})
        value = raw.get("marketing_messages_onboarding_status")
        if isinstance(value, dict):  # tolerate {"status": …}
            value = value.get("status")
        return str(value).upper() if value else None

    @staticmethod
    def _with_callback(payload: dict, callback_data: str | None) -> dict:
        if callback_data is not None:
            payload["biz_opaque_callback_data"] = callback_data
        return payload

    def send_text(
        self,
        phone_number_id: str,
        to: str,
        body: str,
        *,
        preview_url: bool = False,
        callback_data: str | None = None,
    ) -> SendResult:
        payload = {"to": to, "type": "text", "text": {"body": body, "preview_url": preview_url}}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def send_template(
        self,
        phone_number_id: str,
        to: str,
        name: str,
        language: str,
        components: list[dict],
        *,
        callback_data: str | None = None,
        marketing_api: bool = False,
    ) -> SendResult:
        """``marketing_api``: through ``/marketing_messages`` (a marketing template on a
        number onboarded to the Marketing Messages API); else ``/messages``."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if components:
            template["components"] = components
        payload = {"to": to, "type": "template", "template": template}
        return self.send_message(
            phone_number_id,
            self._with_callback(payload, callback_data),
            endpoint=MARKETING_MESSAGES if marketing_api else MESSAGES,
        )

    def send_media(
        self,
        phone_number_id: str,
        to: str,
        media_type: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        callback_data: str | None = None,
    ) -> SendResult:
        if (media_id is None) == (link is None):
            raise ValueError("send_media needs exactly one of media_id or link")
        media: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
        if caption and media_type in {"image", "video", "document"}:
            media["caption"] = caption
        if filename and media_type == "document":
            media["filename"] = filename
        payload = {"to": to, "type": media_type, media_type: media}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        self._post(
            f"{phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
        )
