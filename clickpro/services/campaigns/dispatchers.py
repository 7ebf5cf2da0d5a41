"""What works a campaign's rows: the dispatcher jobs, and the queued rows a stop cancels.

Callers use ``dispatchers.enqueue_dispatchers(...)`` (module attribute), so a test that
replaces it replaces it for the start, the preparation job, resume and retry alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from rq import Worker

from clickpro.extensions import db, redis_connection, rowcount
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue, get_queue
from clickpro.models import Message, MessageStatus


def dispatcher_count() -> int:
    """One dispatcher job per worker listening on the campaigns queue (bounded)."""
    limit = int(current_app.config["CAMPAIGN_MAX_DISPATCHERS"])
    if not current_app.config["RQ_ASYNC"]:
        return 1
    try:
        workers = Worker.all(connection=redis_connection(), queue=get_queue(QUEUE_CAMPAIGNS))
        return max(1, min(limit, len(workers)))
    except Exception:  # noqa: BLE001 - Redis down: one job, the watchdog adds more later
        return 1


def enqueue_dispatchers(campaign_id: int) -> None:
    slice_s = int(current_app.config["CAMPAIGN_DISPATCH_SLICE_S"])
    for slot in range(dispatcher_count()):
        # A fresh job id each time (never reuse the id of a job that may still be running);
        # the slot's Redis lease makes extra jobs for a busy slot exit at once.
        enqueue(
            "campaigns.dispatch",
            campaign_id,
            slot,
            queue=QUEUE_CAMPAIGNS,
            job_timeout=slice_s + 300,
        )


def cancel_queued_rows(campaign_id: int) -> int:
    count = rowcount(
        db.session.execute(
            sa.update(Message)
            .where(Message.campaign_id == campaign_id, Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.CANCELLED, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return count
