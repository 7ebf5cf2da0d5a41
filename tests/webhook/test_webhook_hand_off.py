"""The group committer's hand-off (``dispatch_many``): one Redis command per batch pushes
the ids and claims each shard's drain flag; a drain job is enqueued only for a shard
whose flag was free, and a Redis failure never escapes (the retry job finds the rows)."""

from __future__ import annotations

import logging

import redis as redis_lib
from flask import Flask

from clickpro.tasks import QUEUE_WEBHOOKS, get_queue, redis_connection
from clickpro.tasks.webhooks import PENDING_KEY, _flag, dispatch_many


def _drain_jobs(app: Flask) -> list[tuple]:
    with app.app_context():
        queue = get_queue(QUEUE_WEBHOOKS)
        return sorted(tuple(job.args) for job in queue.jobs)


def _run_outside_a_context(app: Flask, ids: list[int]) -> None:
    """As the committer calls it: from its thread, no app context pushed."""
    import threading

    thread = threading.Thread(target=dispatch_many, args=(ids, app))
    thread.start()
    thread.join(10)


def test_one_drain_job_per_free_shard_and_ids_in_order(app):
    app.config.update(RQ_ASYNC=True, WEBHOOK_DRAIN_JOBS=2)
    redis = redis_connection(app)
    redis.delete(PENDING_KEY, _flag(0), _flag(1))
    get_queue(QUEUE_WEBHOOKS).empty()

    _run_outside_a_context(app, [10, 11, 12])  # shards 0 and 1 both free: two jobs
    assert [int(i) for i in redis.lrange(PENDING_KEY, 0, -1)] == [10, 11, 12]
    assert redis.exists(_flag(0)) and redis.exists(_flag(1))
    assert _drain_jobs(app) == [(0,), (1,)]

    _run_outside_a_context(app, [14, 16])  # shard 0 already has its job: none more
    assert [int(i) for i in redis.lrange(PENDING_KEY, 0, -1)] == [10, 11, 12, 14, 16]
    assert _drain_jobs(app) == [(0,), (1,)]

    redis.delete(_flag(1))  # shard 1's job ended (it releases its flag)
    _run_outside_a_context(app, [17])
    assert _drain_jobs(app) == [(0,), (1,), (1,)]
    assert redis.ttl(_flag(1)) > 0  # the flag expires if its job dies
    redis.delete(PENDING_KEY, _flag(0), _flag(1))
    get_queue(QUEUE_WEBHOOKS).empty()


def test_a_redis_failure_is_logged_not_raised(app, monkeypatch, caplog):
    app.config.update(RQ_ASYNC=True)

    def down(*args, **kwargs):
        raise redis_lib.ConnectionError("Redis is restarting")

    app.extensions.pop("clickpro.webhooks.hand_off_script", None)
    monkeypatch.setattr(redis_connection(app), "register_script", lambda _: down)
    with caplog.at_level(logging.ERROR):
        dispatch_many([1, 2, 3], app)  # no exception: the rows are committed already
    assert "could not hand off 3 webhook events" in caplog.text
    app.extensions.pop("clickpro.webhooks.hand_off_script", None)
