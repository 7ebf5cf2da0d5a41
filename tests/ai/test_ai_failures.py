"""OpenAI failures: bad key, rate limit, 5xx, timeout, quota; and the daily cap."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clickpro.models import AIReplyRun, Client, Notification, OpenAICredential
from clickpro.tasks.ai import reply_job

FALLBACK = "Um atendente vai te responder em breve."


def _kinds(db) -> list[str]:
    db.session.expire_all()
    return [n.kind for n in db.session.scalars(sa.select(Notification).order_by(Notification.id))]


def test_bad_key_turns_ai_off_for_the_client(shop, db):
    shop.sandbox.force_openai("bad_key")
    shop.say("Oi")

    db.session.expire_all()
    assert db.session.get(Client, shop.tenant.id).ai_enabled is False
    credential = db.session.get(OpenAICredential, shop.credential.id)
    assert credential.status == "INVALID" and "Incorrect API key" in credential.last_error
    assert "ai_error" in _kinds(db)
    assert shop.openai_calls() == 0  # the 401 is answered before the responses route
    # The customer is not left in silence: fallback text, conversation handed off.
    assert [m.body for m in shop.ai_messages()] == [FALLBACK]
    assert shop.conversation.ai_paused is True
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.error_kind == "bad_key" and run.outcome == "failure_handoff"

    conversation = shop.conversation
    conversation.ai_paused = False
    db.session.commit()
    shop.say("Oi de novo")  # AI is off now: nothing more is sent
    assert len(shop.ai_messages()) == 1


@pytest.mark.parametrize("kind", ["rate_limit", "server", "timeout"])
def test_transient_failures_are_retried_then_answered(shop, db, openai_spy, kind):
    if kind == "timeout":
        openai_spy.timeouts = 2
    else:
        shop.sandbox.force_openai(kind, 2)
    shop.say("Oi")
    assert len(openai_spy.bodies) == 3  # two failures, then the answer
    [answer] = shop.ai_messages()
    assert answer.ai_usage["kind"] == "answer"
    assert shop.conversation.ai_paused is False
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.attempts == 3 and run.error_kind == ("timeout" if kind == "timeout" else kind)


@pytest.mark.parametrize("kind", ["rate_limit", "server", "timeout"])
def test_transient_failures_end_in_fallback_and_handoff(shop, db, openai_spy, kind):
    if kind == "timeout":
        openai_spy.timeouts = 5
    else:
        shop.sandbox.force_openai(kind, 5)
    shop.say("Oi")
    assert len(openai_spy.bodies) == 3  # AI_MAX_ATTEMPTS, then give up
    assert [m.body for m in shop.ai_messages()] == [FALLBACK]
    assert shop.conversation.ai_paused is True
    assert _kinds(db) == ["ai_error", "handoff"]


def test_retry_is_scheduled_with_backoff(shop, queued_jobs, app):
    shop.sandbox.force_openai("rate_limit", 1)
    message = shop.say("Oi")
    first = reply_job(*queued_jobs[0][1])
    assert first["status"] == "retry" and first["retry_in"] >= 2.0  # base backoff
    func, args, kwargs = queued_jobs[1]
    assert args == (shop.tenant.id, message.conversation_id, message.id, 2)
    assert kwargs["delay"] == first["retry_in"] and kwargs["job_id"] == f"ai-reply-{message.id}-2"
    # A duplicate of the first attempt cannot run the retry's work in parallel.
    assert reply_job(*queued_jobs[0][1])["reason"] == "already_answered"
    assert func(*args)["status"] == "answered"
    assert func(*args)["reason"] == "retry_not_owner"  # the retry itself, run twice
    assert len(shop.ai_messages()) == 1


def test_insufficient_quota_is_not_retried(shop, db, openai_spy):
    shop.sandbox.force_openai("quota", 3)
    shop.say("Oi")
    assert len(openai_spy.bodies) == 1
    assert [m.body for m in shop.ai_messages()] == [FALLBACK]
    assert shop.conversation.ai_paused is True
    assert _kinds(db) == ["ai_error", "handoff"]
    db.session.expire_all()
    assert db.session.get(Client, shop.tenant.id).ai_enabled is True  # the key is fine


def test_daily_cap_hands_off(shop, db, create_contact):
    shop.credential.options = {"daily_reply_cap": 1}
    db.session.commit()
    shop.say("Oi")
    assert shop.openai_calls() == 1
    shop.say("Mais uma pergunta")
    assert shop.openai_calls() == 1  # cap reached: no OpenAI call
    assert shop.conversation.ai_paused is True
    assert [m.ai_usage["kind"] for m in shop.ai_messages()] == ["answer", "handoff_cap"]
    assert _kinds(db) == ["handoff"]
