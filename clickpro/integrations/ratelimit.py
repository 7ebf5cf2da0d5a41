"""Per-key rate limiter shared by every worker process (GCRA in one Redis Lua script).

Each key (e.g. ``clickpro:rl:phone:<phone_number_id>``) stores one integer: the
theoretical arrival time (TAT) of the next free slot, in microseconds of the *Redis
server's* clock (``TIME``), so workers on different hosts agree without synchronised
clocks. Integer microseconds keep the spacing exact; the interval is rounded *up*
(``ceil(1e6 / rate)``) so rounding can never exceed the rate.

A lost key (Redis restarted, key expired) just means "no backlog": the next caller
starts fresh.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import redis

__all__ = ["RateLimiter", "SlotBook"]

# KEYS[1] = key; ARGV = interval_us, count, burst, max_delay_us (-1 = unlimited).
# Returns {reserved (1/0), now_us, slot_1_us, ..., slot_count_us}. When the last slot
# would be later than now + max_delay_us nothing is stored (reserved = 0).
_GCRA = """
local interval = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local max_delay = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tolerance = (burst - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local result = {1, now}
for i = 1, count do
  local at = tat - tolerance
  if at < now then at = now end
  result[#result + 1] = at
  tat = tat + interval
end
if max_delay >= 0 and result[#result] - now > max_delay then
  result[1] = 0
  return result
end
local ttl_ms = math.ceil((tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', ttl_ms)
return result
"""


class RateLimiter:
    """GCRA limiter: ``rate_per_s`` sends per second per key, ``burst`` of them at once."""

    def __init__(self, redis: redis.Redis, *, prefix: str = "clickpro:rl:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_GCRA)

    def reserve(self, key: str, rate_per_s: float, count: int = 1, burst: int = 1) -> list[float]:
        """Reserve ``count`` consecutive slots; return each slot's delay (s, >= 0) from now."""
        _, now, slots = self._run(key, rate_per_s, count, burst, -1)
        return [(slot - now) / 1e6 for slot in slots]

    def reserve_at(
        self, key: str, rate_per_s: float, count: int = 1, burst: int = 1
    ) -> list[float]:
        """Like :meth:`reserve` but absolute times (epoch seconds on the Redis clock).

        Useful to schedule jobs (``enqueue_at``) and to verify spacing exactly.
        """
        _, _, slots = self._run(key, rate_per_s, count, burst, -1)
        return [slot / 1e6 for slot in slots]

    def reserve_with_clock(
        self, key: str, rate_per_s: float, count: int = 1, burst: int = 1
    ) -> tuple[float, list[float]]:
        """(the Redis clock's now, each slot) in epoch seconds on the Redis clock."""
        _, now, slots = self._run(key, rate_per_s, count, burst, -1)
        return now / 1e6, [slot / 1e6 for slot in slots]

    def acquire(
        self,
        key: str,
        rate_per_s: float,
        *,
        burst: int = 1,
        timeout: float | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> bool:
        """Reserve one slot and sleep until it; ``False`` (nothing reserved) if it is
        further away than ``timeout`` seconds."""
        max_delay = -1 if timeout is None else max(0, math.floor(timeout * 1e6))
        reserved, now, slots = self._run(key, rate_per_s, 1, burst, max_delay)
        if not reserved:
            return False
        delay = (slots[0] - now) / 1e6
        if delay > 0:
            sleep(delay)
        return True

    def try_acquire(self, key: str, rate_per_s: float, *, burst: int = 1) -> float:
        """Take a slot only if it is free right now: ``0.0`` if taken, else the seconds to
        wait before one frees up (nothing is reserved then)."""
        reserved, now, slots = self._run(key, rate_per_s, 1, burst, 0)
        return 0.0 if reserved else (slots[0] - now) / 1e6

    def reset(self, key: str) -> None:
        """Forget the backlog of ``key`` (e.g. after the number's throughput changed)."""
        self.redis.delete(self.prefix + key)

    def _run(
        self, key: str, rate_per_s: float, count: int, burst: int, max_delay_us: int
    ) -> tuple[bool, int, list[int]]:
        if not rate_per_s > 0 or math.isinf(rate_per_s):
            raise ValueError("rate_per_s must be a positive finite number")
        if count < 1 or burst < 1:
            raise ValueError("count and burst must be >= 1")
        interval_us = max(1, math.ceil(1e6 / rate_per_s))
        result = self._script(
            keys=[self.prefix + key], args=[interval_us, int(count), int(burst), max_delay_us]
        )
        values = [int(v) for v in result]
        return bool(values[0]), values[1], values[2:]


class SlotBook:
    """Slots of one limiter key reserved ``chunk`` at a time, handed out in order.

    One Redis round trip per ``chunk`` sends instead of one per send. The slots are the
    limiter's own (consecutive, ``1/rate`` apart, shared with every other caller of the
    key), so the rate is kept exactly as with one reservation per send; a slot handed out
    too late is simply not used (a lost slot only slows down, never speeds up). Keep
    ``chunk`` small (a few tens of ms of the rate): slots left when the caller stops are
    lost. Thread-safe; times are ``clock()`` (monotonic) seconds.

    Redis-clock slots are mapped to ``clock()`` with the smallest ``clock() after the call
    − Redis now`` seen over the last calls: never earlier than the true time (every such
    value is an upper bound of the clocks' offset), and not shifted by one slow round trip
    — mapping a whole chunk with its own late return would slide it onto the next
    caller's slots and bunch sends in a 1 s window.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        key: str,
        rate_per_s: float,
        chunk: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limiter = limiter
        self.key = key
        self.rate = rate_per_s
        self.chunk = max(1, int(chunk))
        self.clock = clock
        self._slots: deque[float] = deque()
        self._offsets: deque[float] = deque(maxlen=64)  # follows slow clock drift
        self._lock = threading.Lock()
        self.reservations = 0  # Redis calls made (for tests and benches)

    def take(self, max_late: float) -> float:
        """The next free slot (``clock()`` time), never one more than ``max_late`` s past."""
        with self._lock:
            now = self.clock()
            while self._slots and self._slots[0] < now - max_late:
                self._slots.popleft()  # went by unused: dropped
            if not self._slots:
                redis_now, slots = self.limiter.reserve_with_clock(
                    self.key, self.rate, count=self.chunk
                )
                self.reservations += 1
                self._offsets.append(self.clock() - redis_now)
                offset = min(self._offsets)
                self._slots.extend(slot + offset for slot in slots)
            return self._slots.popleft()
