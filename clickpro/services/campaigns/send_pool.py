"""The dispatcher's send threads: a fixed set of threads fed from one queue.

``concurrent.futures.ThreadPoolExecutor`` builds a ``Future`` (and its ``Condition``) per
task; the dispatcher never reads them (every send reports through its own results
queue), and at 1,000 sends/s that bookkeeping was a visible share of the worker's CPU.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP = object()


class SendPool(Generic[T]):
    """``threads`` daemon threads calling ``handler(item)`` for each submitted item.

    ``handler`` must not raise (the dispatcher's ``_send_safe`` turns any error into an
    outcome); an exception would end that thread, so it is caught and the thread goes on.
    """

    def __init__(self, threads: int, handler: Callable[[T], None], name: str) -> None:
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._handler = handler
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, item: T) -> None:
        self._queue.put(item)

    def shutdown(self) -> None:
        """Let the threads finish every submitted item, then stop them (waits)."""
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        get, handler = self._queue.get, self._handler
        while True:
            item = get()
            if item is _STOP:
                return
            try:
                handler(item)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - keep the thread; the handler reports outcomes
                log.exception("send thread: handler raised")
