"""A real AI reply calls the shop's tool: the customer writes on WhatsApp (sandbox), the
answer loop offers the tool, the sandbox model calls it with the order number from the
text, ClickPro POSTs to the shop's endpoint, the model answers from the result and every
call is logged on the run (``AIReplyRun.tool_calls``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clickpro.models import AIReplyRun

pytest.importorskip("clickpro.services.ai.answer", reason="h4's answer loop (#21) not merged")


def test_the_answer_uses_the_tool_result(shop, make_tool, receiver, openai_spy, db):
    make_tool(shop.tenant)
    shop.say("Oi, qual o status do meu pedido 48213?")
    assert receiver.requests[-1]["body"] == {"numero_pedido": "48213"}
    [answer] = shop.ai_messages()
    assert "enviado" in answer.body
    run = db.session.scalar(sa.select(AIReplyRun))
    [call] = run.tool_calls
    assert call["name"] == "consultar_pedido" and call["status"] == "ok"
    assert call["arguments"] == {"numero_pedido": "48213"}
    assert receiver.requests[-1]["headers"]["X-ClickPro-Run"] == str(run.id)
    first = openai_spy.bodies[0]
    assert any(t.get("name") == "consultar_pedido" for t in first.get("tools", []))
    last = openai_spy.bodies[-1]
    assert any(i.get("type") == "function_call_output" for i in last["input"])


def test_a_failed_tool_still_gets_an_answer(shop, make_tool, receiver, db):
    make_tool(shop.tenant, timeout_s="1")
    receiver.reply = lambda body: (200, b"{}", 1.5)
    shop.say("Qual o status do pedido 1001?")
    [answer] = shop.ai_messages()
    assert answer.body.strip()
    run = db.session.scalar(sa.select(AIReplyRun))
    assert run.tool_calls[0]["status"] == "timeout"
    assert run.tool_calls[0]["error"] == "tempo esgotado"


def test_no_tool_for_an_unrelated_question(shop, make_tool, receiver, db):
    make_tool(shop.tenant)
    shop.say("Vocês abrem no sábado?")
    assert receiver.requests == []
    assert db.session.scalar(sa.select(AIReplyRun)).tool_calls == []
