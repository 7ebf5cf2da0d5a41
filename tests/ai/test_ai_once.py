"""Never twice: a job run again, or run by two workers at once, answers once."""

from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from clickpro.extensions import db as _db
from clickpro.models import AIReplyRun, Message
from clickpro.tasks.ai import reply_job

TEST_POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")


def test_job_run_twice_answers_once(shop, queued_jobs):
    shop.say("Oi")
    _, args, _ = queued_jobs[0]
    assert reply_job(*args)["status"] == "answered"
    assert reply_job(*args)["reason"] == "already_answered"
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1


def test_redelivered_webhook_does_not_answer_again(shop, db):
    shop.say("Oi")
    # Meta may deliver the same message twice: the wamid dedupe stops it before the AI.
    inbound = db.session.scalar(sa.select(Message).where(Message.direction == "IN"))
    payload = dict(inbound.payload)
    shop.sandbox.dispatcher.emit(
        shop.sandbox.account_for_number("100000000000011"),
        "messages",
        {"contacts": [{"profile": {"name": "Maria"}, "wa_id": shop.wa_id}], "messages": [payload]},
    )
    shop.sandbox.flush()
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1


@pytest.mark.skipif(not TEST_POSTGRES, reason="concurrency is checked on PostgreSQL")
def test_two_workers_at_once_answer_once(shop, queued_jobs, app):
    shop.say("Oi")
    shop.sandbox.update_config({"openai_latency_ms": 30})
    _, args, _ = queued_jobs[0]
    barrier = threading.Barrier(4)
    results: list[dict] = []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                results.append(reply_job(*args))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(r["status"] for r in results) == ["answered", "skipped", "skipped", "skipped"]
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1
    assert _db.session.scalar(sa.select(sa.func.count(AIReplyRun.id))) == 1


@pytest.mark.skipif(not TEST_POSTGRES, reason="concurrency is checked on PostgreSQL")
def test_overlapping_bursts_from_two_workers_never_share_a_message(shop, queued_jobs, app):
    """Two jobs with different triggers race for the same unanswered messages."""
    app.config["AI_DEBOUNCE_MAX_S"] = 0  # both jobs answer instead of stepping aside
    shop.say("um")
    shop.say("dois")
    jobs = [args for _, args, _ in queued_jobs]
    barrier = threading.Barrier(len(jobs))
    results: list[dict] = []

    def worker(args):
        with app.app_context():
            barrier.wait()
            try:
                results.append(reply_job(*args))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(a,)) for a in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    covered = [mid for m in shop.ai_messages() for mid in m.payload["in_reply_to"]]
    assert len(covered) == len(set(covered))  # no inbound message answered twice
    assert set(covered) == {args[2] for args in jobs}  # and none is left unanswered
    assert shop.openai_calls() == len(shop.ai_messages())
