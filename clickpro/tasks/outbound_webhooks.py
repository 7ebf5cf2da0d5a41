"""Outbound webhook jobs: one delivery attempt, and the periodic sweep."""

from __future__ import annotations

from flask import current_app

from clickpro.services.api import idempotency, outbound_webhooks


def deliver_webhook(delivery_id: int) -> None:
    """One attempt; the service schedules the next one (backoff) or gives up."""
    outbound_webhooks.deliver(delivery_id)


def sweep() -> dict[str, int]:
    """Periodic: re-enqueue deliveries whose job was lost; purge old Idempotency-Keys."""
    max_age = float(current_app.config["API_IDEMPOTENCY_TTL_S"])
    return {
        "requeued": outbound_webhooks.requeue_lost(),
        "idempotency_purged": idempotency.purge_expired(max_age),
    }
