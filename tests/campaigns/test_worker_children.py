"""A ``clickpro worker`` SIGKILLed (OOM, ``kill -9``) takes its RQ scheduler with it: the
scheduler is a forked child that otherwise went on polling Redis with no worker left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest
from live_workers import CLICKPRO, ROOT, wait_for, worker_env

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (TEST_DATABASE_URL and TEST_REDIS_URL),
    reason="needs a real PostgreSQL and Redis shared with a `clickpro worker` process",
)
ENC_KEY = "dGVzdC1vbmx5LWNsaWNrcHJvLWtleS0zMi1ieXRlcyE="


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc (Linux)")
def test_the_scheduler_stops_when_its_worker_is_killed(database_url, tmp_path):
    from redis import Redis
    from rq.scheduler import RQScheduler

    redis = Redis.from_url(TEST_REDIS_URL)
    redis.delete(RQScheduler.get_locking_key("default"))  # a killed test's lock: free it
    env = worker_env(database_url, TEST_REDIS_URL, "http://127.0.0.1:9/graph", ENC_KEY)
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [CLICKPRO, "worker", "-q", "default"], env=env, cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        (scheduler,) = wait_for(lambda: _children(worker.pid), 60, 0.1, "the scheduler child")
        assert _alive(scheduler)
        worker.send_signal(signal.SIGKILL)  # the worker only, as the OOM killer does
        worker.wait(10)
        wait_for(lambda: not _alive(scheduler), 10, 0.1, "the orphaned scheduler to stop")
        # it stopped as RQ's warm stop does: its lock released for the next worker's
        assert not redis.exists(RQScheduler.get_locking_key("default"))
    finally:
        log.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
