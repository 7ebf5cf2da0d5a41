"""One function-tool round over the real gateway and the sandbox model, without the
answer loop: our definitions go out, the model calls the tool with the order number,
call_tool POSTs it to the shop's endpoint, and the model answers from the output."""

from __future__ import annotations

from clickpro.services.ai import tools
from clickpro.services.credentials import openai_for


def test_a_tool_round_trip(shop, make_tool, receiver, openai_spy):
    make_tool(shop.tenant)
    _credential, gateway = openai_for(shop.tenant.id)
    definitions = tools.tool_definitions(shop.tenant.id, shop.number.id)
    question = [{"role": "user", "content": "Qual o status do pedido 48213?"}]
    first = gateway.create_reply(model="gpt-4.1-mini", instructions="Loja", messages=question,
                                 tools=definitions)  # fmt: skip
    [call] = first.function_calls
    assert call.name == "consultar_pedido"
    assert openai_spy.bodies[-1]["tools"][0]["parameters"]["required"] == ["numero_pedido"]
    result = tools.call_tool(shop.tenant.id, call.name, call.arguments, run_id=None)
    assert result.ok and receiver.requests[-1]["body"] == {"numero_pedido": "48213"}
    round_items = [call.as_input(), {"type": "function_call_output", "call_id": call.call_id,
                                     "output": result.output}]  # fmt: skip
    second = gateway.create_reply(model="gpt-4.1-mini", instructions="Loja",
                                  messages=question + round_items, tools=definitions)  # fmt: skip
    assert second.function_calls == []
    assert "enviado" in second.text and "05/12" in second.text


def test_a_failed_round_is_answered_too(shop, make_tool, receiver):
    make_tool(shop.tenant)
    receiver.reply = lambda body: (500, b"{}", 0)
    _credential, gateway = openai_for(shop.tenant.id)
    definitions = tools.tool_definitions(shop.tenant.id, None)
    question = [{"role": "user", "content": "cadê meu pedido 77?"}]
    [call] = gateway.create_reply(model="gpt-4.1-mini", instructions="Loja", messages=question,
                                  tools=definitions).function_calls  # fmt: skip
    result = tools.call_tool(shop.tenant.id, call.name, call.arguments, run_id=None)
    assert result.log["status"] == "http_error"
    second = gateway.create_reply(model="gpt-4.1-mini", instructions="Loja", tools=definitions,
                                  messages=question + [call.as_input(), {
                                      "type": "function_call_output", "call_id": call.call_id,
                                      "output": result.output}])  # fmt: skip
    assert "Não consegui consultar agora" in second.text
