"""The per-conversation cap of AI replies (issue #21): counted in the conversation's
current cycle; reaching it pauses the AI there, hands off and tells the admins once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from clickpro.models import Audience, Notification
from clickpro.models.base import utcnow
from clickpro.services.ai import limits
from clickpro.services.ai import reply as ai_reply
from clickpro.services.ai.effects import DEFAULT_HANDOFF_TEXT
from clickpro.services.credentials import assistant_settings


def _notes(db, kind):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Notification).where(Notification.kind == kind)))


def test_cap_pauses_hands_off_and_notifies_the_admins_once(shop, db):
    shop.credential.options = {"conversation_reply_cap": 2}
    db.session.commit()
    shop.say("Oi")
    shop.say("Vocês entregam em Campinas?")
    assert len(shop.ai_messages()) == 2 and shop.conversation.ai_paused is False

    shop.say("E em Sorocaba?")  # the third answer would pass the cap
    assert shop.conversation.ai_paused is True
    assert [m.body for m in shop.ai_messages()][-1] == DEFAULT_HANDOFF_TEXT
    assert shop.ai_messages()[-1].ai_usage["kind"] == "handoff_conv_cap"
    assert shop.openai_calls() == 2
    [admin_note] = _notes(db, "ai_error")
    assert admin_note.audience == Audience.ADMINS
    assert admin_note.conversation_id == shop.conversation.id
    assert "limite de 2 respostas" in admin_note.text
    assert len(_notes(db, "handoff")) == 1

    # An agent gives it back within the same cycle: the cap still holds, no second alert.
    ai_reply.resume_ai(shop.tenant.id, shop.conversation.id)
    shop.say("Oi de novo")
    assert shop.conversation.ai_paused is True and shop.openai_calls() == 2
    assert len(_notes(db, "ai_error")) == 1


def test_a_new_cycle_gets_a_fresh_allowance(shop, db):
    shop.credential.options = {"conversation_reply_cap": 1}
    db.session.commit()
    shop.say("Oi")
    conversation = shop.conversation
    settings = assistant_settings(shop.tenant.id)
    assert limits.conversation_cap_reached(shop.tenant.id, conversation.id, settings)
    conversation.opened_at = utcnow() + timedelta(seconds=1)  # resolved, opened again
    db.session.commit()
    assert not limits.conversation_cap_reached(shop.tenant.id, conversation.id, settings)


def test_no_cap_or_a_bad_value_means_no_cap(shop, db):
    for value in (None, "", "abc", 0, -3, True):
        shop.credential.options = {"conversation_reply_cap": value}
        db.session.commit()
        assert limits.conversation_cap(assistant_settings(shop.tenant.id)) is None
    shop.say("Oi")
    shop.say("Tudo bem?")
    assert len(shop.ai_messages()) == 2


def test_another_conversation_does_not_count(shop, db, create_client, create_whatsapp_credential):
    shop.credential.options = {"conversation_reply_cap": 1}
    db.session.commit()
    shop.say("Oi")
    settings = assistant_settings(shop.tenant.id)
    other = create_client("Outra")
    assert not limits.conversation_cap_reached(other.id, shop.conversation.id, settings)
