"""A campaign's control state in Redis (fast path), with the database as the truth.

Pause/resume/cancel write the DB status, then ``SET`` the Redis key; dispatchers read
the key before every send (cached for at most ``CACHE_S``). When the key is gone (Redis
restarted, flushed) the DB status is read and written back with ``SET NX``, so a pause
that lands at the same moment always wins over the refill.

Dispatcher slots are Redis leases (``SET NX PX``): the watchdog may enqueue a slot's job
again at any time; a second job for a slot whose lease is alive exits at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import redis
import sqlalchemy as sa

from clickpro.extensions import db, redis_connection
from clickpro.models import Campaign

log = logging.getLogger(__name__)
PREFIX = "clickpro:campaign:"
CACHE_S = 0.05
LEASE_MS = 20_000
# A campaign row a dispatcher claimed is leased to it for as long as its slot lease
# (``messages.lease_until``), renewed every ``ROW_LEASE_RENEW_S`` while it lives.
ROW_LEASE_S = LEASE_MS / 1000
ROW_LEASE_RENEW_S = 5.0


def control_key(campaign_id: int) -> str:
    return f"{PREFIX}{campaign_id}:control"


def set_state(campaign_id: int, status: str) -> None:
    """Publish a status to every dispatcher (best effort: the DB already holds it)."""
    try:
        redis_connection().set(control_key(campaign_id), status)
    except redis.RedisError:
        log.warning("could not publish campaign %s state %s to Redis", campaign_id, status)


def clear_state(campaign_id: int) -> None:
    with contextlib.suppress(redis.RedisError):
        redis_connection().delete(control_key(campaign_id))


def db_status(campaign_id: int) -> str | None:
    return db.session.scalar(sa.select(Campaign.status).where(Campaign.id == campaign_id))


def _text(raw: bytes | str) -> str:
    """A Redis reply as text (this connection answers bytes)."""
    return raw.decode() if isinstance(raw, bytes) else raw


class ControlView:
    """Thread-safe, cached view of one campaign's control state.

    Send threads call :meth:`current` (no DB access: a Redis GET at most every
    ``CACHE_S``); the dispatcher's main thread calls :meth:`refresh_from_db` regularly,
    which also refills a lost key.
    """

    def __init__(self, conn: redis.Redis, campaign_id: int, initial: str) -> None:
        self._redis = conn
        self._key = control_key(campaign_id)
        self._lock = threading.Lock()
        self._value = initial
        self._db_value = initial
        self._read_at = 0.0

    def current(self) -> str:
        now = time.monotonic()
        if now - self._read_at < CACHE_S:
            return self._value
        with self._lock:
            if now - self._read_at < CACHE_S:
                return self._value
            try:
                raw = self._redis.get(self._key)
                value = _text(raw) if raw is not None else self._db_value
            except redis.RedisError:
                value = self._db_value
            self._value = value
            self._read_at = time.monotonic()
            return value

    def running(self) -> bool:
        return self.current() == "RUNNING"

    def refresh_from_db(self, status: str | None) -> str:
        """Record the DB truth; a missing Redis key is refilled (``SET NX``)."""
        status = status or "CANCELLED"
        self._db_value = status
        try:
            if not self._redis.set(self._key, status, nx=True):
                raw = self._redis.get(self._key)
                if raw is not None and _text(raw) != status and status != "RUNNING":
                    # The DB says stop but Redis says run (stale key): the DB wins.
                    self._redis.set(self._key, status)
        except redis.RedisError:
            pass
        self._read_at = 0.0
        return self.current()


class SlotLease:
    """One dispatcher slot of a campaign, held by one job at a time."""

    def __init__(self, conn: redis.Redis, campaign_id: int, slot: int, token: str) -> None:
        self._redis = conn
        self.key = f"{PREFIX}{campaign_id}:slot:{slot}"
        self.token = token

    def acquire(self) -> bool:
        try:
            return bool(self._redis.set(self.key, self.token, nx=True, px=LEASE_MS))
        except redis.RedisError:
            return True  # Redis down: the DB claims still keep every row single-owner

    def refresh(self) -> None:
        try:
            held = self._redis.get(self.key)
            if held is None or _text(held) == self.token:
                self._redis.set(self.key, self.token, px=LEASE_MS)
        except redis.RedisError:
            pass

    def release(self) -> None:
        try:
            held = self._redis.get(self.key)
            if held is not None and _text(held) == self.token:
                self._redis.delete(self.key)
        except redis.RedisError:
            pass
