"""Group commit of the webhook ack: concurrent requests share one multi-row INSERT.

Every delivery must be stored (committed) before its 200. Committing each one alone
costs a round trip, a transaction and a WAL flush per request; at thousands of acks per
second that, not the HMAC, is the ack's cost. :class:`GroupCommitter` batches the
requests that arrive while a commit is in flight:

* the first request finds no commit running and becomes the *leader*: it takes every
  waiting row (its own first), runs one ``INSERT … VALUES (…), (…) ON CONFLICT
  (body_sha256) DO NOTHING RETURNING id, body_sha256`` in autocommit, and only after
  that statement has returned (committed) releases the requests of that batch;
* requests arriving meanwhile wait; as soon as fewer than ``max_inflight`` flushes
  run, the oldest waiting request leads the next batch (all rows waiting by then). No
  timer, no added latency under light load (a lone request is a batch of one), bigger
  batches exactly when the database is busy;
* a failure of the statement (database down, serialization, anything) is raised in
  every request of that batch, so each answers 5xx and Meta redelivers: nothing is
  acknowledged that was not committed. A retried body is deduplicated by its SHA-256.

Threads (gthread workers) and greenlets (gevent, which patches ``threading``) both work:
only a lock and a condition are used. One committer per app and process (state is
re-created after a fork).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_BATCH = 500  # rows per INSERT (bounded statement size; bodies are a few KB)
MAX_INFLIGHT = 2  # flushes of one process at once (one connection each)


@dataclass
class _Slot:
    """One waiting request: its row, then its result (an id, None = duplicate) or error."""

    row: tuple
    taken: bool = False  # in a batch being flushed
    finished: bool = False
    result: int | None = None
    error: BaseException | None = None


# The flush: rows → {body_sha256: id} of the rows it inserted (duplicates are absent).
Flush = Callable[[Sequence[tuple]], dict[str, int]]
# After a committed batch (outside the lock, after its waiters were released).
AfterCommit = Callable[[list[int]], Any]


class GroupCommitter:
    """Batches concurrent :meth:`store` calls into shared flushes (see the module doc).

    ``flush`` receives the rows of a batch (each ``row[1]`` is the body's SHA-256; rows
    with a digest already in the batch are answered as duplicates without being sent)
    and returns the ids of those it inserted by digest; it must be safe to run
    ``max_inflight`` times at once (a connection each). ``after_commit`` gets the new
    ids of a batch (the hand-off to processing); its failures are logged — the rows are
    committed and the periodic retry finds them.

    ``max_inflight`` flushes may run at once: the next batch starts while one commit is
    in flight instead of waiting for it (lower latency), and batches still grow exactly
    when the database is busy.
    """

    def __init__(
        self,
        flush: Flush,
        after_commit: AfterCommit | None = None,
        max_batch: int = MAX_BATCH,
        max_inflight: int = MAX_INFLIGHT,
    ) -> None:
        self.flush = flush
        self.after_commit = after_commit
        self.max_batch = max_batch
        self.max_inflight = max(1, max_inflight)
        self._cond = threading.Condition(threading.Lock())
        self._pending: list[_Slot] = []
        self._active = 0  # flushes running
        self.batches = 0  # statistics (tests, benches)
        self.rows = 0

    def store(self, row: tuple) -> int | None:
        """Commit ``row`` (with whatever else is waiting); its id, or None if a duplicate.

        Returns only after the row is committed; raises the flush's error otherwise.
        """
        slot = _Slot(row)
        with self._cond:
            self._pending.append(slot)
            while not slot.finished:
                if not slot.taken and self._active < self.max_inflight:
                    self._lead()  # flushes the oldest waiting rows (ours among them)
                else:
                    self._cond.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _lead(self) -> None:
        """Flush one batch; called and returning with the lock held (released meanwhile)."""
        batch = self._pending[: self.max_batch]
        del self._pending[: self.max_batch]
        for slot in batch:
            slot.taken = True
        self._active += 1
        self._cond.release()
        new_ids: list[int] = []
        try:
            unique: dict[str, _Slot] = {}
            for slot in batch:
                unique.setdefault(slot.row[1], slot)
            ids = self.flush([slot.row for slot in unique.values()])
            for digest, slot in unique.items():
                slot.result = ids.get(digest)
                if slot.result is not None:
                    new_ids.append(slot.result)
            self.batches += 1
            self.rows += len(unique)
        except BaseException as exc:  # every request of the batch fails: none acked
            for slot in batch:
                slot.error, slot.result = exc, None
            new_ids = []
        finally:
            self._cond.acquire()
            self._active -= 1
            for slot in batch:
                slot.finished = True
            self._cond.notify_all()
        if new_ids and self.after_commit is not None:
            self._cond.release()
            try:
                self.after_commit(new_ids)
            except Exception:  # committed; the retry job finds anything not handed off
                log.exception("hand-off of %s committed webhook events failed", len(new_ids))
            finally:
                self._cond.acquire()


def committer_for(extensions: dict, factory: Callable[[], GroupCommitter]) -> GroupCommitter:
    """The committer kept in an app's ``extensions`` for this process (made on first use).

    Per app (its rows go to that app's database) and per process: after a fork the
    parent's lock and waiters mean nothing, so the child makes its own.
    """
    found = extensions.get("clickpro.webhook_committer")
    if found is None or found[0] != os.getpid():
        found = extensions["clickpro.webhook_committer"] = (os.getpid(), factory())
    return found[1]
