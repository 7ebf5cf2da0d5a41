"""Signed webhook delivery from the sandbox back to the app, like Meta's.

Two small moving parts:

* :class:`Scheduler` — one timer thread running callables at a due time (status steps,
  template reviews, fake customer replies, delivery retries).
* :class:`Dispatcher` — a queue drained by a few worker threads that POST events to the
  account's webhook URL, signed with ``X-Hub-Signature-256``. Several ``messages`` events for
  the same number can share one POST (``webhook_batch_size``), as Meta does. In
  ``webhook_delivery="manual"`` mode events wait in a list until :meth:`Dispatcher.flush`.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from clickpro.sandbox.state import Account, SandboxState

log = logging.getLogger(__name__)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Scheduler:
    """Runs callables at a monotonic due time on one daemon thread (started lazily)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cv = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cv:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + max(delay, 0.0), next(self._seq), fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sandbox-timer", daemon=True)
                self._thread.start()
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def clear(self) -> None:
        with self._cv:
            self._heap.clear()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cv.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # a broken job must not kill the timer
                log.exception("sandbox scheduled job failed")

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._heap.clear()
            self._cv.notify_all()


@dataclass
class Event:
    """One webhook change. For field ``messages`` ``value`` holds only
    ``statuses`` or ``contacts``/``messages``; metadata is added when posting."""

    account: Account
    field: str
    value: dict[str, Any]
    attempts: int = 0


_STOP = object()
_TICK_S = 0.01


class Dispatcher:
    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self.scheduler = Scheduler()
        self._queue: queue.Queue[Any] = queue.Queue()
        self._manual: deque[Event] = deque()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._buckets: dict[int, list[Event]] = {}
        self._client: httpx.Client | None = None
        self.counts: Counter[str] = Counter()
        self.recent: deque[dict[str, Any]] = deque(maxlen=1000)

    # ------------------------------------------------------------------ enqueue
    def emit(self, account: Account, field: str, value: dict[str, Any], delay: float = 0.0) -> None:
        """Queue an event; in manual mode it waits for :meth:`flush` (delay ignored).

        Delayed events are grouped in 10 ms buckets: one timer entry per bucket, not per
        event, keeps a 1,000 sends/s run (3,000 status events/s) cheap.
        """
        event = Event(account, field, value)
        manual = self._state.config.get("webhook_delivery") == "manual"
        if not (account.webhook_url or self._state.config.get("webhook_url")):
            with self._lock:  # nobody subscribed: Meta would not deliver it either
                self.counts["no_url"] += 1
            return
        with self._lock:
            self.counts["events"] += 1
            if manual:
                self._manual.append(event)
                return
            if delay <= 0:
                bucket = None
            else:
                tick = int((time.monotonic() + delay) / _TICK_S) + 1
                bucket = self._buckets.get(tick)
                if bucket is not None:
                    bucket.append(event)
                    return
                self._buckets[tick] = [event]
        if delay <= 0:
            self._enqueue([event])
        else:
            due = tick * _TICK_S - time.monotonic()
            self.scheduler.call_later(due, lambda: self._release(tick))

    def _release(self, tick: int) -> None:
        with self._lock:
            events = self._buckets.pop(tick, [])
        if events:
            self._enqueue(events)

    def _enqueue(self, events: list[Event]) -> None:
        if self._state.config.get("webhook_delivery") == "manual":
            self._manual.extend(events)
            return
        self._ensure_workers()
        self._queue.put(events)

    def _ensure_workers(self) -> None:
        if self._workers:
            return
        with self._lock:
            if self._workers:
                return
            for n in range(max(1, int(self._state.config.get("webhook_workers", 2)))):
                thread = threading.Thread(
                    target=self._work, name=f"sandbox-webhook-{n}", daemon=True
                )
                thread.start()
                self._workers.append(thread)

    def pending(self) -> int:
        with self._lock:
            timed = sum(len(b) for b in self._buckets.values())
        return len(self._manual) + timed + self._queue.qsize()

    # ------------------------------------------------------------------ deliver
    def flush(self) -> dict[str, int]:
        """Deliver every queued manual event now, synchronously, in order."""
        delivered = failed = posts = 0
        batch_size = max(1, int(self._state.config.get("webhook_batch_size", 1)))
        while self._manual:
            batch: list[Event] = []
            while self._manual and len(batch) < batch_size:
                batch.append(self._manual.popleft())
            for group in _group(batch, self._target):
                posts += 1
                if self._post(group):
                    delivered += len(group)
                else:
                    failed += len(group)
        return {"flushed": delivered, "failed": failed, "posts": posts}

    def _work(self) -> None:
        batch_size = max(1, int(self._state.config.get("webhook_batch_size", 1)))
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            events: list[Event] = list(item)
            while len(events) < batch_size:  # top up a batch with what is already waiting
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)
                    break
                events.extend(more)
            for start in range(0, len(events), batch_size):
                for group in _group(events[start : start + batch_size], self._target):
                    if not self._post(group):
                        self._retry(group)

    def _retry(self, group: list[Event]) -> None:
        max_attempts = int(self._state.config.get("webhook_max_attempts", 3))
        delay = float(self._state.config.get("webhook_retry_delay_s", 1.0))
        for event in group:
            event.attempts += 1
            if event.attempts < max_attempts:
                self.counts["retried"] += 1
                self.scheduler.call_later(delay, partial(self._enqueue, [event]))
            else:
                self.counts["dropped"] += 1

    def _target(self, account: Account) -> tuple[str | None, str]:
        cfg = self._state.config
        url = account.webhook_url or cfg.get("webhook_url")
        secret = account.app_secret or cfg.get("app_secret") or ""  # per account, else global
        return url, secret

    def _http(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    cfg = self._state.config
                    kwargs: dict[str, Any] = {
                        "timeout": float(cfg.get("webhook_timeout_s", 10.0)),
                        "limits": httpx.Limits(max_connections=64, max_keepalive_connections=64),
                    }
                    if cfg.get("webhook_transport") is not None:
                        kwargs["transport"] = cfg["webhook_transport"]
                    self._client = httpx.Client(**kwargs)
        return self._client

    def _post(self, group: list[Event]) -> bool:
        account = group[0].account
        url, secret = self._target(account)
        if not url:
            self.counts["no_url"] += len(group)
            return True  # nowhere to send: like an app without a subscription
        body = json.dumps(_payload(group), separators=(",", ":"), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret, body)}
        try:
            response = self._http().post(url, content=body, headers=headers)
            ok = 200 <= response.status_code < 300
            status: int | None = response.status_code
        except httpx.HTTPError as exc:
            log.warning("sandbox webhook to %s failed: %s", url, type(exc).__name__)
            ok, status = False, None
        with self._lock:
            self.counts["posts"] += 1
            self.counts["delivered" if ok else "failed"] += len(group)
        self.recent.append(
            {"url": url, "status_code": status, "events": len(group), "field": group[0].field}
        )
        return ok

    def close(self) -> None:
        self.scheduler.stop()
        for _ in self._workers:
            self._queue.put(_STOP)
        if self._client is not None:
            self._client.close()
            self._client = None

    def reset(self) -> None:
        self.scheduler.clear()
        with self._lock:
            self._buckets.clear()
        self._manual.clear()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self.counts.clear()
        self.recent.clear()


def _group(
    batch: list[Event], target: Callable[[Account], tuple[str | None, str]]
) -> list[list[Event]]:
    """Split a batch into POSTs: ``messages`` events per (target, number) share one POST."""
    groups: dict[Any, list[Event]] = {}
    for n, event in enumerate(batch):
        if event.field == "messages":
            key: Any = (target(event.account), event.account.phone_number_id)
        else:
            key = n
        groups.setdefault(key, []).append(event)
    return list(groups.values())


def _payload(group: list[Event]) -> dict[str, Any]:
    account = group[0].account
    if group[0].field != "messages":
        changes = [{"field": e.field, "value": e.value} for e in group]
    else:
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": account.display_digits,
                "phone_number_id": account.phone_number_id,
            },
        }
        for event in group:
            for key in ("contacts", "messages", "statuses"):
                if key in event.value:
                    value.setdefault(key, []).extend(event.value[key])
        changes = [{"field": "messages", "value": value}]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": account.waba_id, "changes": changes}],
    }
