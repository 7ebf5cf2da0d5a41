"""A playground question through the sandbox: answered with the page's instructions and
the chat so far, its tokens and cost kept on the turn, nothing sent on WhatsApp, no AI
run, no customer spend."""

from __future__ import annotations

import sqlalchemy as sa

from clickpro.models import AIPlaygroundTurn, AIReplyRun, Message
from clickpro.services.ai import playground
from clickpro.services.ai.playground import Options
from clickpro.services.costs.ai_spend import month_start, spend_between


def test_question_answered_with_the_unsaved_instructions(app, shop, openai_spy, db):
    app.config["AI_MODEL_PRICES"] = {"gpt-4.1-mini": {"input": 0.4, "output": 1.6}}
    admin_id = shop.tenant.admin.id
    options = Options(number_id=shop.number.id, instructions="Responda só em uma frase.")
    first = playground.ask(shop.tenant.id, admin_id, "Vocês entregam em Campinas?", options)
    assert "Campinas" in first.answer
    assert openai_spy.bodies[-1]["instructions"] == "Responda só em uma frase."
    assert first.input_tokens > 0 and first.output_tokens > 0 and first.cost > 0
    assert first.details["options"]["instructions_override"] is True
    second = playground.ask(
        shop.tenant.id, admin_id, "E em Santos?", Options(number_id=shop.number.id)
    )
    body = openai_spy.bodies[-1]
    assert body["instructions"] == "Você é a atendente da Loja IA."  # saved ones again
    said = [m.get("content") for m in body["input"] if m.get("role") == "user"]
    assert said[-2:] == ["Vocês entregam em Campinas?", "E em Santos?"]  # the chat so far
    assert [t.id for t in playground.chat(shop.tenant.id, admin_id)] == [first.id, second.id]
    # never WhatsApp, never a run, never the customers' spend
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AIReplyRun.id))) == 0
    assert spend_between(shop.tenant.id, month_start())[0] == 0
    cost, tokens = playground.month_spend(shop.tenant.id)
    assert cost == first.cost + second.cost and tokens > 0


def test_openai_failure_is_kept_on_the_turn(shop, sandbox, db):
    sandbox.force_openai("server", count=5)
    turn = playground.ask(shop.tenant.id, shop.tenant.admin.id, "Oi", Options())
    assert turn.answer == "" and turn.details["error"]
    assert db.session.scalar(sa.select(sa.func.count(AIPlaygroundTurn.id))) == 1


def test_the_page_posts_and_gets_the_turn(client, login_as, shop):
    login_as(shop.tenant.admin, shop.tenant)
    response = client.post(
        "/ai/playground/ask",
        data={"question": "Qual o horário?", "number_id": str(shop.number.id),
              "override": "0", "use_knowledge": "1", "use_tools": "0"},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200
    data = response.get_json()
    assert 'data-testid="pg-turn"' in data["html"] and "Qual o horário?" in data["html"]
    assert "sem ferramentas" in data["html"]


def test_a_handoff_keyword_is_flagged(shop):
    turn = playground.ask(shop.tenant.id, shop.tenant.admin.id, "quero falar com um atendente",
                          Options())  # fmt: skip
    assert turn.details["handoff_keyword"] is True
    assert turn.answer  # the playground still answers: it shows, it does not hand off


def test_the_intent_is_shown_even_when_off_for_customers(shop):
    turn = playground.ask(shop.tenant.id, shop.tenant.admin.id,
                          "Não quero mais receber mensagens de vocês", Options())  # fmt: skip
    assert turn.details["intent"]["intent"] == "stop"
    assert turn.details["intent"]["live"] is False
    assert turn.details["intent"]["input_tokens"] > 0


def test_a_knowledge_answer_shows_the_document_it_cites(client, login_as, shop, db):
    """The playground answers from the knowledge base and names the document (page and turn);
    with knowledge switched off the same question is answered without it."""
    from clickpro.models import KnowledgeDocument
    from clickpro.services.ai.knowledge import documents as kb

    document = kb.add_faq(
        shop.tenant.id, None, "Vocês abrem no domingo?", "Não, só de segunda a sábado."
    )
    admin_id = shop.tenant.admin.id
    turn = playground.ask(shop.tenant.id, admin_id, "Vocês abrem domingo?", Options())
    assert "segunda a sábado" in turn.answer
    [cited] = turn.details["citations"]
    stored = db.session.get(KnowledgeDocument, document.id)
    assert cited["file_id"] == stored.openai_file_id and cited["document_id"] == document.id
    assert turn.details["no_knowledge"] is False

    login_as(shop.tenant.admin, shop.tenant)
    response = client.post(
        "/ai/playground/ask",
        data={"question": "Vocês abrem domingo?", "number_id": str(shop.number.id),
              "override": "0", "use_knowledge": "1", "use_tools": "0"},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    html = response.get_json()["html"]
    assert 'data-testid="pg-citation"' in html and (cited["filename"] or "") in html

    without = playground.ask(
        shop.tenant.id, admin_id, "Vocês abrem domingo?", Options(use_knowledge=False)
    )
    assert without.details["citations"] == [] and "segunda a sábado" not in without.answer
