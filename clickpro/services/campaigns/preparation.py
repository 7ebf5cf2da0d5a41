"""Preparing a started campaign: materializing its rows in a job, never in the request.

``start_campaign`` only claims the start (status PREPARING) and enqueues
``campaigns.prepare`` on the campaigns queue, so starting a 1,000,000-recipient campaign
answers at once. The job inserts the rows (:func:`audience.materialize`: idempotent
``INSERT … ON CONFLICT DO NOTHING`` in one transaction) and then hands over:

* still PREPARING → RUNNING and the dispatchers are enqueued;
* PAUSED meanwhile → the rows stay QUEUED; resuming dispatches them;
* CANCELLED meanwhile → the rows it inserted are cancelled too.

While it works, the job holds a Redis lease refreshed by a heartbeat thread. A worker
that dies mid-materialization loses the lease (and PostgreSQL rolls its transaction
back); the watchdog then enqueues the preparation again (:func:`resume_stalled`), which
is safe because materializing twice inserts nothing twice.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator

import redis
import sqlalchemy as sa
from flask import current_app

from clickpro.extensions import db, redis_connection, rowcount
from clickpro.jobs import QUEUE_CAMPAIGNS, enqueue
from clickpro.models import Campaign, CampaignStatus
from clickpro.models.base import utcnow
from clickpro.services.campaigns import audience, control, dispatchers
from clickpro.services.campaigns.counters import _announce, refresh_counters

log = logging.getLogger(__name__)
S = CampaignStatus
LEASE_MS = 30_000
HEARTBEAT_S = 5.0
QUEUED_MARK_S = 900  # "a preparation job is waiting in the queue" (dedupes the watchdog)


def _lease_key(campaign_id: int) -> str:
    return f"{control.PREFIX}{campaign_id}:prepare"


def _queued_key(campaign_id: int) -> str:
    return f"{control.PREFIX}{campaign_id}:prepare:queued"


def enqueue_preparation(campaign_id: int) -> None:
    """Enqueue the preparation job (a fresh job id: never one a dead worker left STARTED)."""
    with contextlib.suppress(redis.RedisError):
        redis_connection().set(_queued_key(campaign_id), "1", ex=QUEUED_MARK_S)
    timeout = int(current_app.config["CAMPAIGN_PREPARE_TIMEOUT_S"])
    enqueue("campaigns.prepare", campaign_id, queue=QUEUE_CAMPAIGNS, job_timeout=timeout)


def preparation_alive(campaign_id: int) -> bool:
    """A preparation job is running (lease held) or waiting in the queue."""
    try:
        conn = redis_connection()
        return bool(conn.exists(_lease_key(campaign_id)) or conn.exists(_queued_key(campaign_id)))
    except redis.RedisError:
        return True  # cannot tell: do not pile up jobs; the next watchdog pass decides


def resume_stalled(campaign_id: int) -> bool:
    """Watchdog: a PREPARING campaign whose job died (or vanished with Redis) is enqueued
    again. True when it was."""
    if preparation_alive(campaign_id):
        return False
    log.warning("campaign %s preparation stalled: enqueued again", campaign_id)
    enqueue_preparation(campaign_id)
    return True


def _holder(conn: redis.Redis, key: str) -> str | None:
    raw = conn.get(key)
    return raw.decode() if isinstance(raw, bytes) else raw


@contextlib.contextmanager
def _lease(campaign_id: int) -> Iterator[bool]:
    """Hold the preparation lease (refreshed every ``HEARTBEAT_S``); yields False when
    another job holds it."""
    conn = redis_connection()
    key, token = _lease_key(campaign_id), uuid.uuid4().hex
    try:
        acquired = bool(conn.set(key, token, nx=True, px=LEASE_MS))
    except redis.RedisError:
        acquired = True  # Redis down: the idempotent INSERTs still keep one row per contact
    if not acquired:
        yield False
        return
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_S):
            with contextlib.suppress(redis.RedisError):
                if _holder(conn, key) == token:
                    conn.set(key, token, px=LEASE_MS)

    beat = threading.Thread(target=heartbeat, name=f"prepare-{campaign_id}", daemon=True)
    beat.start()
    try:
        yield True
    finally:
        stop.set()
        beat.join(timeout=HEARTBEAT_S)
        with contextlib.suppress(redis.RedisError):
            if _holder(conn, key) == token:
                conn.delete(key)


def prepare_campaign(campaign_id: int) -> str:
    """The ``campaigns.prepare`` job: materialize, then hand over (see the module doc)."""
    with contextlib.suppress(redis.RedisError):
        redis_connection().delete(_queued_key(campaign_id))
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return "gone"
    if campaign.status != S.PREPARING:
        return f"not preparing ({campaign.status})"  # paused/cancelled before we began
    with _lease(campaign_id) as mine:
        if not mine:
            return "busy"  # another job is preparing it
        now = utcnow()
        audience.materialize(campaign, campaign.started_at or now)
        db.session.execute(
            sa.update(Campaign).where(Campaign.id == campaign_id).values(materialized_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        db.session.commit()
    return hand_over(campaign_id)


def hand_over(campaign_id: int) -> str:
    """The rows exist: PREPARING → RUNNING (dispatchers enqueued), or honour the pause or
    cancel that came while they were being inserted."""
    claimed = rowcount(
        db.session.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status == S.PREPARING)
            .values(status=S.RUNNING, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    if claimed:
        control.set_state(campaign_id, S.RUNNING)
        refresh_counters(campaign_id)
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None:
            _announce(campaign)
        dispatchers.enqueue_dispatchers(campaign_id)
        return "running"
    status = control.db_status(campaign_id) or S.CANCELLED
    if status == S.CANCELLED:
        dispatchers.cancel_queued_rows(campaign_id)  # rows committed after the cancel's sweep
    refresh_counters(campaign_id)
    return f"prepared, {status}"
