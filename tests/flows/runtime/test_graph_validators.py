"""graph.validate() and the answer validators (no database needed beyond the app)."""

from __future__ import annotations

import pytest

from clickpro.services.flows import graph, validators
from clickpro.services.flows.templating import render


def _codes(problems):
    return {(p.step_id, p.field, p.level) for p in problems}


def test_validate_reports_errors_and_warnings(app):
    g = {"schema": 1, "start": "a", "steps": {
        "a": {"type": "send", "message": {"kind": "buttons", "text": "Oi {{nome}}",
              "buttons": [{"id": str(i), "title": "x" * 21} for i in range(4)]}, "next": "zz"},
        "b": {"type": "end"},
        "c": {"type": "http", "url": "http://169.254.169.254/latest", "next": "b"},
        "D!": {"type": "nope"}}}  # fmt: skip
    problems = graph.validate(g)
    found = _codes(problems)
    assert ("a", "message.buttons", "error") in found  # 4 buttons
    assert ("a", "message.buttons.0.title", "error") in found  # title > 20
    assert ("a", "next", "error") in found  # dangling exit
    assert ("b", "", "warning") in found  # unreachable
    assert ("c", "url", "error") in found  # SSRF rule
    assert ("D!", "id", "error") in found and ("D!", "type", "error") in found
    assert any(p.step_id == "a" and "nome" in p.message and p.level == "warning" for p in problems)
    assert all(set(p.as_dict()) == {"step_id", "field", "level", "message"} for p in problems)
    assert graph.validate({"start": "x"})[0].level == "error"
    assert graph.validate("garbage")[0].level == "error"  # type: ignore[arg-type]


def test_variables_of_and_limits(app):
    g = {"start": "a", "steps": {
        "a": {"type": "ask", "save_as": "opcao", "message": "?", "validation": {"kind": "choice",
              "choices": [{"id": "x", "title": "X", "next": "b"}]}},
        "b": {"type": "http", "url": "https://erp.example/x", "map": {"st": "a.b"}, "next": "c"},
        "c": {"type": "ai", "next": "c"}}}  # fmt: skip
    assert graph.variables_of(g) == {"opcao", "opcao_id", "st", "http_status", "resposta_ia"}
    big = {"start": "s0", "steps": {f"s{i}": {"type": "end"} for i in range(graph.MAX_STEPS + 1)}}
    assert any("passos" in p.message for p in graph.validate(big))


@pytest.mark.parametrize(("kind", "text", "ok", "value"), [
    ("cpf", "529.982.247-25", True, "52998224725"),
    ("cpf", "123.456.789-00", False, None),
    ("cpf", "111.111.111-11", False, None),
    ("cnpj", "11.222.333/0001-81", True, "11222333000181"),
    ("cnpj", "11.222.333/0001-82", False, None),
    ("cpf_cnpj", "11222333000181", True, "11222333000181"),
    ("email", "Ana@Exemplo.com.br", True, "ana@exemplo.com.br"),
    ("email", "ana@", False, None),
    ("date", "29/02/2024", True, "2024-02-29"),
    ("date", "31/02/2024", False, None),
    ("number", "1.234,56", True, 1234.56),
    ("number", "12", True, 12),
    ("number", "doze", False, None),
    ("text", "x" * 1001, False, None),
    ("text", "", False, None),
])  # fmt: skip
def test_validators(app, kind, text, ok, value):
    answer = validators.check({"kind": kind}, text)
    assert answer.ok is ok
    if ok:
        assert answer.value == value


def test_number_range_and_choice_matching(app):
    assert not validators.check({"kind": "number", "min": 1, "max": 5}, "7").ok
    choices = [
        {"id": "financeiro", "title": "Financeiro"},
        {"id": "suporte", "title": "Suporte Técnico"},
    ]
    rule = {"kind": "choice", "choices": choices}
    assert validators.check(rule, "2").extra == {"id": "suporte"}
    assert validators.check(rule, "  suporte tecnico! ").value == "Suporte Técnico"
    assert validators.check(rule, "whatever", "financeiro").value == "Financeiro"
    assert not validators.check(rule, "3").ok


def test_templates(app):
    assert render("Oi {{nome}}, {{x}}{{contact.name}}", {"nome": "Ana"}) == "Oi Ana, "
