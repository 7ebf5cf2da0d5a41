"""Group commit of the webhook ack: concurrent requests share one multi-row INSERT.

Every delivery must be stored (committed) before its 200. Committing each one alone
costs a round trip, a transaction and a WAL flush per request; at thousands of acks per
second that, not the HMAC, is the ack's cost. :class:`GroupCommitter` batches the
requests that arrive while a commit is in flight:

* the first request finds no commit running and becomes the *leader*: it takes every
  waiting row (its own first), runs one ``INSERT … VALUES (…), (…) ON CONFLICT
  (body_sha256) DO NOTHING RETURNING id, body_sha256`` in autocommit, and only after
  that statement has returned (committed) releases the requests of that batch;
* requests arriving meanwhile wait; when the leader is done, the oldest of them is
  promoted and flushes the next batch. No timer, no added latency under light load (a
  lone request is a batch of one), bigger batches exactly when the database is busy;
* a failure of the statement (database down, serialization, anything) is raised in
  every request of that batch, so each answers 5xx and Meta redelivers: nothing is
  acknowledged that was not committed. A retried body is deduplicated by its SHA-256.

Threads (Granian's pool, gthread workers) and greenlets (gevent, which patches
``threading``) both work: only locks are used (a per-request :class:`_Latch`). One
committer per app and process (state is re-created after a fork).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

MAX_BATCH = 500  # rows per INSERT (bounded statement size; bodies are a few KB)


class _Latch:
    """A wake-up on a bare lock, held from the start: :meth:`set` releases it and the one
    :meth:`wait` that follows takes it. Each set is consumed by exactly one wait (a slot
    is woken once to lead, if promoted, and once when its batch is done), so no clear is
    needed; cheaper per ack than ``threading.Event``'s condition and waiter list. Works
    for threads and for gevent's patched locks alike (a lock may be released by another
    thread or greenlet than the one that took it)."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def set(self) -> None:
        self._lock.release()

    def wait(self) -> None:
        self._lock.acquire()


class _Slot:
    """One waiting request: its row, then its result (an id, None = duplicate) or error."""

    __slots__ = ("row", "done", "lead", "result", "error")

    def __init__(self, row: tuple) -> None:
        self.row = row
        self.done = _Latch()
        self.lead = False
        self.result: int | None = None
        self.error: BaseException | None = None


# The flush: rows → {body_sha256: id} of the rows it inserted (duplicates are absent).
Flush = Callable[[Sequence[tuple]], dict[str, int]]
# After a committed batch (outside the lock, after its waiters were released).
AfterCommit = Callable[[list[int]], Any]


class GroupCommitter:
    """Batches concurrent :meth:`store` calls into one flush (see the module doc).

    ``flush`` receives the rows of a batch (each ``row[1]`` is the body's SHA-256; rows
    with a digest already in the batch are answered as duplicates without being sent)
    and returns the ids of those it inserted by digest. ``after_commit`` gets the new
    ids of a batch (the hand-off to processing); its failures are swallowed — the rows
    are committed and the periodic retry finds them.
    """

    def __init__(
        self, flush: Flush, after_commit: AfterCommit | None = None, max_batch: int = MAX_BATCH
    ) -> None:
        self.flush = flush
        self.after_commit = after_commit
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[_Slot] = []
        self._active = False  # a leader is flushing (invariant: pending ⇒ active)
        self.batches = 0  # statistics (tests, benches)
        self.rows = 0

    def store(self, row: tuple) -> int | None:
        """Commit ``row`` (with whatever else is waiting); its id, or None if a duplicate.

        Returns only after the row is committed; raises the flush's error otherwise.
        """
        slot = _Slot(row)
        with self._lock:
            self._pending.append(slot)
            lead = not self._active
            self._active = True
        if not lead:
            slot.done.wait()
            if slot.lead:  # promoted: our row is in the next batch, which we flush
                lead = True
        if lead:
            self._lead()
            slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _lead(self) -> None:
        with self._lock:
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
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
                slot.error = exc
                slot.result = None
            new_ids = []
        finally:
            with self._lock:
                if self._pending:  # hand the next batch to its oldest request
                    nxt = self._pending[0]
                    nxt.lead = True
                    nxt.done.set()
                else:
                    self._active = False
            for slot in batch:
                slot.done.set()
        if new_ids and self.after_commit is not None:
            try:
                self.after_commit(new_ids)
            except Exception:  # committed; the retry job finds anything not handed off
                log.exception("hand-off of %s committed webhook events failed", len(new_ids))


def committer_for(extensions: dict, factory: Callable[[], GroupCommitter]) -> GroupCommitter:
    """The committer kept in an app's ``extensions`` for this process (made on first use).

    Per app (its rows go to that app's database) and per process: after a fork the
    parent's lock and waiters mean nothing, so the child makes its own.
    """
    found = extensions.get("clickpro.webhook_committer")
    if found is None or found[0] != os.getpid():
        found = extensions["clickpro.webhook_committer"] = (os.getpid(), factory())
    return found[1]
