"""GCRA rate limiter on real Redis (db 9) and on fakeredis."""

from __future__ import annotations

import bisect
import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator

import fakeredis
import pytest
import redis

from clickpro.integrations.ratelimit import RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/9"


def _real_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        pytest.skip(f"Redis não acessível em {REDIS_URL}: {exc}")
    return client


@pytest.fixture(params=["fakeredis", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, redis.Redis]]:
    client = fakeredis.FakeRedis() if request.param == "fakeredis" else _real_redis()
    yield request.param, client
    client.close()


@pytest.fixture
def limiter(backend: tuple[str, redis.Redis]) -> Iterator[RateLimiter]:
    _, client = backend
    prefix = f"test:rl:{uuid.uuid4().hex}:"
    yield RateLimiter(client, prefix=prefix)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    """Largest number of times inside any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def test_max_in_any_window_helper() -> None:
    assert max_in_any_window([0.0, 0.5, 0.999999, 1.0, 1.5]) == 3
    assert max_in_any_window([]) == 0


def test_reserve_spacing_and_burst(limiter: RateLimiter) -> None:
    times = limiter.reserve_at("phone:1", 100, count=5)
    assert [round(b - a, 6) for a, b in zip(times, times[1:], strict=False)] == [0.01] * 4
    delays = limiter.reserve("phone:1", 100, count=2)
    assert all(d >= 0 for d in delays)
    assert delays[1] - delays[0] == pytest.approx(0.01, abs=1e-6)
    assert delays[0] >= 0.04 - 0.02  # queued behind the first five (minus elapsed time)

    burst = limiter.reserve("phone:2", 10, count=5, burst=3)
    assert burst[:3] == [0.0, 0.0, 0.0]
    assert burst[3] == pytest.approx(0.1, abs=0.01)
    assert burst[4] - burst[3] == pytest.approx(0.1, abs=1e-6)


def test_interval_rounded_up_never_exceeds_rate(limiter: RateLimiter) -> None:
    times = limiter.reserve_at("phone:3", 3, count=10)
    assert max_in_any_window(times) == 3


def test_keys_are_independent(limiter: RateLimiter) -> None:
    limiter.reserve("phone:a", 1, count=10)
    assert limiter.reserve("phone:b", 1) == [0.0]
    assert limiter.try_acquire("phone:b", 1) > 0.9
    assert limiter.try_acquire("phone:c", 1) == 0.0


def test_try_acquire_reserves_nothing_when_busy(limiter: RateLimiter) -> None:
    assert limiter.try_acquire("phone:t", 2) == 0.0
    wait = limiter.try_acquire("phone:t", 2)
    assert 0.4 < wait <= 0.5
    wait_again = limiter.try_acquire("phone:t", 2)
    assert 0.4 < wait_again <= wait  # the failed attempt did not push the slot back
    assert limiter.reserve("phone:t", 2)[0] == pytest.approx(wait, abs=0.05)


def test_try_acquire_with_burst(limiter: RateLimiter) -> None:
    assert [limiter.try_acquire("phone:tb", 1, burst=3) for _ in range(3)] == [0.0] * 3
    assert limiter.try_acquire("phone:tb", 1, burst=3) > 0.9


def test_acquire_sleeps_until_slot(limiter: RateLimiter) -> None:
    slept: list[float] = []
    assert limiter.acquire("phone:s", 10, sleep=slept.append) is True
    assert slept == []  # first slot is now
    assert limiter.acquire("phone:s", 10, sleep=slept.append) is True
    assert len(slept) == 1 and 0.05 < slept[0] <= 0.1


def test_acquire_timeout_takes_nothing(limiter: RateLimiter) -> None:
    limiter.reserve("phone:to", 1, count=3)  # busy for ~3 s
    slept: list[float] = []
    assert limiter.acquire("phone:to", 1, timeout=0.5, sleep=slept.append) is False
    assert slept == []
    before = limiter.reserve_at("phone:to", 1)[0]
    assert limiter.acquire("phone:to", 1, timeout=10, sleep=slept.append) is True
    assert len(slept) == 1 and 3.0 < slept[0] <= 4.0
    # the refused acquire left no gap: the slots stay exactly 1 s apart
    assert limiter.reserve_at("phone:to", 1)[0] - before == pytest.approx(2.0, abs=1e-6)


def test_ttl_set_and_expiry_starts_fresh(
    limiter: RateLimiter, backend: tuple[str, redis.Redis]
) -> None:
    _, client = backend
    limiter.reserve("phone:ttl", 10, count=20)  # backlog of ~2 s
    ttl_ms = client.pttl(limiter.prefix + "phone:ttl")
    assert 2000 < ttl_ms <= 3100
    client.delete(limiter.prefix + "phone:ttl")  # Redis restarted / key evicted
    assert limiter.reserve("phone:ttl", 10) == [0.0]
    limiter.reset("phone:ttl")
    assert client.exists(limiter.prefix + "phone:ttl") == 0


def test_no_script_cache_after_restart(
    limiter: RateLimiter, backend: tuple[str, redis.Redis]
) -> None:
    name, client = backend
    if name == "fakeredis":
        pytest.skip("fakeredis has no SCRIPT FLUSH semantics worth testing")
    client.script_flush()
    assert limiter.reserve("phone:flush", 5) == [0.0]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_invalid_rate(limiter: RateLimiter, bad: float) -> None:
    with pytest.raises(ValueError):
        limiter.reserve("phone:x", bad)


def test_invalid_count_and_burst(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError):
        limiter.reserve("phone:x", 10, count=0)
    with pytest.raises(ValueError):
        limiter.reserve("phone:x", 10, burst=0)


def _reserve_for(limiter: RateLimiter, key: str, rate: float, n: int, out: list[float]) -> None:
    """n calls, every third one a batch of 3: n=60 reserves 100 slots."""
    for i in range(n):
        # mix single reservations and small batches, like senders and batch schedulers
        out.extend(limiter.reserve_at(key, rate, count=1 if i % 3 else 3))


def test_two_threads_never_exceed_rate(limiter: RateLimiter) -> None:
    rate = 100.0
    results: list[list[float]] = [[], []]
    threads = [
        threading.Thread(target=_reserve_for, args=(limiter, "phone:thr", rate, 60, out))
        for out in results
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(results[0] + results[1])
    assert len(times) == 200  # ~2 s of slots at 100/s
    assert times[-1] - times[0] == pytest.approx(1.99, abs=1e-6)
    assert max_in_any_window(times) <= 100
    gaps = {round(b - a, 6) for a, b in zip(times, times[1:], strict=False)}
    assert gaps == {0.01}  # exactly 1/rate between consecutive slots, across callers
    # another key was not affected
    assert limiter.reserve("phone:other", rate) == [0.0]


def _process_worker(
    prefix: str, key: str, rate: float, n: int, queue: multiprocessing.Queue
) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    out: list[float] = []
    _reserve_for(RateLimiter(client, prefix=prefix), key, rate, n, out)
    queue.put(out)


def test_two_processes_never_exceed_rate(backend: tuple[str, redis.Redis]) -> None:
    name, client = backend
    if name == "fakeredis":
        pytest.skip("processes do not share a fakeredis server; covered on real Redis")
    prefix = f"test:rl:{uuid.uuid4().hex}:"
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_process_worker, args=(prefix, "phone:proc", 100.0, 60, queue))
        for _ in range(2)
    ]
    try:
        for p in procs:
            p.start()
        times = sorted(queue.get(timeout=60) + queue.get(timeout=60))
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
    finally:
        client.delete(prefix + "phone:proc")
    assert len(times) == 200
    assert max_in_any_window(times) <= 100
    assert {round(b - a, 6) for a, b in zip(times, times[1:], strict=False)} == {0.01}


def test_two_threads_sending_for_two_seconds(limiter: RateLimiter) -> None:
    """Real-time variant: each thread reserves a slot, sleeps until it, and repeats."""
    rate, duration = 100.0, 2.0
    results: list[list[float]] = [[], []]
    delays: list[float] = []
    # one deadline for both threads: a per-thread start let a thread started late (load)
    # send past the 2 s window and push the total over the bound with no limiter fault
    deadline = time.time() + duration

    def sender(out: list[float]) -> None:
        while time.time() < deadline:
            # the slot on the limiter's (Redis) clock, the same host clock here: local
            # time + delay would add the call's scheduling latency to the recorded time
            slot = limiter.reserve_at("phone:rt", rate)[0]
            delay = slot - time.time()  # taken after the call: at most the true wait
            delays.append(delay)
            out.append(slot)
            time.sleep(max(0.0, delay))

    threads = [threading.Thread(target=sender, args=(out,)) for out in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] and results[1]
    # Slots granted inside the 2 s: at most rate × duration (+ the first slot, + the one
    # the other thread may hold). A thread descheduled between its deadline check and
    # its reservation (a loaded machine) legitimately gets a slot *after* the deadline;
    # counting every reservation made that a correct limiter fail under load (208 > 205).
    inside = [slot for slot in results[0] + results[1] if slot < deadline]
    assert len(inside) <= rate * duration + 2
    # Never slower than the rate: a thread waits at most for the other's pending slot and
    # its own (2 intervals). A bare lower bound on the total measured the CPU instead
    # (fakeredis under a loaded machine managed 128 sends in 2 s with no limiter fault).
    assert max(delays) <= 2 / rate + 1e-3
    assert max_in_any_window(results[0] + results[1]) <= 100
