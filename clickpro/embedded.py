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
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.utils import current_timestamp

from clickpro.tasks import (
    ALL_QUEUES,
    QUEUE_AI,
    QUEUE_CAMPAIGNS,
    QUEUE_DEFAULT,
    QUEUE_FOLLOWUPS,
    QUEUE_IMPORTS,
    QUEUE_OUTBOUND,
    QUEUE_PERIODIC,
    QUEUE_WEBHOOKS,
    make_worker,
    redis_connection,
)
from clickpro.tasks.schedule import make_scheduler

log = logging.getLogger(__name__)
DELAYED_JOBS_TICK_S = 0.5  # how late a delayed job (AI debounce, retries) may start

# The production layout in small (README): a campaign or an import never holds up
# inbound webhooks and AI replies, and periodic jobs and outbound deliveries have their own.
EMBEDDED_WORKER_QUEUES = (
    (QUEUE_CAMPAIGNS,),
    (QUEUE_CAMPAIGNS,),
    (QUEUE_WEBHOOKS, QUEUE_FOLLOWUPS, QUEUE_AI),
    (QUEUE_IMPORTS,),
    (QUEUE_OUTBOUND, QUEUE_PERIODIC, QUEUE_DEFAULT),
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
    thread = threading.Thread(target=_run_scheduler, args=(app,), name="rq-scheduler", daemon=True)
    thread.start()
    threads.append(thread)
    return threads


def _run_worker(worker) -> None:
    while True:
        try:
            # RQ's own scheduler runs in a forked process, which cannot see the in-process
            # Redis stand-in; ``_move_due_jobs`` does its work from the scheduler thread.
            worker.work(with_scheduler=False, logging_level="WARNING")
            return
        except Exception:  # keep the embedded queue alive whatever a job did
            log.exception("embedded worker crashed; restarting in 1 s")
            time.sleep(1)


def _run_scheduler(app: Flask, interval: float = 2.0) -> None:
    """Periodic jobs (rq-scheduler) and delayed jobs (RQ's scheduled registries)."""
    scheduler = make_scheduler(app, interval=interval)
    with app.app_context():
        scheduler.reconcile_now()  # then again every SCHEDULER_RECONCILE_INTERVAL_S
    while True:
        try:
            scheduler.enqueue_jobs()
            _move_due_jobs(app)
        except Exception:
            log.exception("embedded scheduler tick failed")
        time.sleep(DELAYED_JOBS_TICK_S if interval > DELAYED_JOBS_TICK_S else interval)


def _move_due_jobs(app: Flask) -> None:
    """Enqueue jobs of RQ's scheduled registries that are due (``enqueue(delay=/at=)``)."""
    connection = redis_connection(app)
    now = current_timestamp()
    for name in ALL_QUEUES:
        queue = Queue(name, connection=connection)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(now):
            registry.remove(job_id)
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            queue.enqueue_job(job)
