"""Periodic jobs: one list of definitions, reconciled with rq-scheduler by deterministic ids.

Features and plugins add definitions through ``clickpro.plugins.api.register_periodic_job``;
``clickpro scheduler`` (production) or the embedded scheduler thread runs them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from rq_scheduler import Scheduler

from clickpro.tasks import QUEUE_DEFAULT, redis_connection

log = logging.getLogger(__name__)
_EXT_KEY = "clickpro.periodic_jobs"


@dataclass(frozen=True)
class PeriodicJob:
    id: str  # deterministic: the scheduler keeps exactly one job per id
    func: str  # dotted path, so definitions never import feature modules
    interval_config_key: str | None = None
    interval_s: int = 300
    queue: str = QUEUE_DEFAULT
    timeout: int = 600

    def interval(self, app: Flask) -> int:
        if self.interval_config_key:
            return int(app.config.get(self.interval_config_key, self.interval_s))
        return self.interval_s


CORE_PERIODIC_JOBS = (
    PeriodicJob(
        "templates.sync_all",
        "clickpro.tasks.templates.sync_all_clients",
        interval_config_key="TEMPLATE_SYNC_INTERVAL_S",
        interval_s=300,
    ),
    PeriodicJob(
        "campaigns.watchdog",
        "clickpro.tasks.campaigns.watchdog",
        interval_config_key="CAMPAIGN_WATCHDOG_INTERVAL_S",
        interval_s=30,
    ),
    PeriodicJob("webhooks.retry", "clickpro.tasks.webhooks.retry_unprocessed", interval_s=60),
    PeriodicJob("api.sweep", "clickpro.tasks.outbound_webhooks.sweep", interval_s=300),
)


def init_schedule(app: Flask) -> None:
    app.extensions[_EXT_KEY] = list(CORE_PERIODIC_JOBS)


def periodic_jobs(app: Flask) -> list[PeriodicJob]:
    return app.extensions.get(_EXT_KEY, [])


def add_periodic_job(app: Flask, job: PeriodicJob) -> None:
    jobs = app.extensions.setdefault(_EXT_KEY, [])
    jobs[:] = [j for j in jobs if j.id != job.id] + [job]


def make_scheduler(app: Flask, interval: float = 5) -> Scheduler:
    return Scheduler(queue_name=QUEUE_DEFAULT, connection=redis_connection(app), interval=interval)


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
            job.meta.get("interval") != definition.interval(app) or job.func_name != definition.func
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
