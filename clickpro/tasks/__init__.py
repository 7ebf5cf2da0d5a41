"""RQ jobs and the worker class (queue names and ``enqueue`` live in :mod:`clickpro.jobs`).

Jobs take ids, never ORM objects, and run inside an app context pushed by the worker
(``ClickProWorker``), so job code uses ``current_app`` and ``db.session`` as a request does.
"""

from __future__ import annotations

import logging

from flask import Flask
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from clickpro import metrics
from clickpro.extensions import db, redis_connection
from clickpro.jobs import (
    ALL_QUEUES,
    QUEUE_AI,
    QUEUE_CAMPAIGNS,
    QUEUE_DEFAULT,
    QUEUE_FOLLOWUPS,
    QUEUE_IMPORTS,
    QUEUE_OUTBOUND,
    QUEUE_PERIODIC,
    QUEUE_WEBHOOKS,
    enqueue,
    get_queue,
)

log = logging.getLogger(__name__)

__all__ = [
    "ALL_QUEUES",
    "QUEUE_AI",
    "QUEUE_CAMPAIGNS",
    "QUEUE_DEFAULT",
    "QUEUE_FOLLOWUPS",
    "QUEUE_IMPORTS",
    "QUEUE_OUTBOUND",
    "QUEUE_PERIODIC",
    "QUEUE_WEBHOOKS",
    "ClickProWorker",
    "EmbeddedWorker",
    "enqueue",
    "get_queue",
    "make_worker",
    "redis_connection",
]


class ClickProWorker(SimpleWorker):
    """Runs each job in its own app context and DB session (no fork: jobs are I/O bound)."""

    app: Flask | None = None

    def execute_job(self, job, queue):
        assert self.app is not None, "ClickProWorker.app must be set"
        with self.app.app_context():
            try:
                return super().execute_job(job, queue)
            finally:
                db.session.remove()

    def handle_job_failure(self, job, queue, *args, **kwargs):
        metrics.job_failed(job.func_name)  # /metrics: clickpro_job_failures_total{job}
        return super().handle_job_failure(job, queue, *args, **kwargs)


class EmbeddedWorker(ClickProWorker):
    """A worker that can live in a thread: no signal handlers, timer-based timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):  # signals only work in the main thread
        pass


def make_worker(app: Flask, queues=ALL_QUEUES, *, embedded: bool = False) -> ClickProWorker:
    cls = EmbeddedWorker if embedded else ClickProWorker
    connection = redis_connection(app)
    worker = cls([Queue(q, connection=connection) for q in queues], connection=connection)
    worker.app = app
    return worker
