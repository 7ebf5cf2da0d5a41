"""Platform health as Prometheus metrics (``prometheus_client``), scraped at ``/metrics``.

Hot paths call the small functions below (:func:`webhook_ack`, :func:`webhook_processed`,
:func:`send_result`, :func:`job_failed`, :func:`socket_opened`/:func:`socket_closed`):
each is one dictionary lookup and one increment (the webhook ack's CPU budget is counted
in microseconds, issue #24). Nothing here opens a connection at import time.

Two modes, chosen by the environment, as ``prometheus_client`` requires:

- **multi-process** (``PROMETHEUS_MULTIPROC_DIR`` set before the process starts): every
  gunicorn process and every RQ worker writes its values to files in that directory and a
  scrape sums them (:class:`prometheus_client.multiprocess.MultiProcessCollector`). The
  directory must exist and be emptied before the processes start (README, "Monitoring");
  gunicorn's ``child_exit`` hook calls :func:`mark_process_dead` so the live gauges (open
  Socket.IO connections) forget a dead process.
- **single process** (the variable unset: ``clickpro run``, tests): the values live in
  this process and the scrape reads them directly.

Queue lengths and workers are not counted by anybody: they are read from Redis when
``/metrics`` is scraped (:class:`QueueCollector`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # unlabelled metrics open their file when defined
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

# Our metrics live in their own registry (never the global one), so a scrape in single
# process mode shows exactly them, and importing this module twice in tests is harmless.
LOCAL = CollectorRegistry(auto_describe=True)

WEBHOOK_ACKS = Counter(
    "clickpro_webhook_acks",
    "Answers to Meta's POST /webhook, by result.",
    ["result"],
    registry=LOCAL,
)
WEBHOOK_LAG = Histogram(
    "clickpro_webhook_processing_lag_seconds",
    "Time from a webhook event's arrival (stored) to its processing.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
    registry=LOCAL,
)
SENDS = Counter(
    "clickpro_sends",
    "Messages sent to Meta, by result (sent, failed, throttled) and error class.",
    ["result", "error"],
    registry=LOCAL,
)
JOB_FAILURES = Counter(
    "clickpro_job_failures",
    "Background (RQ) jobs that failed, by job.",
    ["job"],
    registry=LOCAL,
)
SOCKETS = Gauge(
    "clickpro_socketio_connections",
    "Open inbox Socket.IO connections (summed over the live web processes).",
    registry=LOCAL,
    multiprocess_mode="livesum",
)

ACK_RESULTS = {
    200: "ok",
    400: "bad_request",
    403: "forbidden",
    413: "too_large",
    503: "unavailable",
}
# Meta's "slow down" answers: throughput per number, per pair, the app's rate limit.
THROTTLED_KINDS = frozenset({"rate_limit", "throughput", "pair_rate"})

_acks: dict[int, object] = {}
_sends: dict[str | None, object] = {}
_jobs: dict[str, object] = {}
_counted_sockets: set[str] = set()


def webhook_ack(status: int) -> None:
    """One answer of ``POST /webhook`` (the HTTP status given to Meta)."""
    child = _acks.get(status)
    if child is None:
        child = _acks[status] = WEBHOOK_ACKS.labels(ACK_RESULTS.get(status, "other"))
    child.inc()  # type: ignore[attr-defined]


def webhook_processed(received_at: datetime | None) -> None:
    """One webhook event applied; ``received_at`` is when its row was stored."""
    if received_at is not None:
        WEBHOOK_LAG.observe(max(0.0, time.time() - received_at.timestamp()))


def send_result(error_kind: str | None = None) -> None:
    """One send to Meta: accepted (``error_kind`` None) or refused with a
    :class:`~clickpro.integrations.meta.errors.GraphErrorKind` value."""
    child = _sends.get(error_kind)
    if child is None:
        if error_kind is None:
            labels = ("sent", "")
        else:
            kind = str(error_kind)
            labels = ("throttled" if kind in THROTTLED_KINDS else "failed", kind)
        child = _sends[error_kind] = SENDS.labels(*labels)
    child.inc()  # type: ignore[attr-defined]


def job_failed(func_name: str | None) -> None:
    """One failed RQ job, labelled by its short name (``campaigns.dispatch``)."""
    name = (func_name or "unknown").removeprefix("clickpro.tasks.")[:80]
    child = _jobs.get(name)
    if child is None:
        child = _jobs[name] = JOB_FAILURES.labels(name)
    child.inc()  # type: ignore[attr-defined]


def socket_opened(sid: str) -> None:
    if sid not in _counted_sockets:
        _counted_sockets.add(sid)
        SOCKETS.inc()


def socket_closed(sid: str) -> None:
    """Only a connection counted as opened is taken off (refused ones never were)."""
    if sid in _counted_sockets:
        _counted_sockets.discard(sid)
        SOCKETS.dec()


def multiproc_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def mark_process_dead(pid: int) -> None:
    """Forget the live gauges of a process that exited (gunicorn ``child_exit``)."""
    if multiproc_dir():
        multiprocess.mark_process_dead(pid)


class QueueCollector:
    """Queue lengths, failed-job registries and workers, read from Redis at scrape time."""

    def __init__(self, connection, queue_names: Iterable[str]) -> None:
        self.connection = connection
        self.queue_names = tuple(queue_names)

    def collect(self) -> Iterator[Metric]:
        from rq import Queue, Worker

        length = GaugeMetricFamily(
            "clickpro_queue_length", "Jobs waiting in each RQ queue.", labels=["queue"]
        )
        failed = GaugeMetricFamily(
            "clickpro_queue_failed_jobs", "Jobs in each queue's failed registry.", labels=["queue"]
        )
        workers = GaugeMetricFamily(
            "clickpro_workers", "RQ workers registered in Redis, by state.", labels=["state"]
        )
        up = GaugeMetricFamily("clickpro_redis_up", "1 when Redis answered this scrape.")
        try:
            pipe = self.connection.pipeline()
            for name in self.queue_names:
                queue = Queue(name, connection=self.connection)
                pipe.llen(queue.key)
                pipe.zcard(queue.failed_job_registry.key)
            counts = pipe.execute()
            states: dict[str, int] = {}
            for worker in Worker.all(connection=self.connection):
                state = str(worker.get_state() or "unknown")
                states[state] = states.get(state, 0) + 1
        except Exception:  # Redis down: the scrape still answers, saying so
            up.add_metric([], 0)
            yield up
            return
        for i, name in enumerate(self.queue_names):
            length.add_metric([name], counts[2 * i])
            failed.add_metric([name], counts[2 * i + 1])
        for state, n in sorted(states.items()):
            workers.add_metric([state], n)
        up.add_metric([], 1)
        yield from (length, failed, workers, up)


def render(extra: Iterable[object] = ()) -> tuple[bytes, str]:
    """The scrape's body and content type: every process's values (multi-process mode)
    or this process's, plus the ``extra`` collectors (e.g. :class:`QueueCollector`)."""
    registry = CollectorRegistry(auto_describe=True)
    path = multiproc_dir()
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        for metric in (WEBHOOK_ACKS, WEBHOOK_LAG, SENDS, JOB_FAILURES, SOCKETS):
            registry.register(metric)
    for collector in extra:
        registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
