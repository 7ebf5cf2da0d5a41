"""End to end: a customer writes (signed webhook from the sandbox), the AI answers
through OpenAI (sandbox) and WhatsApp (sandbox), and the answer is in the conversation."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import AIReplyRun, Message
from clickpro.services.ai import reply as ai_reply


def test_inbound_text_gets_one_ai_answer_with_usage(shop, db):
    inbound = shop.say("Oi, vocês entregam em Campinas?")

    answers = shop.ai_messages()
    assert len(answers) == 1
    answer = answers[0]
    assert answer.direction == "OUT" and answer.author == "AI"
    assert answer.status in ("SENT", "DELIVERED", "READ")
    assert answer.wamid and answer.contact_id == inbound.contact_id
    assert "vocês entregam em Campinas?" in answer.body  # the sandbox echoes the question
    assert answer.payload["in_reply_to"] == [inbound.id]
    usage = answer.ai_usage
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["latency_ms"] >= 0 and usage["model"] == "gpt-4.1-mini"
    assert usage["response_id"].startswith("resp_")
    assert usage["assistant_id"] == "cpa_test0001"
    assert len(usage["assistant_version"]) == 12
    # The answer really went to WhatsApp (the sandbox recorded the send).
    sends = shop.sandbox.list_sends("100000000000011")
    assert [s["to"] for s in sends if s.get("type") == "text"] == [shop.wa_id]
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.status == "DONE" and run.outcome == "answered" and run.reply_message_id == answer.id


def test_the_request_to_openai_uses_the_stored_assistant(shop, openai_spy):
    shop.say("Qual o horário de funcionamento?")
    assert len(openai_spy.bodies) == 1
    body = openai_spy.bodies[0]
    assert body["model"] == "gpt-4.1-mini"
    assert body["instructions"] == "Você é a atendente da Loja IA."
    assert body["store"] is False and "prompt" not in body
    assert body["input"][-1] == {"role": "user", "content": "Qual o horário de funcionamento?"}


def test_answer_is_announced_to_the_inbox(shop, monkeypatch):
    from clickpro import events

    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs["message_id"])

    events.message_created.connect(receiver)
    try:
        shop.say("Oi")
    finally:
        events.message_created.disconnect(receiver)
    assert seen == [shop.ai_messages()[0].id]


def test_second_message_after_an_answer_is_answered_alone(shop, openai_spy):
    first = shop.say("Oi")
    second = shop.say("Tem pizza de calabresa?")
    answers = shop.ai_messages()
    assert [a.payload["in_reply_to"] for a in answers] == [[first.id], [second.id]]
    # The second call saw the whole conversation, the first answer included.
    roles = [m["role"] for m in openai_spy.bodies[1]["input"]]
    assert roles == ["user", "assistant", "user"]


def test_should_answer_reasons(shop, db, create_contact, create_message, create_conversation):
    contact = create_contact(shop.tenant)
    conv = create_conversation(shop.tenant, contact)

    def reason(message) -> str:
        return ai_reply.should_answer(shop.tenant.id, conv.id, message.id).reason

    message = create_message(shop.tenant, contact, body="Oi", conversation=conv)
    assert reason(message) == "ok"
    out = create_message(shop.tenant, contact, direction="OUT", body="Olá!", conversation=conv)
    assert reason(out) == "not_inbound"
    stop = create_message(shop.tenant, contact, body="SAIR", conversation=conv)
    assert reason(stop) == "optout_keyword"
    reaction = create_message(shop.tenant, contact, type="reaction", body="👍", conversation=conv)
    assert reason(reaction) == "reaction"
    conv.ai_paused = True
    db.session.commit()
    assert reason(message) == "handed_off"
    # Another client's conversation/message is not found, whatever the ids.
    assert ai_reply.should_answer(shop.tenant.id + 999, conv.id, message.id).answer is False
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 4
