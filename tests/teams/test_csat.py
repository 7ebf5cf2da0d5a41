"""CSAT: asked on RESOLVED for a csat_enabled team; a score (list reply or bare digit)
keeps the conversation resolved, then an optional comment; anything else drops the
survey and the message reopens the conversation as usual (CSAT never blocks)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from h7_support import cycles_of, events_of, inbound, make_team, sp

from clickpro.extensions import db
from clickpro.models import Conversation, CsatSurvey, Message
from clickpro.services.inbox import actions


@pytest.fixture
def resolved(tenants, sandbox, create_whatsapp_credential, create_contact, create_conversation):
    """A conversation of a CSAT team with one handled cycle, just resolved."""
    create_whatsapp_credential(tenants.a)
    team = make_team(tenants.a, csat_enabled=True)
    conv = create_conversation(tenants.a, create_contact(tenants.a, phone="+5511977776666"),
                               team_id=team.id)  # fmt: skip
    inbound(conv, sp(2026, 3, 2, 9, 0), "Preciso de ajuda")
    conv = db.session.get(Conversation, conv.id)
    conv.assigned_user_id = tenants.a_user.id
    db.session.commit()
    actions.set_status(tenants.a.id, conv.id, "RESOLVED")
    return tenants, db.session.get(Conversation, conv.id)


def _survey(conv) -> CsatSurvey:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(CsatSurvey).where(CsatSurvey.conversation_id == conv.id)
    ).one()


def _list_reply(n: int) -> dict:
    return {"type": "interactive",
            "interactive": {"type": "list_reply", "list_reply": {"id": f"csat:{n}",
                                                                 "title": f"{n}"}}}  # fmt: skip


def test_question_is_a_five_row_list(resolved):
    _tenants, conv = resolved
    assert _survey(conv).status == "ASKED"
    question = db.session.scalars(
        sa.select(Message).where(Message.conversation_id == conv.id, Message.type == "interactive")
    ).one()
    assert question.payload["type"] == "interactive"
    rows = question.payload["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["csat:5", "csat:4", "csat:3", "csat:2", "csat:1"]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert question.status in ("SENT", "DELIVERED", "READ")


def test_score_keeps_it_resolved_then_comment(resolved, sandbox):
    tenants, conv = resolved
    before = cycles_of(conv)[0]
    inbound(conv, sp(2026, 3, 2, 10, 0), message=_list_reply(4), text=None)
    survey = _survey(conv)
    assert (survey.status, survey.score) == ("RATED", 4)
    stored = db.session.get(Conversation, conv.id)
    assert (stored.status, stored.unread_count) == ("RESOLVED", 0)
    assert stored.assigned_user_id == tenants.a_user.id
    assert stored.opened_at == before.opened_at
    assert len(cycles_of(conv)) == 1 and cycles_of(conv)[0].csat_score == 4
    # The comment question went out as text.
    last = db.session.scalars(
        sa.select(Message.body)
        .where(Message.conversation_id == conv.id)
        .order_by(Message.id.desc())
    ).first()
    assert "comentário" in last
    inbound(conv, sp(2026, 3, 2, 10, 5), "Atendimento rápido, obrigado")
    survey = _survey(conv)
    assert (survey.status, survey.comment) == ("COMMENTED", "Atendimento rápido, obrigado")
    assert db.session.get(Conversation, conv.id).status == "RESOLVED"
    assert len(cycles_of(conv)) == 1
    assert len(events_of(conv, "csat")) == 2
    # Next message is a new request: reopens with a new cycle.
    inbound(conv, sp(2026, 3, 2, 10, 30), "Outra coisa")
    assert db.session.get(Conversation, conv.id).status == "OPEN"
    assert len(cycles_of(conv)) == 2


def test_bare_digit_counts(resolved):
    _tenants, conv = resolved
    inbound(conv, sp(2026, 3, 2, 10, 0), " 5 ")
    assert _survey(conv).score == 5
    assert db.session.get(Conversation, conv.id).status == "RESOLVED"


def test_anything_else_drops_and_reopens(resolved):
    _tenants, conv = resolved
    inbound(conv, sp(2026, 3, 2, 10, 0), "Na verdade ainda não chegou meu pedido")
    assert _survey(conv).status == "DROPPED"
    stored = db.session.get(Conversation, conv.id)
    assert (stored.status, stored.unread_count) == ("OPEN", 1)
    assert len(cycles_of(conv)) == 2 and cycles_of(conv)[1].resolved_at is None
    # A digit afterwards is a normal message now.
    inbound(conv, sp(2026, 3, 2, 10, 1), "5")
    assert _survey(conv).score is None
    assert db.session.get(Conversation, conv.id).status == "OPEN"


def test_agent_reopen_drops_the_survey(resolved):
    tenants, conv = resolved
    actions.set_status(tenants.a.id, conv.id, "OPEN")
    assert _survey(conv).status == "DROPPED"


def test_no_csat_without_team_flag(tenants, sandbox, create_whatsapp_credential, create_contact,
                                   create_conversation):  # fmt: skip
    create_whatsapp_credential(tenants.a)
    team = make_team(tenants.a, csat_enabled=False)
    conv = create_conversation(tenants.a, create_contact(tenants.a), team_id=team.id)
    inbound(conv, sp(2026, 3, 2, 9, 0))
    actions.set_status(tenants.a.id, conv.id, "RESOLVED")
    assert db.session.scalars(sa.select(CsatSurvey)).all() == []


def test_webhooks_resolved_and_csat(resolved, monkeypatch):
    from clickpro.services.api import outbound_webhooks

    published = []
    monkeypatch.setattr(outbound_webhooks, "publish",
                        lambda client_id, event, data: published.append((client_id, event, data)))  # fmt: skip
    tenants, conv = resolved
    inbound(conv, sp(2026, 3, 2, 10, 0), "3")
    assert [(c, str(e)) for c, e, _d in published] == [(tenants.a.id, "csat.received")]
    assert published[0][2]["score"] == 3
    inbound(conv, sp(2026, 3, 2, 10, 2), "Outra dúvida")  # comment
    actions.set_status(tenants.a.id, conv.id, "OPEN")
    inbound(conv, sp(2026, 3, 2, 11, 0), "Oi de novo")
    actions.set_status(tenants.a.id, conv.id, "RESOLVED")
    assert [str(e) for _c, e, _d in published][-1] == "conversation.resolved"
    from clickpro.services.api.outbound_webhooks import EVENTS

    assert {"conversation.resolved", "csat.received"} <= set(EVENTS)


def test_the_ai_leaves_survey_answers_alone(resolved):
    """Whichever ``message_received`` receiver runs first, the AI never answers the score
    or the comment after it (``csat.answers_survey`` is side-effect free)."""
    from clickpro.services.teams import csat

    _tenants, conv = resolved

    def fresh(body: str, minutes: int) -> Message:
        return Message(type="text", body=body, created_at=sp(2026, 3, 2, 10, minutes))

    assert csat.answers_survey(conv, fresh("5", 0))
    assert not csat.answers_survey(conv, fresh("Quero trocar o produto", 0))
    inbound(conv, sp(2026, 3, 2, 10, 0), message=_list_reply(5), text=None)
    score = db.session.scalars(
        sa.select(Message).where(Message.conversation_id == conv.id, Message.direction == "IN")
        .order_by(Message.id.desc())
    ).first()  # fmt: skip
    conv = db.session.get(Conversation, conv.id)
    assert csat.answers_survey(conv, score)  # taken already: still not the AI's
    assert csat.answers_survey(conv, fresh("Ótimo atendimento", 5))  # the comment
    inbound(conv, sp(2026, 3, 2, 10, 5), "Ótimo atendimento")
    comment = db.session.scalars(
        sa.select(Message).where(Message.conversation_id == conv.id, Message.direction == "IN")
        .order_by(Message.id.desc())
    ).first()  # fmt: skip
    assert csat.answers_survey(db.session.get(Conversation, conv.id), comment)
