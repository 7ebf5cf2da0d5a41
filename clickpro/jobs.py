"""The one door to background work: queue names and ``enqueue`` by dotted job name.

Services enqueue jobs by name (``enqueue("campaigns.dispatch", campaign_id, …)``) and never
import :mod:`clickpro.tasks`: tasks import services, never the reverse, so the package's
import graph has no cycle. A short name ``"<module>.<function>"`` means
``clickpro.tasks.<module>.<function>``; RQ imports it when the job runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from rq import Queue
from rq.job import Job

from clickpro.extensions import redis_connection

# One queue per kind of work, so one tenant's heavy work (a 1M-row import, a 100k
# campaign) never waits in front of another tenant's inbound messages: a deployment runs
# separate workers per queue (README, "Production"). A worker started without ``-q``
# listens to all of them, in this order of priority.
QUEUE_WEBHOOKS = "webhooks"  # inbound Meta webhook events (messages, statuses, templates)
# What an inbound message sets off once the inbox has it, when WEBHOOK_FOLLOWUPS_QUEUE is
# on: service cycles and routing, flows, AI triggers, outbound webhooks, media fetches.
QUEUE_FOLLOWUPS = "followups"
QUEUE_AI = "ai"  # AI replies to inbound messages
QUEUE_CAMPAIGNS = "campaigns"  # campaign preparation (materialization) and dispatchers
QUEUE_IMPORTS = "imports"  # contact imports (CSV / xlsx), knowledge-base documents (OpenAI)
QUEUE_OUTBOUND = "outbound"  # deliveries to the clients' own webhook URLs
QUEUE_PERIODIC = "periodic"  # periodic jobs (template sync, watchdog, retries, sweeps)
QUEUE_DEFAULT = "default"  # small one-off jobs (opt-out confirmations)
ALL_QUEUES = (
    QUEUE_WEBHOOKS,
    QUEUE_FOLLOWUPS,
    QUEUE_AI,
    QUEUE_PERIODIC,
    QUEUE_OUTBOUND,
    QUEUE_DEFAULT,
    QUEUE_CAMPAIGNS,
    QUEUE_IMPORTS,
)

TASKS_PACKAGE = "clickpro.tasks"


def job_path(name: str) -> str:
    """``"campaigns.dispatch"`` → ``"clickpro.tasks.campaigns.dispatch"`` (full paths pass)."""
    return name if name.startswith("clickpro.") else f"{TASKS_PACKAGE}.{name}"


def get_queue(name: str = QUEUE_DEFAULT, app: Flask | None = None) -> Queue:
    app = app or current_app
    return Queue(
        name,
        connection=redis_connection(app),
        is_async=app.config["RQ_ASYNC"],
        default_timeout=app.config["RQ_DEFAULT_TIMEOUT"],
    )


def enqueue(
    func: str | Any,
    *args: Any,
    queue: str = QUEUE_DEFAULT,
    job_id: str | None = None,
    at: datetime | None = None,
    delay: timedelta | float | None = None,
    **options: Any,
) -> Job | None:
    """Enqueue the job ``func`` (a dotted name, or a task function) with ``args`` on ``queue``.

    ``job_id`` makes the enqueue idempotent while that job is still waiting (the same id
    is not queued twice). ``at``/``delay`` use RQ's own scheduled registry, which every
    ``clickpro worker`` (started ``with_scheduler``) moves to the queue when due.
    """
    if isinstance(func, str):
        func = job_path(func)
    q = get_queue(queue)
    if job_id and q.is_async:
        existing = q.fetch_job(job_id)
        if existing is not None and existing.get_status(refresh=True) in (
            "queued",
            "scheduled",
            "deferred",
        ):
            return existing
    options.setdefault("failure_ttl", 7 * 24 * 3600)
    if job_id:
        options["job_id"] = job_id
    if delay is not None and q.is_async:
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        return q.enqueue_in(timedelta(seconds=max(0.0, seconds)), func, *args, **options)
    if at is not None and q.is_async:
        return q.enqueue_at(at, func, *args, **options)
    return q.enqueue(func, *args, **options)
