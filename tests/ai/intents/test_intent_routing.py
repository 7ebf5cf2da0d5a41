"""Intent routing through the sandbox (issue #21): the classifier is a real structured
(json_schema) ``/responses`` call answered by ``clickpro.sandbox.openai_intents``.

stop → the opt-out with SAIR's confirmation; human → the configured team + AI paused;
complaint → urgent + the complaints team; other → answered; a failing classifier never
blocks the answer; intents off → one call only.
"""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import AIReplyRun, Client, Message, Notification
from clickpro.models.teams import Team
from clickpro.services.ai import intents
from clickpro.services.ai.effects import DEFAULT_HANDOFF_TEXT
from clickpro.services.contacts.optout import is_contact_opted_out
from clickpro.services.contacts.optout_rules import STOP_CONFIRMATION


def _on(shop, db, **options):
    shop.credential.options = {"intents_enabled": True, **options}
    db.session.commit()


def _team(db, tenant, name):
    team = Team(client_id=tenant.id, name=name)
    db.session.add(team)
    db.session.commit()
    return team


def _runs(db, shop) -> list[AIReplyRun]:
    db.session.expire_all()
    stmt = sa.select(AIReplyRun).where(AIReplyRun.client_id == shop.tenant.id)
    return list(db.session.scalars(stmt.order_by(AIReplyRun.id)))


def _classifier_bodies(spy) -> list[dict]:
    return [b for b in spy.bodies if (b.get("text") or {}).get("format", {}).get("type")
            == "json_schema"]  # fmt: skip


def test_stop_intent_opts_out_like_sair_with_its_confirmation(shop, db, openai_spy):
    _on(shop, db)
    shop.say("não quero mais receber msg de vcs")

    assert is_contact_opted_out(shop.contact)
    db.session.expire_all()
    sent = db.session.scalars(
        sa.select(Message).where(Message.client_id == shop.tenant.id, Message.direction == "OUT")
    ).all()
    assert [(m.author, m.body) for m in sent] == [("SYSTEM", STOP_CONFIRMATION)]
    [run] = _runs(db, shop)
    assert (run.intent, run.outcome, run.status) == ("stop", "intent_stop", "DONE")
    assert run.intent_usage["input_tokens"] > 0 and run.intent_usage["model"]
    [body] = _classifier_bodies(openai_spy)
    assert body["text"]["format"]["name"] == intents.SCHEMA_NAME
    assert shop.openai_calls() == 1  # the classifier only: no answer was written


def test_human_intent_hands_off_to_the_configured_team(shop, db):
    support = _team(db, shop.tenant, "Atendimento")
    _on(shop, db, human_team_id=support.id)
    shop.say("preciso falar com uma pessoa real")

    conversation = shop.conversation
    assert conversation.ai_paused is True
    assert conversation.team_id == support.id and conversation.priority == 0
    assert [m.body for m in shop.ai_messages()] == [DEFAULT_HANDOFF_TEXT]
    [run] = _runs(db, shop)
    assert (run.intent, run.outcome) == ("human", "intent_human")
    notes = db.session.scalars(sa.select(Notification).where(Notification.kind == "handoff"))
    assert len(list(notes)) == 1


def test_human_intent_without_a_team_setting_keeps_the_conversations_team(shop, db):
    sales = _team(db, shop.tenant, "Vendas")
    shop.say("Oi")  # intents still off: answered
    conversation = shop.conversation
    conversation.team_id = sales.id
    db.session.commit()
    _on(shop, db)
    shop.say("queria falar com uma atendente mulher se possivel")
    assert shop.conversation.ai_paused is True and shop.conversation.team_id == sales.id


def test_complaint_is_urgent_and_goes_to_the_complaints_team(shop, db):
    complaints = _team(db, shop.tenant, "Reclamações")
    _on(shop, db, complaint_team_id=complaints.id)
    shop.say("o produto veio quebrado 😤 que descaso")

    conversation = shop.conversation
    assert conversation.ai_paused is True
    assert conversation.priority == 1 and conversation.team_id == complaints.id
    [run] = _runs(db, shop)
    assert (run.intent, run.outcome) == ("complaint", "intent_complaint")
    assert shop.openai_calls() == 1


def test_another_clients_team_is_never_used(shop, db, create_client):
    other = create_client("Outra Loja")
    foreign = _team(db, other, "Reclamações deles")
    _on(shop, db, complaint_team_id=foreign.id)
    shop.say("vou reclamar no procon")
    conversation = shop.conversation
    assert conversation.ai_paused is True and conversation.priority == 1
    assert conversation.team_id is None  # stays in the client's general queue


def test_other_is_answered_and_logged(shop, db, openai_spy):
    _on(shop, db)
    shop.say("quero cancelar meu pedido")  # a near miss: not a stop

    assert not is_contact_opted_out(shop.contact)
    [answer] = shop.ai_messages()
    assert answer.ai_usage["kind"] == "answer"
    [run] = _runs(db, shop)
    assert (run.intent, run.outcome) == ("other", "answered")
    assert shop.openai_calls() == 2  # the classifier, then the answer
    assert (
        "text" not in openai_spy.bodies[-1]
        or openai_spy.bodies[-1]["text"]["format"]["type"] != "json_schema"
    )


def test_a_failing_classifier_never_blocks_the_answer(shop, db):
    _on(shop, db)
    shop.sandbox.force_openai("quota")  # the classifier's call fails for good
    shop.say("me tira dessa lista")

    assert not is_contact_opted_out(shop.contact)
    [answer] = shop.ai_messages()
    assert answer.ai_usage["kind"] == "answer"
    [run] = _runs(db, shop)
    assert run.intent == "other" and run.outcome == "answered"
    assert run.intent_usage["source"] == "failed" and run.intent_usage["error"]


def test_a_bad_classifier_answer_is_other(shop, db, monkeypatch):
    from clickpro.sandbox import openai_intents

    _on(shop, db)
    monkeypatch.setattr(openai_intents, "structured", lambda *a: {"intent": "banana"})
    shop.say("o produto veio quebrado")
    assert shop.conversation.ai_paused is False
    [run] = _runs(db, shop)
    assert run.intent == "other" and run.outcome == "answered"


def test_intents_off_makes_no_classifier_call(shop, db, openai_spy):
    shop.say("vou reclamar no procon")  # a credential saved before #21: intents off
    assert shop.conversation.ai_paused is False
    assert shop.openai_calls() == 1 and not _classifier_bodies(openai_spy)
    [run] = _runs(db, shop)
    assert run.intent == "other" and run.intent_usage is None


def test_keywords_stay_the_fast_path(shop, db, openai_spy):
    _on(shop, db)
    shop.say("quero falar com um atendente")  # the handoff keyword: no classifier call
    assert shop.conversation.ai_paused is True
    assert shop.openai_calls() == 0 and not _classifier_bodies(openai_spy)
    [run] = _runs(db, shop)
    assert run.outcome == "handoff_keyword" and run.intent is None


def test_classifier_tokens_count_in_the_month(shop, db):
    from clickpro.services.costs import ai_spend

    _on(shop, db)
    shop.say("vcs entregam em campinas?")
    [run] = _runs(db, shop)
    [answer] = shop.ai_messages()
    used = ai_spend.tokens_between(shop.tenant.id, ai_spend.month_start())
    answer_tokens = answer.ai_usage["input_tokens"] + answer.ai_usage["output_tokens"]
    intent_tokens = run.intent_usage["input_tokens"] + run.intent_usage["output_tokens"]
    assert used == answer_tokens + intent_tokens and intent_tokens > 0
    assert db.session.get(Client, shop.tenant.id).ai_enabled is True
