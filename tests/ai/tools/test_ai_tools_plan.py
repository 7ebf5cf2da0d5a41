"""The sandbox model's deterministic decision to call a function tool."""

from __future__ import annotations

import json

from clickpro.sandbox.openai_tools import answer_from_outputs, plan_call

ORDER = {
    "type": "function",
    "name": "consultar_pedido",
    "description": "Consultar o status de um pedido pelo número",
    "parameters": {"type": "object", "required": ["numero_pedido"],
                   "properties": {"numero_pedido": {"type": "string", "maxLength": 20}}},
}  # fmt: skip
INVOICE = {
    "type": "function",
    "name": "segunda_via_boleto",
    "description": "Envia a segunda via do boleto para o CPF e e-mail do cliente",
    "parameters": {"type": "object", "required": ["cpf", "email"],
                   "properties": {"cpf": {"type": "string"}, "email": {"type": "string"},
                                  "urgente": {"type": "boolean"}}},
}  # fmt: skip
FILE_SEARCH = {"type": "file_search", "vector_store_ids": ["vs_1"]}


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def test_order_number_from_the_text():
    call = plan_call([FILE_SEARCH, INVOICE, ORDER], [user("Oi! Cadê meu pedido 98765?")])
    assert call == {"name": "consultar_pedido", "arguments": json.dumps({"numero_pedido": "98765"})}


def test_cpf_and_email_with_accents_and_punctuation():
    text = "Preciso da 2ª via do BOLETO, cpf 123.456.789-09, email ana@example.com.br"
    call = plan_call([ORDER, INVOICE], [user(text)])
    assert call is not None and call["name"] == "segunda_via_boleto"
    assert json.loads(call["arguments"]) == {"cpf": "12345678909", "email": "ana@example.com.br"}


def test_missing_required_argument_means_no_call():
    assert plan_call([INVOICE], [user("quero a segunda via do boleto")]) is None
    assert plan_call([ORDER], [user("meu pedido não chegou")]) is None


def test_unrelated_text_or_no_function_tools():
    assert plan_call([ORDER], [user("Vocês abrem sábado? 12345")]) is None
    assert plan_call([FILE_SEARCH], [user("pedido 12345")]) is None
    assert plan_call([], [user("pedido 12345")]) is None


def test_after_the_output_round_it_answers_from_the_output():
    input_ = [
        user("status do pedido 555"),
        {"type": "function_call", "call_id": "call_1", "name": "consultar_pedido",
         "arguments": '{"numero_pedido": "555"}'},
        {"type": "function_call_output", "call_id": "call_1",
         "output": '{"status": "enviado", "previsao": "05/12"}'},
    ]  # fmt: skip
    assert plan_call([ORDER], input_) is None
    assert (
        answer_from_outputs(input_)
        == "Consultei consultar_pedido: status: enviado, previsao: 05/12."
    )
    input_[-1]["output"] = "a consulta falhou: tempo esgotado"
    assert "Não consegui consultar agora" in answer_from_outputs(input_)
    # a new question after the round: the model may call again
    assert plan_call([ORDER], [*input_, user("e o pedido 556?")]) is not None
    assert answer_from_outputs([user("oi")]) is None
