"""Password hashing runs off the gevent hub: a burst of logins in the one gevent web
worker must not stall the other greenlets (every socket's Engine.IO ping, every request).

Run in a subprocess: monkey-patching the test process would change every other test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import json, sys, time
    import gevent
    sys.path.insert(0, sys.argv[1])
    from werkzeug.security import check_password_hash, generate_password_hash
    from clickpro.models import User
    from clickpro.offload import gevent_active

    hashed = generate_password_hash("senha-de-teste-1")
    started = time.perf_counter()
    check_password_hash(hashed, "senha-de-teste-1")  # on the hub: the cost of one hash
    one_hash = time.perf_counter() - started

    gaps = []
    stop = []

    def ticker():  # stands for a socket's ping loop
        last = time.perf_counter()
        while not stop:
            gevent.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    def logins():
        user = User(password_hash=hashed)
        results = [user.check_password("senha-de-teste-1") for _ in range(3)]
        results.append(user.check_password("errada"))
        stop.append(1)
        return results

    tick = gevent.spawn(ticker)
    gevent.sleep(0.02)
    burst = [gevent.spawn(logins) for _ in range(2)]
    gevent.joinall(burst)
    tick.join()
    gaps.sort()
    print(json.dumps({"active": gevent_active(), "one_hash": one_hash,
                      "median_gap": gaps[len(gaps) // 2], "ticks": len(gaps),
                      "results": [g.value for g in burst]}))
    """
)


def test_login_burst_does_not_stall_the_gevent_hub():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["active"] is True
    assert out["results"] == [[True, True, True, False]] * 2  # hashing still answers right
    # 8 hashes ran. On the hub the ticker would run only between them (about 8 ticks,
    # each waiting a whole hash: ~0.1 s quiet, far more on a loaded machine); off the
    # hub it keeps ticking every few ms while they run. (The median, not the max: a
    # loaded machine may pause the whole process now and then.)
    assert out["ticks"] > 40, out
    assert out["median_gap"] < out["one_hash"] / 4, out


def test_off_hub_is_a_plain_call_without_gevent():
    from clickpro.offload import gevent_active, off_hub

    assert gevent_active() is False  # the test process is not patched
    assert off_hub(pow, 2, 10) == 1024
