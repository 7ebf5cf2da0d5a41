"""RQ jobs and the worker class (queue names and ``enqueue`` live in :mod:`clickpro.jobs`).

Jobs take ids, never ORM objects, and run inside an app context pushed by the worker
(``ClickProWorker``), so job code uses ``current_app`` and ``db.session`` as a request does.
"""

from __future__ import annotations

import logging
import os

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


_PR_SET_PDEATHSIG = 1  # prctl(2)


def _term_when_parent_dies() -> None:
    """In a forked child (RQ's scheduler): ask Linux for SIGTERM when the parent dies."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child outlives a killed worker
        pass


def bind_forked_children_to_worker() -> None:
    """A ``clickpro worker``'s only fork is RQ's scheduler, a child with the same command
    line that, when the worker is SIGKILLed (OOM, ``kill -9``, a supervisor without
    process groups), went on heartbeating its scheduler locks and polling Redis with no
    worker left. With this each forked child gets SIGTERM (RQ's warm stop: it releases
    its locks) when the worker dies. Jobs run in the worker (SimpleWorker: no fork)."""
    os.register_at_fork(after_in_child=_term_when_parent_dies)


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
