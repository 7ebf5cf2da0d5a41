"""call_tool against a real local HTTP endpoint: the body the endpoint gets, the output
the model reads, and every failure turned into a readable output + a log entry."""

from __future__ import annotations

import json

from clickpro.services.ai import tools
from clickpro.services.ai.tool_store import ToolInput, update_tool


def test_definitions_are_responses_api_function_tools(create_client, make_tool):
    shop = create_client()
    make_tool(shop)
    make_tool(shop, name="desligada", enabled=False)
    [definition] = tools.tool_definitions(shop.id, None)
    assert definition["type"] == "function"
    assert definition["name"] == "consultar_pedido"
    assert definition["parameters"]["required"] == ["numero_pedido"]
    assert tools.tool_definitions(create_client().id, None) == []  # another client's
    with tools.suppressed():
        assert tools.tool_definitions(shop.id, None) == []


def test_number_scope(create_client, create_whatsapp_credential, make_tool):
    shop = create_client()
    sales = create_whatsapp_credential(shop)
    support = create_whatsapp_credential(shop, account={
        "access_token": "t2", "waba_id": "100000000000001",
        "phone_number_id": "100000000000099", "app_id": "1"})  # fmt: skip
    make_tool(shop, name="so_vendas", number_id=str(sales.id))
    make_tool(shop, name="todos")
    assert [d["name"] for d in tools.tool_definitions(shop.id, sales.id)] == ["so_vendas", "todos"]
    assert [d["name"] for d in tools.tool_definitions(shop.id, support.id)] == ["todos"]


def test_call_posts_the_arguments_and_returns_the_json(create_client, make_tool, receiver):
    shop = create_client()
    make_tool(shop, secret_header_name="Authorization", secret_header_value="Bearer s3cr3t")
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "12345"}',
                             run_id=77)  # fmt: skip
    assert result.ok
    assert json.loads(result.output) == {"pedido": "12345", "status": "enviado",
                                         "previsao": "05/12"}  # fmt: skip
    [request] = receiver.requests
    assert request["body"] == {"numero_pedido": "12345"}
    assert request["headers"]["Authorization"] == "Bearer s3cr3t"
    assert request["headers"]["X-ClickPro-Run"] == "77"
    assert result.log["name"] == "consultar_pedido"
    assert result.log["arguments"] == {"numero_pedido": "12345"}
    assert result.log["status"] == "ok" and result.log["error"] is None
    assert isinstance(result.log["ms"], int) and result.log["http_status"] == 200


def test_bad_arguments_never_reach_the_endpoint(create_client, make_tool, receiver):
    shop = create_client()
    make_tool(shop)
    for raw in ("{}", '{"numero_pedido": 12}', "not json", '{"numero_pedido": "' + "9" * 30 + '"}'):
        result = tools.call_tool(shop.id, "consultar_pedido", raw, run_id=None)
        assert result.log["status"] == "invalid_arguments", raw
        assert result.output.startswith("a consulta falhou: argumentos inválidos")
    assert receiver.requests == []


def test_unknown_or_other_clients_tool(create_client, make_tool, receiver):
    shop, other = create_client(), create_client()
    make_tool(shop)
    result = tools.call_tool(other.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=None)
    assert result.log["status"] == "unknown_tool"
    assert receiver.requests == []


def test_http_500(create_client, make_tool, receiver):
    shop = create_client()
    make_tool(shop)
    receiver.reply = lambda body: (500, b'{"erro": "interno"}', 0)
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=1)
    assert result.output == "a consulta falhou: o serviço respondeu HTTP 500"
    assert result.log["status"] == "http_error" and result.log["http_status"] == 500


def test_timeout(create_client, make_tool, receiver):
    shop = create_client()
    tool = make_tool(shop, timeout_s="1")
    receiver.reply = lambda body: (200, b"{}", 1.6)
    result = tools.call_tool(shop.id, tool.name, '{"numero_pedido": "1"}', run_id=1)
    assert result.output == "a consulta falhou: tempo esgotado"
    assert result.log["status"] == "timeout" and 900 <= result.log["ms"] < 1600


def test_huge_answer(create_client, make_tool, receiver):
    shop = create_client()
    make_tool(shop)
    receiver.reply = lambda body: (200, b'"' + b"x" * (tools.MAX_RESPONSE_BYTES + 10) + b'"', 0)
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=1)
    assert result.log["status"] == "too_large"
    assert result.output == "a consulta falhou: resposta grande demais"


def test_not_json(create_client, make_tool, receiver):
    shop = create_client()
    make_tool(shop)
    receiver.reply = lambda body: (200, b"<html>ok</html>", 0)
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=1)
    assert result.log["status"] == "not_json"
    assert result.output == "a consulta falhou: a resposta não é JSON"


def test_private_address_refused_at_call_time(app, create_client, make_tool, receiver):
    """Saved while the operator allowed private addresses, called after they stopped."""
    shop = create_client()
    make_tool(shop)
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=1)
    assert result.log["status"] == "refused"
    assert receiver.requests == []


def test_name_resolving_to_loopback_refused_by_the_transport(app, create_client, make_tool,
                                                             receiver):  # fmt: skip
    shop = create_client()
    tool = make_tool(shop)
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False
    tool.url = f"http://localtest.me.:{receiver.port}/pedidos"  # any name: resolved on connect
    from clickpro.extensions import db

    db.session.commit()
    result = tools.call_tool(shop.id, "consultar_pedido", '{"numero_pedido": "1"}', run_id=1)
    assert result.log["status"] in ("refused", "connection")  # no DNS offline: not found
    assert receiver.requests == []


def test_extra_fields_are_not_forwarded(create_client, make_tool, receiver):
    shop = create_client()
    tool = make_tool(shop)
    schema = dict(tool.parameters, additionalProperties=True)
    update_tool(shop.id, tool.id, ToolInput(
        name=tool.name, description=tool.description, parameters=json.dumps(schema),
        url=tool.url, timeout_s="2", enabled=True))  # fmt: skip
    tools.call_tool(shop.id, tool.name, '{"numero_pedido": "1", "extra": "x"}', run_id=1)
    assert receiver.requests[-1]["body"] == {"numero_pedido": "1", "extra": "x"}
    schema["additionalProperties"] = False
    update_tool(shop.id, tool.id, ToolInput(
        name=tool.name, description=tool.description, parameters=json.dumps(schema),
        url=tool.url, timeout_s="2", enabled=True))  # fmt: skip
    result = tools.call_tool(shop.id, tool.name, '{"numero_pedido": "1", "extra": "x"}', run_id=1)
    assert result.log["status"] == "invalid_arguments"
