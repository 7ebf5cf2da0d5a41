"""RQ the Redash way: queue names, the Redis connection, ``enqueue`` and the worker class.

Jobs take ids, never ORM objects, and run inside an app context pushed by the worker
(``ClickProWorker``), so job code uses ``current_app`` and ``db.session`` as a request does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from flask import Flask, current_app
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty

from clickpro.extensions import db

log = logging.getLogger(__name__)

QUEUE_DEFAULT = "default"
QUEUE_WEBHOOKS = "webhooks"
QUEUE_CAMPAIGNS = "campaigns"
QUEUE_AI = "ai"
QUEUE_IMPORTS = "imports"
ALL_QUEUES = (QUEUE_WEBHOOKS, QUEUE_AI, QUEUE_CAMPAIGNS, QUEUE_IMPORTS, QUEUE_DEFAULT)

_REDIS_KEY = "clickpro.redis"


def init_redis(app: Flask) -> None:
    """Bind a Redis connection factory; nothing connects until first use."""
    url = app.config.get("REDIS_URL")
    if url:
        app.extensions[_REDIS_KEY] = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30
        )
    else:
        import fakeredis

        # One in-process server per app: the embedded queue, limiter and control keys.
        app.extensions[_REDIS_KEY] = fakeredis.FakeRedis(server=fakeredis.FakeServer())


def redis_connection(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions[_REDIS_KEY]


def get_queue(name: str = QUEUE_DEFAULT, app: Flask | None = None) -> Queue:
    app = app or current_app
    return Queue(
        name,
        connection=redis_connection(app),
        is_async=app.config.get("RQ_ASYNC", True),
        default_timeout=app.config.get("RQ_DEFAULT_TIMEOUT", 600),
    )


def enqueue(
    func: Callable,
    *args,
    queue: str = QUEUE_DEFAULT,
    job_id: str | None = None,
    at: datetime | None = None,
    delay: timedelta | float | None = None,
    **options,
) -> Job | None:
    """Enqueue ``func(*args)`` on ``queue``.

    ``job_id`` makes the enqueue idempotent while that job is still waiting (the same id
    is not queued twice). ``at``/``delay`` use RQ's own scheduled registry, which every
    ``clickpro worker`` (started ``with_scheduler``) moves to the queue when due.
    """
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
