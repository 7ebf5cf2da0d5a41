"""The flows' ai step on live conversations and in the simulator: the client's assistant
through the shared answer loop (knowledge base, variables), its AI run and spend, the
budgets, and the failure exit (sandbox OpenAI and WhatsApp, real PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_spies import openai_credential, spy_on

from clickpro.extensions import db as _db
from clickpro.models import AIReplyRun, Client, FlowRunStep, Message
from clickpro.models.base import utcnow
from clickpro.services.ai.knowledge import documents as kb
from clickpro.services.costs.ai_spend import month_start, spend_between, tokens_between
from clickpro.services.flows import engine, versions
from clickpro.tasks import flows as flow_tasks

PRICES = (
    "Tabela de preços da Loja Fluxos\n"
    "Camiseta básica custa 49 reais.\n"
    "Prazo de entrega para Campinas: três dias úteis.\n"
)
QUESTION = "Quanto custa a camiseta básica?"


def ai_graph(*, send: bool = True, on_error: str | None = "desculpa") -> dict:
    ai: dict = {"type": "ai", "instructions": "Chame o cliente de {{nome}}.", "save_as": "resposta_ia",
                "send": send, "next": "fim"}  # fmt: skip
    if on_error:
        ai["on_error"] = on_error
    end_text = "Posso ajudar em algo mais?" if send else "Resumo: {{resposta_ia}}"
    return {
        "schema": 1,
        "start": "nome",
        "triggers": [{"kind": "keyword", "keywords": ["duvida"], "match": "exact"}],
        "steps": {
            "nome": {
                "type": "ask",
                "message": {"kind": "text", "text": "Seu nome?"},
                "save_as": "nome",
                "next": "duvida",
            },  # fmt: skip
            "duvida": {
                "type": "ask",
                "message": {"kind": "text", "text": "Qual a sua dúvida, {{nome}}?"},
                "save_as": "duvida",
                "next": "ia",
            },  # fmt: skip
            "ia": ai,
            "fim": {"type": "end", "message": {"kind": "text", "text": end_text}},
            "desculpa": {
                "type": "end",
                "message": {"kind": "text", "text": "Desculpe, vou chamar alguém."},
            },
        },
    }


@pytest.fixture
def ai_shop(app, shop):
    app.config["AI_MODEL_PRICES"] = {"gpt-4.1-mini": {"input": 0.4, "output": 1.6}}
    openai_credential(shop.tenant)
    shop.openai = spy_on(app, "OPENAI_HTTP_TRANSPORT", "clickpro.openai_http", ("/responses",))
    return shop


def _ai_runs(shop) -> list[AIReplyRun]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(AIReplyRun).where(AIReplyRun.client_id == shop.tenant.id)
                                    .order_by(AIReplyRun.id)))  # fmt: skip


def _talk(shop, *texts: str) -> None:
    for text in texts:
        shop.say(text)


def test_ai_step_answers_from_the_knowledge_base_with_the_variables(ai_shop):
    shop = ai_shop
    document = kb.add_file(shop.tenant.id, None, "precos.txt", PRICES.encode())
    shop.publish(ai_graph())
    _talk(shop, "duvida", "Rafael", QUESTION)
    (run,) = shop.runs()
    assert run.status == "completed", run.end_reason
    assert "49 reais" in run.variables["resposta_ia"]
    texts = shop.bot_texts()
    assert texts[:2] == ["Seu nome?", "Qual a sua dúvida, Rafael?"]
    assert "49 reais" in texts[2] and "【" not in texts[2]
    assert texts[3] == "Posso ajudar em algo mais?"
    body = shop.openai.bodies[-1]  # the shared loop: the knowledge base offered, the data given
    assert any(t["type"] == "file_search" for t in body["tools"])
    assert "Chame o cliente de Rafael." in body["instructions"]
    assert '"nome": "Rafael"' in body["instructions"] and QUESTION in body["instructions"]
    assert "Loja Fluxos" in body["instructions"]  # the assistant's own instructions first
    assert body["input"][-1]["content"] == QUESTION
    (ai,) = _ai_runs(shop)  # one AI run: the flow's (the AI reply stayed out: "in_flow")
    assert (ai.status, ai.outcome) == ("DONE", "answered")
    assert ai.citations and ai.citations[0]["document_id"] == document.id
    assert ai.input_tokens > 0 and ai.trigger_message_id < 0 and ai.after_message_id < 0
    answer = _db.session.get(Message, ai.reply_message_id)
    assert answer.body == texts[2] and answer.author == "AI"
    assert answer.ai_usage["kind"] == "flow" and answer.ai_usage["run_id"] == ai.id
    assert answer.ai_usage["flow_run_id"] == run.id and answer.ai_usage["cost"] > 0
    spent, _replies = spend_between(shop.tenant.id, month_start(utcnow()))
    assert float(spent) == pytest.approx(answer.ai_usage["cost"])
    assert (
        tokens_between(shop.tenant.id, month_start(utcnow())) == ai.input_tokens + ai.output_tokens
    )
    journal = [r for r in shop.journal(run.id) if r.step_id == "ia"]
    assert journal[0].outcome == "ai_ok" and journal[0].message_id == answer.id
    # the flow is over: the next message goes to the normal AI reply, whose claim chain
    # is not disturbed by the flow's run row
    shop.say("E o prazo de entrega para Campinas?")
    runs = _ai_runs(shop)
    assert len(runs) == 2 and runs[1].outcome == "answered" and runs[1].trigger_message_id > 0
    assert "três dias" in shop.bot_texts()[-1]


def test_unsent_answer_counts_in_the_token_budget_then_the_budget_stops_it(ai_shop):
    shop = ai_shop
    client = _db.session.get(Client, shop.tenant.id)
    client.settings = {**(client.settings or {}), "ai_monthly_token_budget": 5}
    _db.session.commit()
    shop.publish(ai_graph(send=False))
    _talk(shop, "duvida", "Ana", "Vocês entregam no sábado?")
    (run,) = shop.runs()
    assert run.status == "completed"
    texts = shop.bot_texts()
    assert texts[-1].startswith("Resumo: ") and run.variables["resposta_ia"] in texts[-1]
    assert len(texts) == 3  # the answer itself was not sent
    (ai,) = _ai_runs(shop)
    assert ai.status == "DONE" and ai.reply_message_id is None
    assert ai.intent_usage["input_tokens"] == ai.input_tokens > 0  # counted through the row
    used = tokens_between(shop.tenant.id, month_start(utcnow()))
    assert used == ai.input_tokens + ai.output_tokens > 5
    calls = len(shop.openai.bodies)
    _talk(shop, "duvida", "Ana", "E no domingo?")  # over the budget now
    run = shop.runs()[-1]
    assert run.status == "completed" and run.current_step == "desculpa"
    assert shop.bot_texts()[-1] == "Desculpe, vou chamar alguém."
    assert len(shop.openai.bodies) == calls  # no OpenAI call
    step = [r for r in shop.journal(run.id) if r.step_id == "ia"][0]
    assert step.outcome == "ai_error" and step.detail["result"]["error_kind"] == "over_budget"
    _db.session.expire_all()
    assert (
        _db.session.get(Client, shop.tenant.id).ai_enabled is False
    )  # the AI paused, as for replies


def test_openai_failure_takes_the_failure_exit(ai_shop, sandbox):
    shop = ai_shop
    shop.publish(ai_graph())
    _talk(shop, "duvida", "Bia")
    sandbox.force_openai("quota")
    shop.say("Qual o horário?")
    (run,) = shop.runs()
    assert run.status == "completed" and run.current_step == "desculpa"
    assert shop.bot_texts()[-1] == "Desculpe, vou chamar alguém."
    (ai,) = _ai_runs(shop)
    assert ai.status == "FAILED" and ai.error_kind == "quota" and ai.outcome is None
    assert "resposta_ia" not in run.variables


def test_failure_without_an_exit_ends_the_run_failed_with_the_reason(ai_shop, sandbox):
    shop = ai_shop
    shop.publish(ai_graph(on_error=None))
    _talk(shop, "duvida", "Bia")
    sandbox.force_openai("server", count=3)
    shop.say("Qual o horário?")
    (run,) = shop.runs()
    assert run.status == "failed" and run.end_reason == "ai_error"
    system = [r for r in shop.journal(run.id) if r.step_type == "system"]
    assert system and system[-1].detail["system"].startswith("A IA não respondeu")


def test_ai_off_or_paused_takes_the_failure_exit_without_calling_openai(ai_shop):
    shop = ai_shop
    shop.publish(ai_graph())
    client = _db.session.get(Client, shop.tenant.id)
    client.ai_enabled = False
    _db.session.commit()
    _talk(shop, "duvida", "Caio", "Oi?")
    (run,) = shop.runs()
    assert run.current_step == "desculpa" and shop.openai.bodies == []
    assert _ai_runs(shop) == []
    step = [r for r in shop.journal(run.id) if r.step_id == "ia"][0]
    assert step.detail["result"]["error_kind"] == "ai_off"


def test_restart_after_the_answer_does_not_ask_or_record_twice(ai_shop, monkeypatch):
    from clickpro.services.flows.steps import ai as ai_step

    shop = ai_shop
    shop.publish(ai_graph())
    _talk(shop, "duvida", "Duda")

    class Crash(BaseException):
        pass

    real = ai_step.send
    monkeypatch.setattr(ai_step, "send", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    conv = shop.conversation
    msg = Message(client_id=shop.tenant.id, contact_id=conv.contact_id, conversation_id=conv.id,
                  number_id=shop.number.id, direction="IN", author="CONTACT", status="RECEIVED",
                  body="Vocês têm loja física?", type="text")  # fmt: skip
    _db.session.add(msg)
    _db.session.commit()
    (run,) = shop.runs()
    with pytest.raises(Crash):  # the worker dies after the answer, before sending it
        flow_tasks.input_job(shop.tenant.id, run.id, msg.id)
    _db.session.rollback()
    monkeypatch.setattr(ai_step, "send", real)
    calls = len(shop.openai.bodies)
    (run,) = shop.runs()
    assert run.status == "running" and run.current_step == "ia" and "resposta_ia" in run.variables
    engine.drive(shop.tenant.id, run.id, (run.step_state or {})[engine.LEASE]["token"])
    (run,) = shop.runs()
    assert run.status == "completed" and len(shop.openai.bodies) == calls  # not asked again
    (ai,) = _ai_runs(shop)
    assert ai.status == "DONE" and ai.reply_message_id is not None
    assert shop.bot_texts().count(run.variables["resposta_ia"]) == 1


def test_simulator_answers_without_whatsapp_or_an_ai_run(ai_shop, sandbox):
    shop = ai_shop
    flow = versions.create_flow(shop.tenant.id, "Rascunho IA", user_id=None, graph=ai_graph())
    sends = len(sandbox.sends)
    run = engine.start_run(shop.tenant.id, flow.id, conversation_id=None, trigger="manual",
                           mode="simulator", use_draft=True)  # fmt: skip
    engine.simulate_input(shop.tenant.id, run.id, "Eva")
    run = engine.simulate_input(shop.tenant.id, run.id, QUESTION)
    assert run.status == "completed"
    chat = engine.transcript(shop.tenant.id, run.id)
    bot = [i["text"] for i in chat["items"] if i["from"] == "bot"]
    assert bot[2] == chat["variables"]["resposta_ia"] and QUESTION in bot[2]
    assert '"nome": "Eva"' in shop.openai.bodies[-1]["instructions"]
    assert len(sandbox.sends) == sends and _ai_runs(shop) == []
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                              .where(Message.client_id == shop.tenant.id)) == 0  # fmt: skip
    row = _db.session.scalar(sa.select(FlowRunStep).where(FlowRunStep.run_id == run.id,
                                                          FlowRunStep.step_id == "ia"))  # fmt: skip
    assert row.detail["result"]["usage"]["input_tokens"] > 0  # shown, not billed as a reply
