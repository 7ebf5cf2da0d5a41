"""Group commit of the webhook ack: concurrent requests share one INSERT, each request is
answered only after its row is committed, and a failed batch fails all of its requests."""

from __future__ import annotations

import hashlib
import threading
import time

import sqlalchemy as sa
from webhook_helpers import encode, sign, status, statuses_payload

from clickpro.extensions import db
from clickpro.models import WebhookEvent
from clickpro.services.webhook import ingest
from clickpro.services.webhook.committer import GroupCommitter


# --------------------------------------------------------------------------- the committer
def _run_threads(n: int, target) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def test_concurrent_stores_share_batches_and_return_after_their_commit():
    committed: set[str] = set()
    seen_batches: list[int] = []
    lock = threading.Lock()

    def flush(rows):
        time.sleep(0.02)  # a commit in flight: others queue up behind it
        with lock:
            seen_batches.append(len(rows))
            committed.update(r[1] for r in rows)
        return {r[1]: int(r[1]) for r in rows}

    committer = GroupCommitter(flush)
    results: dict[int, int | None] = {}
    stored_on_return: dict[int, bool] = {}

    def request(i: int) -> None:
        results[i] = committer.store(("body", str(i)))
        with lock:
            stored_on_return[i] = str(i) in committed

    _run_threads(40, request)
    assert results == {i: i for i in range(40)}
    assert all(stored_on_return.values()) and len(stored_on_return) == 40
    assert sum(seen_batches) == 40
    assert len(seen_batches) < 40  # requests were grouped
    assert committer.batches == len(seen_batches)


def test_duplicate_body_in_one_batch_is_sent_once_and_answered_as_duplicate():
    sent: list[list] = []
    gate = threading.Event()

    def flush(rows):
        gate.wait(5)
        sent.append([r[1] for r in rows])
        return {r[1]: 7 for r in rows}

    committer = GroupCommitter(flush)
    out: list[int | None] = []

    def request(i: int) -> None:
        out.append(committer.store(("body", "first" if i == 0 else "same")))

    threads = [threading.Thread(target=request, args=(i,)) for i in range(3)]
    threads[0].start()
    time.sleep(0.05)  # the first leads and waits in its flush; the other two queue
    threads[1].start()
    threads[2].start()
    time.sleep(0.05)
    gate.set()
    for t in threads:
        t.join(10)
    assert sent == [["first"], ["same"]]
    assert sorted(out, key=str) == [7, 7, None]  # the second "same" is the duplicate


def test_failed_batch_fails_every_request_of_it_and_the_next_batch_still_commits():
    calls = {"n": 0}
    gate = threading.Event()

    def flush(rows):
        calls["n"] += 1
        if calls["n"] == 1:
            gate.wait(5)
            return {r[1]: 1 for r in rows}
        if calls["n"] == 2:
            raise RuntimeError("database down")
        return {r[1]: 3 for r in rows}

    committer = GroupCommitter(flush)
    outcome: dict[str, object] = {}

    def request(name: str) -> None:
        try:
            outcome[name] = committer.store(("body", name))
        except RuntimeError as exc:
            outcome[name] = exc

    first = threading.Thread(target=request, args=("lead",))
    first.start()
    time.sleep(0.05)
    failing = [threading.Thread(target=request, args=(f"f{i}",)) for i in range(5)]
    for t in failing:
        t.start()
    time.sleep(0.05)
    gate.set()
    first.join(10)
    for t in failing:
        t.join(10)
    assert outcome["lead"] == 1
    assert all(isinstance(outcome[f"f{i}"], RuntimeError) for i in range(5))
    assert committer.store(("body", "after")) == 3  # the committer recovered


# --------------------------------------------------------------------------- through the app
def _bodies(n: int) -> list[bytes]:
    return [
        encode(statuses_payload([status(f"wamid.GC{i:05d}", "sent", 1_800_000_000 + i)]))
        for i in range(n)
    ]


def _post_concurrently(app, bodies: list[bytes], on_answer=None) -> dict[int, int]:
    answers: dict[int, int] = {}

    def request(i: int) -> None:
        body = bodies[i]
        response = app.test_client().post(
            "/webhook",
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        )
        answers[i] = response.status_code
        if on_answer is not None:
            on_answer(i, response.status_code)

    _run_threads(len(bodies), request)
    return answers


def test_concurrent_acks_are_each_committed_before_their_200(queued):
    bodies = _bodies(30)
    digests = [hashlib.sha256(b).hexdigest() for b in bodies]
    # A connection of its own: it sees only committed rows.
    observer = sa.create_engine(db.engine.url)
    committed_at_answer: dict[int, bool] = {}

    def check(i: int, code: int) -> None:
        with observer.connect() as conn:
            committed_at_answer[i] = bool(
                conn.scalar(
                    sa.text("SELECT count(*) FROM webhook_events WHERE body_sha256 = :d"),
                    {"d": digests[i]},
                )
            )

    answers = _post_concurrently(queued, bodies, check)
    observer.dispose()
    assert answers == {i: 200 for i in range(30)}
    assert committed_at_answer == {i: True for i in range(30)}
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 30
    committer = queued.extensions["clickpro.webhook_committer"][1]
    assert committer.rows == 30 and committer.batches <= 30
    # Handed off to processing: every id on the pending list, once.
    from clickpro.tasks import redis_connection
    from clickpro.tasks.webhooks import PENDING_KEY

    pending = sorted(int(x) for x in redis_connection(queued).lrange(PENDING_KEY, 0, -1))
    ids = sorted(db.session.scalars(sa.select(WebhookEvent.id)))
    assert pending == ids


def test_redelivered_body_is_acknowledged_and_stored_once(queued):
    (body,) = _bodies(1)
    answers = _post_concurrently(queued, [body] * 8)
    assert set(answers.values()) == {200}
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 1


def test_database_error_fails_the_batch_with_5xx_and_nothing_is_acked(queued, monkeypatch):
    bodies = _bodies(12)
    monkeypatch.setattr(ingest, "_PG_INSERT_MANY", "INSERT INTO no_such_table VALUES (%s)")
    answers = _post_concurrently(queued, bodies)
    assert answers == {i: 503 for i in range(12)}
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 0
    monkeypatch.undo()  # the database is back: Meta's redeliveries are stored
    answers = _post_concurrently(queued, bodies)
    assert answers == {i: 200 for i in range(12)}
    assert db.session.scalar(sa.select(sa.func.count(WebhookEvent.id))) == 12
