"""Attack/outage: Redis flushed (or restarted without persistence) under a running scheduler.

Before the fix the periodic jobs (template sync, watchdog, webhook retries, sweeps) came
back only when ``clickpro scheduler`` restarted. Now every scheduler reconciles at start
and again every ``SCHEDULER_RECONCILE_INTERVAL_S``, from its own tick.
"""

from __future__ import annotations

import threading
import time

from clickpro.extensions import redis_connection
from clickpro.tasks.schedule import make_scheduler, periodic_jobs, scheduler_job_id


def _ids(scheduler) -> set[str]:
    return {job.id for job in scheduler.get_jobs()}


def test_jobs_come_back_after_a_flush_at_the_reconcile_tick(app):
    app.config["SCHEDULER_RECONCILE_INTERVAL_S"] = 0.5
    wanted = {scheduler_job_id(job) for job in periodic_jobs(app)}
    assert len(wanted) >= 4
    scheduler = make_scheduler(app, interval=0.05)
    scheduler.reconcile_now()
    assert _ids(scheduler) == wanted

    stop = threading.Event()

    def tick() -> None:  # what run() and the embedded thread do: enqueue_jobs per interval
        while not stop.is_set():
            scheduler.enqueue_jobs()
            time.sleep(0.05)

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        redis_connection(app).flushdb()
        assert _ids(scheduler) == set()  # the outage: no periodic job left
        deadline = time.monotonic() + 15  # a loaded machine: the loop ends once all are back
        while _ids(scheduler) != wanted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _ids(scheduler) == wanted
    finally:
        stop.set()
        thread.join(2)
        for job in scheduler.get_jobs():
            scheduler.cancel(job)


def test_no_reconcile_before_the_interval(app):
    app.config["SCHEDULER_RECONCILE_INTERVAL_S"] = 3600
    scheduler = make_scheduler(app)
    scheduler.reconcile_now()
    redis_connection(app).flushdb()
    assert scheduler.reconcile_if_due() is False
    scheduler.enqueue_jobs()
    assert _ids(scheduler) == set()
    scheduler._next_reconcile = 0.0  # the interval has passed
    scheduler.enqueue_jobs()
    assert _ids(scheduler) == {scheduler_job_id(job) for job in periodic_jobs(app)}
    for job in scheduler.get_jobs():
        scheduler.cancel(job)


def test_a_failing_reconcile_never_stops_the_tick(app, monkeypatch):
    from clickpro.tasks import schedule

    scheduler = make_scheduler(app)

    def down(*args, **kwargs):
        raise ConnectionError("redis restarting")

    monkeypatch.setattr(schedule, "reconcile", down)
    assert scheduler.reconcile_if_due() is False
    scheduler.enqueue_jobs()  # no exception
