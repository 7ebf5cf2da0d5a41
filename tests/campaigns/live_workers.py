"""Real `clickpro worker` processes against the test PostgreSQL/Redis and a sandbox port."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLICKPRO = str(Path(sys.executable).with_name("clickpro"))


def worker_env(database_url: str, redis_url: str, graph_url: str, encryption_key: str) -> dict:
    env = dict(os.environ)
    env.update(
        CLICKPRO_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        META_GRAPH_URL=graph_url,
        SECRET_KEY="campaign-live-test-secret",
        CLICKPRO_ENCRYPTION_KEYS=encryption_key,
        CLICKPRO_PLUGINS="",
        PYTHONUNBUFFERED="1",
    )
    return env


class Workers:
    def __init__(self, env: dict, log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int = 1) -> list[subprocess.Popen]:
        started = []
        for _ in range(n):
            log = open(self.log_dir / f"worker{len(self.procs)}.log", "wb")  # noqa: SIM115
            # A session of its own: the worker's scheduler is a forked child with the same
            # command line, which outlives a SIGKILLed worker (it kept polling this test's
            # database and Redis after the run); killing the group takes both.
            proc = subprocess.Popen(
                [CLICKPRO, "worker", "-q", "campaigns"], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            self.procs.append(proc)
            started.append(proc)
        return started

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and what it forked (its scheduler), as a crash of its host."""
        _kill_group(proc)
        proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            _kill_group(proc)  # whatever of its group is left (a scheduler child)
        self.procs = []


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def registered_workers(redis_conn) -> int:
    from rq import Queue, Worker

    return len(Worker.all(connection=redis_conn, queue=Queue("campaigns", connection=redis_conn)))


def wait_for(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def max_window(timestamps: list[float], width: float = 1.0) -> int:
    """The most events inside any window [t, t + width) (sliding, exact)."""
    ts = sorted(timestamps)
    best = 0
    j = 0
    for i, t in enumerate(ts):
        while ts[j] <= t - width:
            j += 1
        best = max(best, i - j + 1)
    return best
