"""Periodic jobs: one list of definitions, reconciled with rq-scheduler by deterministic ids.

Features and plugins add definitions through ``clickpro.plugins.api.register_periodic_job``;
``clickpro scheduler`` (production) or the embedded scheduler thread runs them, and both
reconcile them at start and again every ``SCHEDULER_RECONCILE_INTERVAL_S`` (a Redis
restart or flush never leaves the platform without them).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from rq_scheduler import Scheduler

from clickpro.tasks import QUEUE_PERIODIC, redis_connection

log = logging.getLogger(__name__)
_EXT_KEY = "clickpro.periodic_jobs"


@dataclass(frozen=True)
class PeriodicJob:
    id: str  # deterministic: the scheduler keeps exactly one job per id
    func: str  # dotted path, so definitions never import feature modules
    interval_config_key: str | None = None  # a declared setting (seconds); wins over interval_s
    interval_s: int = 300
    queue: str = QUEUE_PERIODIC  # their own queue: never behind a campaign or an import
    timeout: int = 600

    def interval(self, app: Flask) -> int:
        if self.interval_config_key:
            return int(app.config[self.interval_config_key])
        return self.interval_s


CORE_PERIODIC_JOBS = (
    PeriodicJob(
        "templates.sync_all",
        "clickpro.tasks.templates.sync_all_clients",
        interval_config_key="TEMPLATE_SYNC_INTERVAL_S",
    ),
    PeriodicJob(
        "campaigns.watchdog",
        "clickpro.tasks.campaigns.watchdog",
        interval_config_key="CAMPAIGN_WATCHDOG_INTERVAL_S",
    ),
    PeriodicJob("inbox.wake_snoozed", "clickpro.tasks.snooze.wake_due", interval_s=60),
    PeriodicJob("webhooks.retry", "clickpro.tasks.webhooks.retry_unprocessed", interval_s=60),
    PeriodicJob("api.sweep", "clickpro.tasks.outbound_webhooks.sweep", interval_s=300),
    PeriodicJob("imports.sweep_uploads", "clickpro.tasks.imports.sweep_uploads", interval_s=1800),
    PeriodicJob(
        "media.expire",
        "clickpro.tasks.media.expire",
        interval_config_key="MEDIA_RETENTION_INTERVAL_S",
    ),
    PeriodicJob("teams.sla_breaches", "clickpro.tasks.sla.check_breaches", interval_s=60),
    PeriodicJob("reports.rollup", "clickpro.tasks.reports.rollup", interval_s=300),
    PeriodicJob("ai.knowledge_sweep", "clickpro.tasks.knowledge.sweep", interval_s=30),
)


def init_schedule(app: Flask) -> None:
    app.extensions[_EXT_KEY] = list(CORE_PERIODIC_JOBS)


def periodic_jobs(app: Flask) -> list[PeriodicJob]:
    return app.extensions.get(_EXT_KEY, [])


def add_periodic_job(app: Flask, job: PeriodicJob) -> None:
    jobs = app.extensions.setdefault(_EXT_KEY, [])
    jobs[:] = [j for j in jobs if j.id != job.id] + [job]


class ReconcilingScheduler(Scheduler):
    """rq-scheduler that re-reconciles the periodic jobs every few minutes.

    The periodic jobs live only in Redis: after a Redis restart without persistence or a
    flush they are gone. Every tick (:meth:`enqueue_jobs`, called by ``run()`` under
    rq-scheduler's lock and by the embedded scheduler thread) first reconciles when
    ``SCHEDULER_RECONCILE_INTERVAL_S`` has passed since the last time, so each running
    ``clickpro scheduler`` puts them back within that interval. Reconciling is idempotent
    (deterministic job ids), so several schedulers doing it is harmless.
    """

    def __init__(self, *args, app: Flask, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._app = app
        self._next_reconcile = 0.0

    def reconcile_interval_s(self) -> float:
        return float(self._app.config["SCHEDULER_RECONCILE_INTERVAL_S"])

    def reconcile_now(self) -> None:
        """Reconcile at once (at start), and count the interval from now."""
        reconcile(self._app, self)
        self._next_reconcile = time.monotonic() + self.reconcile_interval_s()

    def reconcile_if_due(self) -> bool:
        if time.monotonic() < self._next_reconcile:
            return False
        try:
            self.reconcile_now()
        except Exception:  # Redis down for a moment: try again at the next tick
            log.exception("reconciling the periodic jobs failed")
            return False
        return True

    def enqueue_jobs(self):
        self.reconcile_if_due()
        return super().enqueue_jobs()

    def _install_signal_handlers(self) -> None:
        # signal.signal only works in the main thread (the embedded runtime uses a thread).
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()


def make_scheduler(app: Flask, interval: float = 5) -> ReconcilingScheduler:
    return ReconcilingScheduler(
        queue_name=QUEUE_PERIODIC, connection=redis_connection(app), interval=interval, app=app
    )


def scheduler_job_id(job: PeriodicJob) -> str:
    """RQ 3 job ids allow only letters, digits, ``_`` and ``-`` ("templates.sync_all" →
    "periodic-templates-sync_all")."""
    return "periodic-" + re.sub(r"[^A-Za-z0-9_-]", "-", job.id)


def reconcile(app: Flask, scheduler: Scheduler) -> None:
    """Make the scheduler hold exactly our periodic jobs (cancel unknown/changed ones)."""
    wanted = {scheduler_job_id(job): job for job in periodic_jobs(app)}
    for job in scheduler.get_jobs():
        definition = wanted.get(job.id)
        if definition is None and job.id.startswith("periodic-"):
            scheduler.cancel(job)
            continue
        if definition is not None and (
            job.meta.get("interval") != definition.interval(app)
            or job.func_name != definition.func
            or job.origin != definition.queue  # e.g. scheduled before periodic had a queue
        ):
            scheduler.cancel(job)
    existing = {job.id for job in scheduler.get_jobs()}
    for job_id, definition in wanted.items():
        if job_id in existing:
            continue
        scheduler.schedule(
            scheduled_time=datetime.now(UTC),
            func=definition.func,
            interval=definition.interval(app),
            repeat=None,
            id=job_id,
            queue_name=definition.queue,
            timeout=definition.timeout,
            meta={"interval": definition.interval(app)},
        )
        log.info("scheduled %s every %ss", definition.func, definition.interval(app))
