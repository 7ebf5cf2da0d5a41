"""The AI per number: one contact writing to two numbers of a client has two
conversations, each answered from its own number with that number's assistant."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clickpro.models import AIReplyRun, Conversation, Message
from clickpro.services.ai.settings import effective_assistant

PNID = "100000000000011"


@pytest.fixture
def support(shop, db, create_whatsapp_credential):
    """The shop's second number ("Suporte"), its own sandbox account and token."""
    account = shop.sandbox.create_account(access_token="support-token")
    return create_whatsapp_credential(shop.tenant, account, display_name="Suporte")


def _conversation(db, number) -> Conversation:
    db.session.expire_all()
    return db.session.scalar(sa.select(Conversation).where(Conversation.number_id == number.id))


def _send_of(shop, message: Message) -> dict:
    [sent] = [s for s in shop.sandbox.sends if s["wamid"] == message.wamid]
    return sent


def test_each_number_answers_its_own_conversation(shop, db, support, openai_spy):
    sales_in = shop.say("Oi, quero comprar")
    support_in = shop.say("Oi, meu pedido não chegou", to=support.phone_number_id)

    sales, help_ = _conversation(db, shop.number), _conversation(db, support)
    assert sales.contact_id == help_.contact_id and sales.id != help_.id  # one contact
    assert (sales_in.conversation_id, support_in.conversation_id) == (sales.id, help_.id)
    first, second = shop.ai_messages()
    # Each answer goes out from the number the customer wrote to, with its credential.
    assert (first.number_id, first.conversation_id) == (shop.number.id, sales.id)
    assert (second.number_id, second.conversation_id) == (support.id, help_.id)
    assert _send_of(shop, first)["phone_number_id"] == PNID
    assert _send_of(shop, second)["phone_number_id"] == support.phone_number_id
    assert first.payload["in_reply_to"] == [sales_in.id]
    assert second.payload["in_reply_to"] == [support_in.id]
    # The context is the conversation's thread only: support never sees the sales chat.
    assert openai_spy.bodies[1]["input"] == [
        {"role": "user", "content": "Oi, meu pedido não chegou"}
    ]
    runs = db.session.scalars(sa.select(AIReplyRun).order_by(AIReplyRun.id)).all()
    assert [(r.conversation_id, r.after_message_id) for r in runs] == [
        (sales.id, 0),
        (help_.id, 0),
    ]
    # The conversation (not the contact) carries the last message.
    assert sales.last_message_preview == first.body[:200]
    assert help_.last_message_preview == second.body[:200]


def test_a_later_message_advances_only_its_conversation(shop, db, support, openai_spy):
    shop.say("Oi vendas")
    shop.say("Oi suporte", to=support.phone_number_id)
    later = shop.say("Ainda tem estoque?")
    answers = shop.ai_messages()
    assert len(answers) == 3 and answers[-1].number_id == shop.number.id
    assert answers[-1].payload["in_reply_to"] == [later.id]
    assert [m["content"] for m in openai_spy.bodies[-1]["input"]] == [
        "Oi vendas",
        answers[0].body,
        "Ainda tem estoque?",
    ]


def test_number_instructions_override_the_clients(shop, db, support, openai_spy):
    support.ai_settings = {"instructions": "Você é o suporte técnico.", "temperature": 0.0}
    db.session.commit()
    shop.say("Oi")
    shop.say("Oi", to=support.phone_number_id)
    sales_call, support_call = openai_spy.bodies
    assert sales_call["instructions"] == "Você é a atendente da Loja IA."
    assert support_call["instructions"] == "Você é o suporte técnico."
    assert support_call["temperature"] == 0.0
    first, second = shop.ai_messages()
    assert first.ai_usage["assistant_version"] != second.ai_usage["assistant_version"]


def test_ai_disabled_on_one_number_only(shop, db, support):
    support.ai_settings = {"enabled": False}
    db.session.commit()
    shop.say("Oi", to=support.phone_number_id)
    assert shop.ai_messages() == [] and shop.openai_calls() == 0
    shop.say("Oi")
    [answer] = shop.ai_messages()
    assert answer.number_id == shop.number.id


def test_enabled_on_a_number_does_not_turn_on_a_clients_ai(shop, db, support):
    shop.tenant.ai_enabled = False
    support.ai_settings = {"enabled": True}
    db.session.commit()
    assert effective_assistant(shop.tenant.id, support.id).enabled is False
    shop.say("Oi", to=support.phone_number_id)
    assert shop.ai_messages() == []


def test_pause_on_one_conversation_leaves_the_other_answering(shop, db, support):
    shop.say("quero falar com um atendente")  # handoff on the sales number
    assert _conversation(db, shop.number).ai_paused is True
    shop.say("Oi suporte", to=support.phone_number_id)
    assert _conversation(db, support).ai_paused is False
    polite, answer = shop.ai_messages()
    assert polite.ai_usage["kind"] == "handoff_keyword" and polite.number_id == shop.number.id
    assert answer.ai_usage["kind"] == "answer" and answer.number_id == support.id
    shop.say("alô?")  # the paused conversation stays quiet
    assert len(shop.ai_messages()) == 2


def test_effective_settings_overlay_and_ignore_bad_values(shop, db, support):
    support.ai_settings = {
        "model": "gpt-4.1",
        "context_messages": 3,
        "handoff_keywords": ["gerente"],
        "fallback_text": "Já volto!",
        "max_output_tokens": "muito",  # not a number: the client's value stays
        "temperature": 9,  # out of range: the client's value stays
    }
    db.session.commit()
    client_settings = effective_assistant(shop.tenant.id, shop.number.id)
    number_settings = effective_assistant(shop.tenant.id, support.id)
    assert number_settings.model == "gpt-4.1" and client_settings.model == "gpt-4.1-mini"
    assert number_settings.context_messages == 3
    assert number_settings.handoff_keywords == ("gerente",)
    assert number_settings.fallback_text == "Já volto!"
    assert number_settings.max_output_tokens == client_settings.max_output_tokens
    assert number_settings.temperature == client_settings.temperature
    assert number_settings.instructions == client_settings.instructions  # missing key
    assert number_settings.enabled is True


def test_username_only_customer_is_answered_by_bsuid_from_the_number(shop, db, support):
    """No phone in the webhooks: the answer goes to ``recipient`` (the BSUID), from the
    number the customer wrote to."""
    sent = shop.sandbox.simulate_inbound(
        support.phone_number_id, "5511987650099", text="Oi", username="maria.doces",
        hide_phone=True,
    )  # fmt: skip
    shop.sandbox.flush()
    db.session.expire_all()
    inbound = db.session.scalar(sa.select(Message).where(Message.wamid == sent["id"]))
    assert inbound is not None and inbound.number_id == support.id
    [answer] = shop.ai_messages()
    assert (answer.number_id, answer.conversation_id) == (support.id, inbound.conversation_id)
    out = _send_of(shop, answer)
    assert out["phone_number_id"] == support.phone_number_id
    assert out.get("recipient", "").startswith("BR.") and not out.get("to")


def test_resume_gives_back_only_that_conversation(shop, db, support):
    from clickpro.services.ai import reply as ai_reply

    shop.say("atendente")
    shop.say("atendente", to=support.phone_number_id)
    sales, help_ = _conversation(db, shop.number), _conversation(db, support)
    assert sales.ai_paused and help_.ai_paused
    ai_reply.resume_ai(shop.tenant.id, help_.id)
    assert _conversation(db, support).ai_paused is False
    assert _conversation(db, shop.number).ai_paused is True
    shop.say("voltei", to=support.phone_number_id)
    shop.say("voltei")
    answered = [m for m in shop.ai_messages() if m.ai_usage["kind"] == "answer"]
    assert [m.number_id for m in answered] == [support.id]
