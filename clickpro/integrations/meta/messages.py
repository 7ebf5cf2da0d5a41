"""Sending messages (text, template, media) and read receipts.

Addressing (reference §1 "Sending"): a customer is reached by phone in ``to`` or, for a
WhatsApp username user whose phone we do not know, by BSUID in ``recipient``, always with
``recipient_type: individual``. A BSUID must never go in ``to``: Meta answers 200 with a
wamid and drops the message. :class:`Recipient` is the one place a payload gets its
address; :meth:`MessagesAPI.send_message` refuses any payload that breaks the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clickpro import metrics
from clickpro.integrations.meta.errors import GraphError
from clickpro.integrations.meta.transport import GraphTransport

MESSAGES = "messages"
MARKETING_MESSAGES = "marketing_messages"  # Meta's Marketing Messages API (marketing only)
HELD_FOR_QUALITY = "held_for_quality_assessment"  # template pacing (send response only)


# Meta's documented BSUID form: country code, dot, optional "ENT." (parent), id.
BSUID_PATTERN = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
# Templates Meta refuses to a BSUID (131062): one-tap, zero-tap and copy-code OTPs.
BSUID_REFUSED_CATEGORIES = frozenset({"AUTHENTICATION"})


def is_bsuid(value: object) -> bool:
    return isinstance(value, str) and BSUID_PATTERN.match(value) is not None


@dataclass(frozen=True)
class Recipient:
    """Whom a send reaches: ``phone`` (Meta's digits form, wa_id) wins over ``bsuid``."""

    phone: str | None = None
    bsuid: str | None = None

    def __post_init__(self) -> None:
        if not self.phone and not self.bsuid:
            raise ValueError("a recipient needs a phone or a BSUID")
        if self.phone and is_bsuid(self.phone):
            raise ValueError("a BSUID is not a phone: send it as recipient, never in 'to'")

    @property
    def by_bsuid(self) -> bool:
        return not self.phone

    def fields(self) -> dict[str, str]:
        """The payload's address: ``{"to": phone}`` or ``{"recipient": bsuid}``."""
        if self.phone:
            return {"recipient_type": "individual", "to": self.phone}
        return {"recipient_type": "individual", "recipient": str(self.bsuid)}

    @property
    def key(self) -> str:
        """One string per recipient (rate limits per pair, logs)."""
        return self.phone or str(self.bsuid)


def as_recipient(to: str | Recipient) -> Recipient:
    """A plain string is a phone (every caller before BSUIDs passed one)."""
    return to if isinstance(to, Recipient) else Recipient(phone=to)


def check_addressing(payload: dict) -> None:
    """Refuse a payload Meta would drop or reject: a BSUID in ``to``, or no address."""
    to, recipient = payload.get("to"), payload.get("recipient")
    if to and is_bsuid(str(to)):
        raise ValueError("BSUID in 'to': Meta drops such a message; use 'recipient'")
    if not to and not recipient:
        raise ValueError("a send needs 'to' (phone) or 'recipient' (BSUID)")
    if recipient and not is_bsuid(str(recipient)):
        raise ValueError("'recipient' must be a BSUID")


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None
    raw: dict = field(repr=False)
    # ``contacts[0].user_id``: Meta answers it for BSUID sends only.
    user_id: str | None = None
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
        check_addressing(body)
        if body.get("to"):
            body.pop("recipient", None)  # Meta: to wins; never send both
        body.setdefault("messaging_product", "whatsapp")
        body.setdefault("recipient_type", "individual")
        try:
            raw = self._post(f"{phone_number_id}/{endpoint}", json=body)
        except GraphError as exc:
            metrics.send_result(exc.kind)
            raise
        messages = raw.get("messages") or []
        if not messages or not messages[0].get("id"):
            metrics.send_result("unknown")
            raise GraphError(status_code=200, code=None, title="Send response without wamid")
        metrics.send_result(None)
        contacts = raw.get("contacts") or []
        wa_id = contacts[0].get("wa_id") if contacts else None
        user_id = contacts[0].get("user_id") if contacts else None
        status = messages[0].get("message_status")
        return SendResult(
            wamid=str(messages[0]["id"]),
            wa_id=wa_id,
            user_id=str(user_id) if user_id else None,
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
        to: str | Recipient,
        body: str,
        *,
        preview_url: bool = False,
        callback_data: str | None = None,
    ) -> SendResult:
        payload = {
            **as_recipient(to).fields(),
            "type": "text",
            "text": {"body": body, "preview_url": preview_url},
        }
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def send_template(
        self,
        phone_number_id: str,
        to: str | Recipient,
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
        payload = {**as_recipient(to).fields(), "type": "template", "template": template}
        return self.send_message(
            phone_number_id,
            self._with_callback(payload, callback_data),
            endpoint=MARKETING_MESSAGES if marketing_api else MESSAGES,
        )

    def send_media(
        self,
        phone_number_id: str,
        to: str | Recipient,
        media_type: str,
        *,
        media_id: str | None = None,
        link: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        callback_data: str | None = None,
        voice: bool = False,
    ) -> SendResult:
        if (media_id is None) == (link is None):
            raise ValueError("send_media needs exactly one of media_id or link")
        media: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
        if caption and media_type in {"image", "video", "document"}:
            media["caption"] = caption
        if filename and media_type == "document":
            media["filename"] = filename
        if voice and media_type == "audio":  # an OGG/Opus voice message (Meta "Audio messages")
            media["voice"] = True
        payload = {**as_recipient(to).fields(), "type": media_type, media_type: media}
        return self.send_message(phone_number_id, self._with_callback(payload, callback_data))

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        self._post(
            f"{phone_number_id}/messages",
            json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
        )

    def typing_indicator(self, phone_number_id: str, wamid: str) -> None:
        """ "digitando…" for the customer (also marks ``wamid`` read); Meta hides it on
        the reply or after 25 s."""
        self._post(
            f"{phone_number_id}/messages",
            json={
                "messaging_product": "whatsapp",
                "status": "read",
                "message_id": wamid,
                "typing_indicator": {"type": "text"},
            },
        )
