"""Run CPU-bound calls (password hashing) off the gevent hub.

The production web process is ONE gevent worker: every request and every Socket.IO
connection is a greenlet on one OS thread. A scrypt password check (werkzeug's default,
~0.1 s of CPU on a quiet core, more on a loaded machine) run on that thread blocks the
hub for its whole duration: no other request is served and no socket answers its
Engine.IO ping, so a burst of logins (a shift starting) drops every connected agent.

``hashlib.scrypt`` / ``pbkdf2_hmac`` release the GIL, so in a gevent-patched process
:func:`off_hub` runs the call in a small pool of native threads and the calling greenlet
waits cooperatively while the hub keeps serving. Elsewhere (threads, workers, tests) it
is a plain call. The hashing parameters are not touched.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_pool: Any = None
_pool_pid: int | None = None


def gevent_active() -> bool:
    """True in a gevent-patched process (the gunicorn gevent worker)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


def pool_size() -> int:
    """Native threads for hashing: the cores (scrypt takes 32 MiB each; more threads than
    cores only adds memory). ``CLICKPRO_HASH_THREADS`` overrides."""
    wanted = os.environ.get("CLICKPRO_HASH_THREADS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(4, os.cpu_count() or 1))


def _threadpool() -> Any:
    """This process's pool (created lazily, again after a fork: threads do not survive it)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            from gevent.threadpool import ThreadPool  # type: ignore[import-untyped]

            _pool = ThreadPool(pool_size())
            _pool_pid = os.getpid()
        return _pool


def off_hub(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)``, in a native thread when the gevent hub would otherwise block."""
    if not gevent_active():
        return func(*args)
    return _threadpool().apply(func, args)
