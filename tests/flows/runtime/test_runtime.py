"""The flows runtime on live conversations (sandbox WhatsApp, real PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from runtime_graphs import menu_graph

from clickpro.events import message_created, send_safely
from clickpro.extensions import db as _db
from clickpro.models import Contact, Conversation, FlowRun, FlowRunInput, Message
from clickpro.models.base import utcnow
from clickpro.services.flows import engine
from clickpro.services.flows.errors import FlowNotFound
from clickpro.services.flows.steps import outbox
from clickpro.tasks import flows as flow_tasks

CPF_OK, CPF_BAD = "529.982.247-25", "123.456.789-00"


def test_menu_form_cpf_http_handoff(shop, endpoint):
    team = shop.team()
    shop.publish(menu_graph(endpoint.url, team.id))
    shop.say("Menu")
    (run,) = shop.runs()
    assert (run.status, run.current_step, run.trigger) == ("waiting_input", "menu", "keyword")
    shop.say(message={"type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": "financeiro", "title": "Financeiro"}}})  # fmt: skip
    shop.say("Rafael Lima")
    shop.say(CPF_BAD)
    (run,) = shop.runs()
    assert run.current_step == "cpf" and "cpf" not in run.variables
    shop.say(CPF_OK)
    (run,) = shop.runs()
    assert run.status == "handed_off", run.end_reason
    assert run.variables["cpf"] == "52998224725" and run.variables["status_pedido"] == "enviado"
    assert endpoint.bodies == [{"opcao": "Financeiro", "opcao_id": "financeiro", "nome": "Rafael Lima",
                                "cpf": "52998224725"}]  # fmt: skip
    texts = shop.bot_texts()
    assert texts == ["Olá! Escolha:", "Seu nome?", "Seu CPF, Rafael Lima?", "CPF inválido, confira.",
                     "Pedido enviado. Transferindo."]  # fmt: skip
    conv = shop.conversation
    assert conv.team_id == team.id and conv.ai_paused and conv.priority == 1
    note = _db.session.scalar(sa.select(Message).where(Message.conversation_id == conv.id,
                                                       Message.is_internal_note.is_(True)))  # fmt: skip
    assert note is not None and "CPF 52998224725" in note.body and "Rafael Lima" in note.body
    contact = _db.session.get(Contact, conv.contact_id)
    assert contact.name == "Rafael Lima"


def test_http_error_and_garbage_take_on_error(shop, endpoint):
    endpoint.reply = b"<html>oops</html>"
    shop.publish(menu_graph(endpoint.url, None))
    for text in ("menu", "1", "Ana", CPF_OK):
        shop.say(text)
    (run,) = shop.runs()
    assert run.status == "completed" and run.current_step == "fim"
    assert shop.bot_texts()[-1] == "Até logo!"


def test_duplicate_inbound_advances_once(shop, endpoint, app):
    shop.publish(menu_graph(endpoint.url, None))
    shop.say("menu")
    answer = shop.say("1")
    (run,) = shop.runs()
    assert run.current_step == "nome"
    from clickpro.services.flows import triggers

    for _ in range(2):  # the same webhook message again, and its job again
        triggers.on_message_received(app, client_id=shop.tenant.id, message_id=answer.id,
                                     contact_id=answer.contact_id, conversation_id=answer.conversation_id)  # fmt: skip
        assert flow_tasks.input_job(shop.tenant.id, run.id, answer.id) == "duplicate"
    (run,) = shop.runs()
    assert run.current_step == "nome" and run.status == "waiting_input"
    assert shop.bot_texts() == ["Olá! Escolha:", "Seu nome?"]


def test_concurrent_inbound_same_message_once(shop, endpoint, app):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    shop.publish(menu_graph(endpoint.url, None))
    shop.say("menu")
    (run,) = shop.runs()
    # the answer row exists (stored by a webhook) but its jobs race
    msg = Message(client_id=shop.tenant.id, contact_id=shop.conversation.contact_id,
                  conversation_id=shop.conversation.id, number_id=shop.number.id, direction="IN",
                  author="CONTACT", status="RECEIVED", body="1", type="text")  # fmt: skip
    _db.session.add(msg)
    _db.session.commit()
    results: list[str] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            results.append(flow_tasks.input_job(shop.tenant.id, run.id, msg.id))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results).count("advanced") == 1, results
    assert set(results) <= {"advanced", "duplicate", "ignored"}
    (run,) = shop.runs()
    assert run.current_step == "nome"
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(FlowRunInput)
                              .where(FlowRunInput.message_id == msg.id)) == 1  # fmt: skip
    assert shop.bot_texts().count("Seu nome?") == 1


class Crash(BaseException):
    """A worker killed (not an exception the engine would catch)."""


def test_restart_mid_run_resumes_without_repeating(shop, endpoint, monkeypatch):
    shop.publish(menu_graph(endpoint.url, None))
    shop.say("menu")
    (run,) = shop.runs()
    real = outbox._deliver

    def crash_after_send(ctx, rendered):
        real(ctx, rendered)  # stored and sent to WhatsApp...
        raise Crash()  # ... then the worker dies before the journal says "sent"

    msg = Message(client_id=shop.tenant.id, contact_id=shop.conversation.contact_id,
                  conversation_id=shop.conversation.id, number_id=shop.number.id, direction="IN",
                  author="CONTACT", status="RECEIVED", body="1", type="text")  # fmt: skip
    _db.session.add(msg)
    _db.session.commit()
    monkeypatch.setattr(outbox, "_deliver", crash_after_send)
    with pytest.raises(Crash):
        flow_tasks.input_job(shop.tenant.id, run.id, msg.id)
    monkeypatch.setattr(outbox, "_deliver", real)
    _db.session.rollback()
    (run,) = shop.runs()
    assert run.status == "running" and run.current_step == "nome"
    flow_tasks.run_job(shop.tenant.id, run.id)  # a re-run while the lease holds: nothing
    assert shop.runs()[0].status == "running"
    later = utcnow() + timedelta(seconds=engine.LEASE_S + 5)
    monkeypatch.setattr(engine, "clock", lambda: later)
    assert flow_tasks.input_job(shop.tenant.id, run.id, msg.id) == "ignored"  # already taken
    engine.resume_stuck()  # the sweep picks the stuck run
    (run,) = shop.runs()
    assert run.status == "waiting_input" and run.current_step == "nome"
    assert shop.bot_texts() == ["Olá! Escolha:", "Seu nome?"]  # not sent twice
    steps = [(r.step_id, r.step_type) for r in shop.journal(run.id)]
    assert steps == [("menu", "ask"), ("menu", "input"), ("nome", "ask")]  # no step repeated
    assert shop.journal(run.id)[-1].outcome == "asked"


def test_timeout_abandons_with_message(shop, endpoint, monkeypatch):
    base = utcnow()
    monkeypatch.setattr(engine, "clock", lambda: base)
    shop.publish(menu_graph(endpoint.url, None))
    shop.say("menu")
    assert engine.expire_due(base + timedelta(minutes=29)) == 0
    assert flow_tasks.sweep()["expired"] == 0
    assert engine.expire_due(base + timedelta(minutes=31)) == 1
    (run,) = shop.runs()
    assert run.status == "abandoned" and run.current_step == "menu" and run.end_reason == "timeout"
    assert shop.bot_texts()[-1] == "Encerramos por falta de resposta."
    assert engine.expire_due(base + timedelta(minutes=40)) == 0  # once


def test_wait_step_woken_by_sweep(shop, monkeypatch):
    base = utcnow()
    monkeypatch.setattr(engine, "clock", lambda: base)
    shop.publish({"schema": 1, "start": "oi", "triggers": [{"kind": "new_conversation"}], "steps": {
        "oi": {"type": "send", "message": {"kind": "text", "text": "Um instante"}, "next": "espera"},
        "espera": {"type": "wait", "seconds": 60, "next": "fim"},
        "fim": {"type": "end", "message": {"kind": "text", "text": "Voltei"}}}})  # fmt: skip
    shop.say("bom dia")
    (run,) = shop.runs()
    assert run.status == "waiting_timer" and run.trigger == "new_conversation"
    assert engine.wake_due(base + timedelta(seconds=30)) == 0
    monkeypatch.setattr(engine, "clock", lambda: base + timedelta(seconds=61))
    assert flow_tasks.sweep()["woken"] == 1
    (run,) = shop.runs()
    assert run.status == "completed"
    assert shop.bot_texts() == ["Um instante", "Voltei"]


def test_agent_reply_and_exit_keyword_leave(shop, endpoint, app):
    team = shop.team("Geral")
    shop.publish(menu_graph(endpoint.url, None))
    shop.say("menu")
    conv = shop.conversation
    reply = Message(client_id=shop.tenant.id, contact_id=conv.contact_id, conversation_id=conv.id,
                    number_id=conv.number_id, direction="OUT", author="AGENT", status="SENT",
                    body="Oi, sou a Ana", type="text")  # fmt: skip
    _db.session.add(reply)
    _db.session.commit()
    send_safely(
        message_created, client_id=shop.tenant.id, message_id=reply.id, contact_id=conv.contact_id
    )
    (run,) = shop.runs()
    assert run.status == "exited" and run.end_reason == "agent_reply"
    assert engine.active_run(shop.tenant.id, conv.id) is None
    # "atendente" while in a flow: leaves and goes to the team
    _db.session.execute(sa.update(Conversation).where(Conversation.id == conv.id)
                        .values(assigned_user_id=None, ai_paused=False, team_id=team.id))  # fmt: skip
    _db.session.commit()
    shop.say("menu")
    shop.say("Atendente")
    runs = shop.runs()
    assert runs[-1].status == "exited" and runs[-1].end_reason == "exit_keyword"
    assert shop.conversation.ai_paused and shop.conversation.team_id == team.id


def test_trigger_priority_and_no_start_on_optout(shop):
    welcome = shop.publish({"schema": 1, "start": "a", "triggers": [{"kind": "new_conversation"}],
                            "steps": {"a": {"type": "end", "message": {"kind": "text", "text": "Bem-vindo"}}}},
                           name="Boas-vindas")  # fmt: skip
    keyword = shop.publish({"schema": 1, "start": "a", "triggers": [{"kind": "keyword", "keywords": ["preço"],
                                                                     "match": "contains"}],
                            "steps": {"a": {"type": "end", "message": {"kind": "text", "text": "Tabela"}}}},
                           name="Preços")  # fmt: skip
    assert welcome.id < keyword.id
    shop.say("qual o preco do bolo?")  # first message AND a keyword: keyword wins
    runs = shop.runs()
    assert [(r.flow_id, r.trigger) for r in runs] == [(keyword.id, "keyword")]
    shop.say("PARAR")  # an opt-out keyword never starts a flow
    assert len(shop.runs()) == 1


def test_tenant_isolation(shop, create_client, create_whatsapp_credential, sandbox):
    other = create_client("Outra Loja")
    from clickpro.services.flows import versions

    flow = versions.create_flow(other.id, "Menu B", user_id=None, graph={
        "schema": 1, "start": "a", "triggers": [{"kind": "keyword", "keywords": ["menu"]}],
        "steps": {"a": {"type": "end", "message": {"kind": "text", "text": "B"}}}})  # fmt: skip
    versions.publish(other.id, flow.id, user_id=None)
    shop.say("menu")  # client A has no flow: client B's never runs
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(FlowRun)) == 0
    with pytest.raises(FlowNotFound):  # another client's flow
        engine.start_run(
            shop.tenant.id, flow.id, conversation_id=shop.conversation.id, trigger="manual"
        )


def test_cycle_is_bounded(shop):
    shop.publish({"schema": 1, "start": "a", "triggers": [{"kind": "keyword", "keywords": ["loop"]}],
                  "steps": {"a": {"type": "set", "variables": {"x": "1"}, "next": "b"},
                            "b": {"type": "set", "variables": {"y": "2"}, "next": "a"}}})  # fmt: skip
    shop.say("loop")
    (run,) = shop.runs()
    assert run.status == "failed" and run.end_reason == "too_many_steps"
    assert run.seq <= engine.MAX_STEPS_PER_ADVANCE + 2


def test_ai_and_off_hours_reply_stay_quiet_in_a_flow(shop, endpoint):
    from clickpro.services.flows.triggers import flow_takes

    shop.publish(menu_graph(endpoint.url, None))
    first = shop.say("oi")  # no trigger: neither a run nor a taker
    assert shop.runs() == [] and not flow_takes(shop.conversation, first)
    shop.say("menu")
    assert flow_takes(shop.conversation)  # reply.should_answer → "in_flow", no off-hours reply
