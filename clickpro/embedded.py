"""The embedded runtime: worker threads and a scheduler thread inside the web process.

Used when no ``REDIS_URL`` is set: the queue is an in-process Redis stand-in (fakeredis)
that only this process can reach, so the workers must live here too. RQ workers run in
threads as ``EmbeddedWorker`` (no signal handlers, timer-based timeouts); the scheduler
is a thread calling ``Scheduler.enqueue_jobs()`` on an interval.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from clickpro.tasks import (
    QUEUE_AI,
    QUEUE_CAMPAIGNS,
    QUEUE_DEFAULT,
    QUEUE_IMPORTS,
    QUEUE_WEBHOOKS,
    make_worker,
)
from clickpro.tasks.schedule import make_scheduler, reconcile

log = logging.getLogger(__name__)

# A long campaign dispatch must never hold up webhooks, AI replies or imports.
EMBEDDED_WORKER_QUEUES = (
    (QUEUE_CAMPAIGNS,),
    (QUEUE_CAMPAIGNS,),
    (QUEUE_WEBHOOKS, QUEUE_AI, QUEUE_DEFAULT),
    (QUEUE_IMPORTS, QUEUE_DEFAULT, QUEUE_AI),
)


def start_embedded_runtime(app: Flask) -> list[threading.Thread]:
    threads = []
    for index, queues in enumerate(EMBEDDED_WORKER_QUEUES):
        worker = make_worker(app, queues, embedded=True)
        thread = threading.Thread(
            target=_run_worker, args=(worker,), name=f"rq-worker-{index}", daemon=True
        )
        thread.start()
        threads.append(thread)
    thread = threading.Thread(
        target=_run_scheduler, args=(app,), name="rq-scheduler", daemon=True
    )
    thread.start()
    threads.append(thread)
    return threads


def _run_worker(worker) -> None:
    while True:
        try:
            worker.work(with_scheduler=True, logging_level="WARNING")
            return
        except Exception:  # keep the embedded queue alive whatever a job did
            log.exception("embedded worker crashed; restarting in 1 s")
            time.sleep(1)


def _run_scheduler(app: Flask, interval: float = 2.0) -> None:
    scheduler = make_scheduler(app, interval=interval)
    with app.app_context():
        reconcile(app, scheduler)
    while True:
        try:
            scheduler.enqueue_jobs()
        except Exception:
            log.exception("embedded scheduler tick failed")
        time.sleep(interval)
