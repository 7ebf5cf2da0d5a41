"""Handoff: by keyword, by an agent's reply, by a non-text message; and giving back."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro import events
from clickpro.models import Notification
from clickpro.services.ai import reply as ai_reply
from clickpro.services.ai.effects import DEFAULT_HANDOFF_TEXT
from clickpro.services.inbox import actions as inbox_actions


def _notifications(db, kind="handoff"):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def test_handoff_keyword_pauses_notifies_and_answers_once(shop, db):
    updates = []
    receiver = lambda sender, **kw: updates.append(kw.get("conversation_id"))  # noqa: E731
    events.conversation_updated.connect(receiver)
    try:
        shop.say("Quero falar com um ATENDENTE, por favor")
    finally:
        events.conversation_updated.disconnect(receiver)

    contact = shop.contact
    assert shop.conversation.ai_paused is True
    assert updates == [shop.conversation.id]
    assert shop.openai_calls() == 0
    [polite] = shop.ai_messages()
    assert polite.body == DEFAULT_HANDOFF_TEXT and polite.ai_usage["kind"] == "handoff_keyword"
    [note] = _notifications(db)
    assert note.client_id == shop.tenant.id
    assert note.contact_id == contact.id and note.kind == "handoff"
    assert note.conversation_id == shop.conversation.id  # the inbox's alert is about it
    assert "Maria Cliente" in note.text

    shop.say("alô?")  # handed off: the AI stays quiet
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 0


def test_keywords_ignore_accents_and_case_and_text_is_configurable(shop, db):
    shop.credential.options = {"handoff_text": "Já chamo alguém da equipe!"}
    db.session.commit()
    shop.say("posso FALAR COM ALGUEM agora?")
    assert shop.conversation.ai_paused is True
    assert [m.body for m in shop.ai_messages()] == ["Já chamo alguém da equipe!"]


def test_agent_reply_pauses_the_ai(shop, db, create_member):
    shop.say("Oi")
    assert len(shop.ai_messages()) == 1
    agent = create_member(shop.tenant)
    inbox_actions.reply_text(shop.tenant.id, shop.conversation.id, agent.id, "Oi, sou a Ana!")
    assert shop.conversation.ai_paused is True

    shop.say("Oi Ana, tudo bem?")
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1


def test_paused_conversation_gets_no_reply(shop, db):
    shop.say("Oi")
    conversation = shop.conversation
    conversation.ai_paused = True
    db.session.commit()
    shop.say("Oi de novo")
    assert len(shop.ai_messages()) == 1 and shop.openai_calls() == 1


def test_resume_gives_the_conversation_back(shop, db, create_member, openai_spy):
    shop.say("quero um humano")
    agent = create_member(shop.tenant)
    inbox_actions.reply_text(shop.tenant.id, shop.conversation.id, agent.id, "Pode falar!")
    shop.say("obrigado, resolvido")  # paused: not answered, answered by the agent instead
    updates = []
    receiver = lambda sender, **kw: updates.append(kw.get("conversation_id"))  # noqa: E731
    events.conversation_updated.connect(receiver)
    try:
        ai_reply.resume_ai(shop.tenant.id, shop.conversation.id)
    finally:
        events.conversation_updated.disconnect(receiver)
    assert shop.conversation.ai_paused is False and updates == [shop.conversation.id]

    later = shop.say("agora outra dúvida: qual o prazo?")
    answer = shop.ai_messages()[-1]
    # Only what came after the handoff text and not yet answered is answered now.
    assert answer.author == "AI" and answer.payload["in_reply_to"][-1] == later.id
    assert shop.openai_calls() == 1


def test_resume_of_another_clients_conversation_is_not_found(shop, create_client):
    shop.say("Oi")
    other = create_client()
    try:
        ai_reply.resume_ai(other.id, shop.conversation.id)
    except LookupError:
        pass
    else:
        raise AssertionError("resume_ai accepted another client's conversation")


IMAGE = {"type": "image", "image": {"id": "media-1", "mime_type": "image/jpeg"}}


def test_non_text_gets_the_polite_fallback_by_default(shop, db):
    shop.say(message=IMAGE)
    [reply] = shop.ai_messages()
    assert reply.body.startswith("Por enquanto eu só consigo ler mensagens de texto")
    assert reply.ai_usage["kind"] == "non_text_fallback"
    assert shop.conversation.ai_paused is False and shop.openai_calls() == 0


def test_non_text_can_hand_off(shop, db):
    shop.credential.options = {"non_text_policy": "handoff"}
    db.session.commit()
    shop.say(message={"type": "audio", "audio": {"id": "media-2", "voice": True}})
    assert shop.conversation.ai_paused is True
    assert len(_notifications(db)) == 1
    assert [m.body for m in shop.ai_messages()] == [DEFAULT_HANDOFF_TEXT]
