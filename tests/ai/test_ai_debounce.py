"""Debounce: a burst of quick messages gets one OpenAI call and one answer to all."""

from __future__ import annotations

from clickpro.tasks.ai import reply_job


def test_three_quick_messages_get_one_answer(shop, queued_jobs, openai_spy):
    burst = [shop.say("Oi"), shop.say("vocês têm pizza sem glúten?"), shop.say("e entregam?")]

    # Each message scheduled its own job, delayed by AI_DEBOUNCE_S, with its own id.
    assert [args[2] for _, args, _ in queued_jobs] == [m.id for m in burst]
    assert {kw["delay"] for _, _, kw in queued_jobs} == {4.0}
    assert [kw["job_id"] for _, _, kw in queued_jobs] == [f"ai-reply-{m.id}" for m in burst]
    assert shop.ai_messages() == []

    results = [func(*args) for func, args, _ in queued_jobs]  # the delay has passed

    assert [r["reason"] for r in results[:2]] == ["superseded", "superseded"]
    assert results[2]["status"] == "answered"
    assert shop.openai_calls() == 1
    answers = shop.ai_messages()
    assert len(answers) == 1
    assert answers[0].payload["in_reply_to"] == [m.id for m in burst]
    assert [m["content"] for m in openai_spy.bodies[0]["input"]] == [
        "Oi",
        "vocês têm pizza sem glúten?",
        "e entregam?",
    ]


def test_jobs_in_any_order_still_answer_once(shop, queued_jobs):
    shop.say("um")
    shop.say("dois")
    jobs = list(reversed(queued_jobs))  # the newest job runs first
    results = [func(*args) for func, args, _ in jobs]
    assert results[0]["status"] == "answered"
    assert results[1]["reason"] == "already_answered"
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1


def test_a_contact_who_never_stops_is_answered_after_the_max_wait(shop, queued_jobs, app):
    app.config["AI_DEBOUNCE_MAX_S"] = 0  # every pending message is already "too old"
    first = shop.say("um")
    shop.say("dois")
    result = reply_job(*queued_jobs[0][1])
    assert result["status"] == "answered"
    assert shop.ai_messages()[0].payload["in_reply_to"] == [first.id]


def test_debounce_zero_enqueues_without_delay(shop, queued_jobs, app):
    app.config["AI_DEBOUNCE_S"] = 0
    shop.say("oi")
    assert queued_jobs[0][2]["delay"] is None
