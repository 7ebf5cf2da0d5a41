"""/ai/tools: create/edit/delete with validation, tenancy, the role matrix, "Testar"."""

from __future__ import annotations

import json

import pytest
from tool_receiver import ORDER_SCHEMA

from clickpro.crypto import decrypt
from clickpro.models import AITool, Role


def form(receiver, **fields) -> dict:
    return {
        "name": "consultar_pedido",
        "description": "Consultar o status de um pedido",
        "parameters": ORDER_SCHEMA,
        "url": receiver.url(),
        "timeout_s": "5",
        "enabled": "1",
    } | fields


@pytest.fixture
def admin(create_client, login_as, local_tools):
    shop = create_client()
    login_as(shop.admin, shop)
    return shop


def test_create_list_edit_delete(client, admin, receiver, db):
    response = client.post("/ai/tools/new", data=form(receiver, secret_header_name="X-Api-Key",
                                                      secret_header_value="chave-123"))  # fmt: skip
    assert response.status_code == 302
    tool = db.session.query(AITool).one()
    assert tool.client_id == admin.id and tool.parameters["required"] == ["numero_pedido"]
    assert tool.secret_header_value_enc and "chave-123" not in tool.secret_header_value_enc
    assert decrypt(tool.secret_header_value_enc) == "chave-123"
    page = client.get("/ai/tools/").get_data(as_text=True)
    assert "consultar_pedido" in page
    edit = client.get(f"/ai/tools/{tool.id}/edit").get_data(as_text=True)
    assert "chave-123" not in edit  # never rendered
    # blank secret on edit keeps the stored one
    response = client.post(f"/ai/tools/{tool.id}/edit",
                           data=form(receiver, description="Novo texto", secret_header_name="X-Api-Key"))  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert tool.description == "Novo texto" and decrypt(tool.secret_header_value_enc) == "chave-123"
    assert client.post(f"/ai/tools/{tool.id}/delete").status_code == 302
    assert db.session.query(AITool).count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"name": "Consultar Pedido"}, "name", "minúsculas"),
        ({"description": ""}, "description", "Descreva"),
        ({"parameters": "{not json"}, "parameters", "JSON inválido"),
        ({"parameters": '{"type": "array"}'}, "parameters", "object"),
        (
            {
                "parameters": '{"type": "object", "properties": {"x": {"type": "string", '
                '"pattern": "(a+)+$"}}}'
            },
            "parameters",
            "pattern",
        ),  # fmt: skip
        (
            {"parameters": '{"type": "object", "properties": {"x": {"type": "object"}}}'},
            "parameters",
            "tipo",
        ),  # fmt: skip
        (
            {"parameters": '{"type": "object", "properties": {}, "required": ["y"]}'},
            "parameters",
            "não existem",
        ),  # fmt: skip
        ({"parameters": '{"type": "object", "$ref": "#"}'}, "parameters", "$ref"),
        ({"url": "ftp://example.com/x"}, "url", "https://"),
        ({"url": "https://user:pw@example.com/x"}, "url", "usuário"),
        ({"timeout_s": "30"}, "timeout_s", "15"),
        (
            {"secret_header_name": "Host", "secret_header_value": "x"},
            "secret_header_name",
            "cabeçalho",
        ),  # fmt: skip
        ({"number_id": "999999"}, "number_id", "Número"),
    ],
)
def test_bad_input_is_refused_and_kept(client, admin, receiver, db, fields, field, text):
    data = form(receiver, **fields)
    response = client.post("/ai/tools/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-testid="error-{field}"' in page and text in page
    assert "Consultar o status de um pedido" in page or field == "description"  # kept
    assert db.session.query(AITool).count() == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://169.254.169.254/latest",
                                 "http://10.0.0.5/erp", "http://localhost/x", "http://[::1]/x",
                                 "http://2130706433/x"])  # fmt: skip
def test_private_addresses_refused(app, client, admin, receiver, db, url):
    app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"] = False
    response = client.post("/ai/tools/new", data=form(receiver, url=url))
    assert response.status_code == 422
    assert "Destino recusado" in response.get_data(as_text=True)
    assert db.session.query(AITool).count() == 0


def test_duplicate_name(client, admin, receiver):
    assert client.post("/ai/tools/new", data=form(receiver)).status_code == 302
    response = client.post("/ai/tools/new", data=form(receiver))
    assert response.status_code == 422 and "Já existe" in response.get_data(as_text=True)


def test_other_clients_tool_is_404(client, admin, create_client, make_tool, receiver):
    other = make_tool(create_client())
    assert client.get(f"/ai/tools/{other.id}/edit").status_code == 404
    assert client.post(f"/ai/tools/{other.id}/edit", data=form(receiver)).status_code == 404
    assert client.post(f"/ai/tools/{other.id}/delete").status_code == 404
    assert client.post(f"/ai/tools/{other.id}/test", data={"arguments": "{}"}).status_code == 404
    assert receiver.requests == []


def test_agents_cannot_open_the_pages(client, create_client, create_member, login_as, make_tool):
    shop = create_client()
    tool = make_tool(shop)
    agent = create_member(shop, Role.CLIENT_USER)
    login_as(agent, shop)
    assert client.get("/ai/tools/").status_code == 403
    assert client.post(f"/ai/tools/{tool.id}/test", data={"arguments": "{}"}).status_code == 403


def test_test_button_calls_the_endpoint(client, admin, make_tool, receiver):
    tool = make_tool(admin)
    response = client.post(f"/ai/tools/{tool.id}/test",
                           data={"arguments": '{"numero_pedido": "321"}'})  # fmt: skip
    assert response.status_code == 200
    data = response.get_json()
    assert json.loads(data["output"])["pedido"] == "321"
    assert data["log"]["status"] == "ok"
    assert receiver.requests[-1]["body"] == {"numero_pedido": "321"}
    bad = client.post(f"/ai/tools/{tool.id}/test", data={"arguments": '{"numero_pedido": 5}'})
    assert bad.status_code == 422 and "esquema" in bad.get_json()["error"]
    receiver.reply = lambda body: (503, b"{}", 0)
    failed = client.post(f"/ai/tools/{tool.id}/test", data={"arguments": '{"numero_pedido": "1"}'})
    assert failed.get_json()["log"]["status"] == "http_error"
