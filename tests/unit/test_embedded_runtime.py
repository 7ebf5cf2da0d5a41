"""The embedded runtime moves delayed jobs to their queue without RQ's forked scheduler."""

from __future__ import annotations

import time

from rq import Queue

from clickpro.embedded import _move_due_jobs
from clickpro.tasks import QUEUE_AI, enqueue, redis_connection


def test_delayed_job_is_queued_when_due(make_app):
    app = make_app(RQ_ASYNC=True, REDIS_URL=None)  # the in-process Redis stand-in
    with app.app_context():
        job = enqueue(print, "olá", queue=QUEUE_AI, delay=2.5)
        queue = Queue(QUEUE_AI, connection=redis_connection(app))
        _move_due_jobs(app)
        assert job.id not in queue.job_ids  # not due yet
        time.sleep(3.6)  # RQ's scheduled registry has one-second resolution
        _move_due_jobs(app)
        assert job.id in queue.job_ids
        _move_due_jobs(app)
        assert queue.job_ids.count(job.id) == 1
