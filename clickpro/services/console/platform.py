"""Platform-wide health read from Redis: RQ queue depths and worker heartbeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rq import Queue, Worker

from clickpro.extensions import redis_connection
from clickpro.jobs import ALL_QUEUES


@dataclass
class QueueRow:
    name: str
    waiting: int
    started: int
    scheduled: int
    failed: int


@dataclass
class WorkerRow:
    name: str
    state: str
    queues: tuple[str, ...]
    last_heartbeat: datetime | None
    current_job: str | None
    ttl_s: int

    def silent_for(self, now: datetime) -> float | None:
        if self.last_heartbeat is None:
            return None
        return max(0.0, (now - self.last_heartbeat).total_seconds())

    def stale(self, now: datetime) -> bool:
        """No heartbeat within the worker's own TTL: RQ itself would drop it soon."""
        age = self.silent_for(now)
        return age is None or age > self.ttl_s


@dataclass
class Platform:
    queues: list[QueueRow]
    workers: list[WorkerRow]
    redis_error: str | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def platform_status() -> Platform:
    """Queue depths (one pipelined round trip) and every registered worker."""
    connection = redis_connection()
    try:
        queues = [Queue(name, connection=connection) for name in ALL_QUEUES]
        pipe = connection.pipeline()
        for q in queues:
            pipe.llen(q.key)
            pipe.zcard(q.started_job_registry.key)
            pipe.zcard(q.scheduled_job_registry.key)
            pipe.zcard(q.failed_job_registry.key)
        counts = pipe.execute()
        queue_rows = [
            QueueRow(q.name, *(int(c) for c in counts[4 * i : 4 * i + 4]))
            for i, q in enumerate(queues)
        ]
        workers = [
            WorkerRow(
                name=w.name,
                state=str(w.get_state() or "unknown"),
                queues=tuple(w.queue_names()),
                last_heartbeat=_aware(w.last_heartbeat),
                current_job=w.get_current_job_id(),
                ttl_s=int(getattr(w, "worker_ttl", 420) or 420),
            )
            for w in Worker.all(connection=connection)
        ]
    except Exception as exc:  # Redis down: the page still opens and says so
        return Platform(queues=[], workers=[], redis_error=f"{type(exc).__name__}: {exc}"[:300])
    workers.sort(key=lambda w: w.name)
    return Platform(queues=queue_rows, workers=workers)
