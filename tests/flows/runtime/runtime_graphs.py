"""Flow graphs shared by the runtime tests."""

from __future__ import annotations


def menu_graph(url: str, team_id: int | None) -> dict:
    """menu → choice → name + CPF form → HTTP lookup → handoff to the team."""
    return {
        "schema": 1,
        "start": "menu",
        "settings": {
            "timeout_minutes": 30,
            "timeout_message": "Encerramos por falta de resposta.",
            "exit_keywords": ["atendente"],
        },  # fmt: skip
        "triggers": [{"kind": "keyword", "keywords": ["menu"], "match": "exact"}],
        "steps": {
            "menu": {
                "type": "ask",
                "message": {"kind": "text", "text": "Olá! Escolha:"},
                "save_as": "opcao",
                "validation": {
                    "kind": "choice",
                    "choices": [
                        {"id": "financeiro", "title": "Financeiro", "next": "nome"},
                        {"id": "suporte", "title": "Suporte", "next": "fim"},
                    ],
                },
            },  # fmt: skip
            "nome": {
                "type": "ask",
                "message": {"kind": "text", "text": "Seu nome?"},
                "save_as": "nome",
                "save_to_contact": "name",
                "next": "cpf",
            },  # fmt: skip
            "cpf": {
                "type": "ask",
                "message": {"kind": "text", "text": "Seu CPF, {{nome}}?"},
                "save_as": "cpf",
                "validation": {"kind": "cpf"},
                "invalid_message": "CPF inválido, confira.",
                "next": "consulta",
            },  # fmt: skip
            "consulta": {
                "type": "http",
                "url": url,
                "method": "POST",
                "timeout_s": 2,
                "map": {"status_pedido": "pedido.status"},
                "next": "transferir",
                "on_error": "fim",
            },  # fmt: skip
            "transferir": {
                "type": "handoff",
                "team_id": team_id,
                "priority": "urgent",
                "message": {"kind": "text", "text": "Pedido {{status_pedido}}. Transferindo."},
                "note": "CPF {{cpf}}",
            },  # fmt: skip
            "fim": {"type": "end", "message": {"kind": "text", "text": "Até logo!"}},
        },
    }
