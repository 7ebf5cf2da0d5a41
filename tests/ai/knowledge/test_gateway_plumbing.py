"""create_reply's tools / include / text_format / content parts and Reply's parsed items,
against the in-process sandbox (function tools, json_schema, function_call_output round)."""

from __future__ import annotations

import json

import httpx
import pytest
from flask import Flask

from clickpro.config import BaseConfig
from clickpro.integrations.openai import (
    FunctionCall,
    OpenAIErrorKind,
    OpenAIFailure,
    openai_client,
    parse_output,
)
from clickpro.sandbox import create_sandbox_app

KEY = "sk-test-abcdefghijklmnop9876"
ORDER_TOOL = {
    "type": "function",
    "name": "consultar_pedido",
    "description": "Consultar o status de um pedido",
    "parameters": {
        "type": "object",
        "properties": {"numero": {"type": "string", "description": "número do pedido"}},
        "required": ["numero"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture
def gateway():
    sandbox = create_sandbox_app()
    app = Flask("t")
    app.config.from_object(BaseConfig)
    app.config.update(
        OPENAI_BASE_URL="http://sandbox/openai/v1",
        OPENAI_HTTP_TRANSPORT=httpx.WSGITransport(app=sandbox),
    )
    with app.app_context():
        yield openai_client(KEY)
    sandbox.extensions["sandbox"].close()


def _ask(gateway, messages, **kwargs):
    return gateway.create_reply(model="gpt-4.1-mini", instructions="Loja X.",
                                messages=messages, **kwargs)  # fmt: skip


def test_function_call_then_output_round(gateway) -> None:
    user = {"role": "user", "content": "Qual o status do meu pedido 48213?"}
    first = _ask(gateway, [user], tools=[ORDER_TOOL])
    assert first.text == ""
    assert [c.name for c in first.function_calls] == ["consultar_pedido"]
    call = first.function_calls[0]
    assert json.loads(call.arguments) == {"numero": "48213"}
    assert call.call_id.startswith("call_")
    assert first.output[0]["type"] == "function_call"
    second = _ask(
        gateway,
        [user, call.as_input(),
         {"type": "function_call_output", "call_id": call.call_id,
          "output": json.dumps({"status": "enviado"})}],
        tools=[ORDER_TOOL],
    )  # fmt: skip
    assert second.function_calls == []
    assert "enviado" in second.text


def test_content_parts_are_sent(gateway) -> None:
    parts = [
        {"type": "input_text", "text": "Que tal esta foto?"},
        {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
    ]
    result = _ask(gateway, [{"role": "user", "content": parts}])
    assert "Que tal esta foto?" in result.text


def test_json_schema_format_answers_schema_valid_json(gateway) -> None:
    fmt = {
        "type": "json_schema",
        "name": "resumo",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"tema": {"type": "string", "enum": ["entrega", "preco"]},
                           "ok": {"type": "boolean"}},
            "required": ["tema", "ok"],
            "additionalProperties": False,
        },
    }  # fmt: skip
    result = _ask(gateway, [{"role": "user", "content": "oi"}], text_format=fmt)
    assert json.loads(result.text) == {"tema": "entrega", "ok": False}


def test_malformed_tools_is_bad_request(gateway) -> None:
    with pytest.raises(OpenAIFailure) as info:
        _ask(gateway, [{"role": "user", "content": "oi"}], tools=[{"type": "file_search"}])
    assert info.value.kind is OpenAIErrorKind.BAD_REQUEST
    assert "vector_store_ids" in info.value.message


def test_parse_output_citations_and_results() -> None:
    items = [
        {"type": "file_search_call", "id": "fs_1", "status": "completed",
         "queries": ["prazo"], "results": [
             {"file_id": "file-a", "filename": "a.pdf", "score": 0.8, "text": "7 dias",
              "attributes": {}}]},
        {"type": "message", "role": "assistant", "content": [
            {"type": "output_text", "text": "Sete dias.", "annotations": [
                {"type": "file_citation", "file_id": "file-a", "filename": "a.pdf", "index": 9},
                {"type": "file_citation", "file_id": "file-a", "filename": "a.pdf", "index": 9},
            ]}]},
        {"type": "function_call", "call_id": "call_1", "name": "x", "arguments": "{}"},
    ]  # fmt: skip
    parsed = parse_output(items)
    assert parsed["searched"] is True
    assert parsed["citations"] == [{"file_id": "file-a", "filename": "a.pdf"}]
    assert parsed["file_search_results"][0]["text"] == "7 dias"
    assert parsed["function_calls"] == [FunctionCall("call_1", "x", "{}")]
