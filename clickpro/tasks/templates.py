"""Template status sync jobs.

``sync_all_clients`` is the periodic job (``tasks.schedule``: every
``TEMPLATE_SYNC_INTERVAL_S``); it only fans out one ``sync_client_templates`` job per
client with WhatsApp numbers (all its WABAs in one job). Each per-client job has a deterministic id, so a client
is never queued twice, and a client with hundreds of templates runs in its own job (with
its own time budget) instead of delaying every other client.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from clickpro.extensions import db
from clickpro.models import Client, WhatsAppCredential
from clickpro.services.templates.service import sync_templates
from clickpro.tasks import QUEUE_PERIODIC, enqueue

log = logging.getLogger(__name__)


def client_job_id(client_id: int) -> str:
    return f"templates-sync-{client_id}"  # RQ ids: letters, digits, _ and -


def clients_to_sync() -> list[int]:
    """Active clients with at least one active number (not known to be invalid); one job
    per client syncs all its WABAs."""
    stmt = (
        sa.select(Client.id)
        .join(WhatsAppCredential, WhatsAppCredential.client_id == Client.id)
        .where(
            Client.is_active.is_(True),
            WhatsAppCredential.status != "INVALID",
            WhatsAppCredential.archived_at.is_(None),
        )
        .distinct()
        .order_by(Client.id)
    )
    return list(db.session.scalars(stmt))


def sync_all_clients() -> int:
    """Enqueue one sync job per client; returns how many were enqueued."""
    client_ids = clients_to_sync()
    for client_id in client_ids:
        enqueue(
            sync_client_templates,
            client_id,
            queue=QUEUE_PERIODIC,
            job_id=client_job_id(client_id),
            result_ttl=3600,
        )
    log.info("template sync enqueued for %s client(s)", len(client_ids))
    return len(client_ids)


def sync_client_templates(client_id: int) -> dict:
    """Sync one client's templates with Meta (result kept on the job for inspection)."""
    result = sync_templates(client_id)
    if result.errors:
        log.warning("template sync of client %s: %s", client_id, "; ".join(result.errors))
    return result.as_dict()
