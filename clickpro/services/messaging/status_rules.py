"""The delivery-status rules shared by the row-by-row path (:mod:`.delivery`) and the
set-based batch (:mod:`.status_batch`): the rank a status may only move up, the
timestamps each status fills, a FAILED's error columns, and the change they report.

Kept apart so that both modules import it and neither imports the other's internals.
"""

from __future__ import annotations

from dataclasses import dataclass

from clickpro.events import message_status_changed, send_safely
from clickpro.models import MessageStatus

__all__ = ["FILLS", "STATUS_RANK", "StatusChange", "error_values"]

STATUS_RANK: dict[str, int] = {
    MessageStatus.SENT: 1,
    MessageStatus.FAILED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}
# The timestamps a status fills (a READ implies delivered and sent).
FILLS: dict[str, tuple[str, ...]] = {
    MessageStatus.SENT: ("sent_at",),
    MessageStatus.DELIVERED: ("delivered_at", "sent_at"),
    MessageStatus.READ: ("read_at", "delivered_at", "sent_at"),
    MessageStatus.FAILED: ("failed_at",),
}


@dataclass(frozen=True)
class StatusChange:
    """A status that moved; the payload of ``message_status_changed``."""

    client_id: int
    message_id: int
    contact_id: int
    campaign_id: int | None
    status: str
    previous: str

    def send_signal(self) -> None:
        send_safely(
            message_status_changed,
            client_id=self.client_id,
            message_id=self.message_id,
            contact_id=self.contact_id,
            campaign_id=self.campaign_id,
            status=self.status,
            previous=self.previous,
        )


def error_values(status: str, errors: list | None) -> dict:
    """The ``error_code``/``error_title`` columns of a FAILED (Meta's ``errors[0]``)."""
    if status != MessageStatus.FAILED:
        return {}
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = first.get("code")
    title = first.get("title") or first.get("message") or ""
    return {
        "error_code": int(str(code)) if str(code).lstrip("-").isdigit() else None,
        "error_title": str(title)[:500] or None,
    }
