"""What makes a flow graph a graph at all, checked before anything is stored.

:func:`check_structure` refuses only what cannot be a graph (not plain JSON, over
``MAX_BYTES``, over ``MAX_STEPS`` steps, a step id outside ``[a-z0-9_]{1,64}``, a step
without a type). Everything else (dangling exits, too many buttons, bad URLs...) is the
runtime validator's job (``graph.validate``): :func:`validate` runs both.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal

from flask_babel import gettext as _

from clickpro.services.flows import graph as graph_module
from clickpro.services.flows.graph import Problem

MAX_STEPS = graph_module.MAX_STEPS
MAX_BYTES = graph_module.MAX_BYTES
MAX_DEPTH = 32  # nesting of the graph JSON (a step's message is ~5 deep)
STEP_ID = re.compile(r"[a-z0-9_]{1,64}")


def problem(
    step_id: str | None, fld: str, level: Literal["error", "warning"], message: str
) -> Problem:
    return Problem(step_id=step_id, field=fld, level=level, message=message)


def validate(graph: dict) -> list:
    """``graph.validate`` (errors and warnings) after the structural checks here."""
    structural = check_structure(graph)
    if structural:
        return structural
    return list(graph_module.validate(graph))


def errors_of(problems: list) -> list:
    return [p for p in problems if p.level == "error"]


def empty_graph() -> dict:
    """A new flow: greets and ends (valid, so it can be published straight away)."""
    return {
        "schema": 1,
        "start": "boas_vindas",
        "settings": {
            "timeout_minutes": 30,
            "timeout_message": _("Encerramos por falta de resposta. É só escrever de novo."),
            "exit_keywords": ["atendente"],
        },
        "triggers": [{"kind": "manual"}],
        "steps": {
            "boas_vindas": {
                "type": "send",
                "name": _("Boas-vindas"),
                "ui": {"x": 80, "y": 80},
                "message": {
                    "kind": "text",
                    "text": _("Olá, {{contact.name}}! Como podemos ajudar?"),
                },
                "next": "fim",
            },
            "fim": {"type": "end", "name": _("Fim"), "ui": {"x": 80, "y": 240}},
        },
    }


def _json_problem(value: Any, depth: int, path: str) -> str | None:
    """The path of the first value that is not plain JSON (or nested too deep)."""
    if depth > MAX_DEPTH:
        return path or "graph"
    if value is None or isinstance(value, bool | str):
        return None
    if isinstance(value, int | float):
        return None if math.isfinite(value) else path
    if isinstance(value, list):
        for index, item in enumerate(value):
            bad = _json_problem(item, depth + 1, f"{path}.{index}")
            if bad is not None:
                return bad
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}.{key!r}"
            bad = _json_problem(item, depth + 1, f"{path}.{key}" if path else key)
            if bad is not None:
                return bad
        return None
    return path or "graph"


def graph_size(graph: dict) -> int:
    return len(json.dumps(graph, ensure_ascii=False, separators=(",", ":")).encode())


def check_structure(graph: Any) -> list:
    """Errors that make ``graph`` not a graph at all (nothing is stored then)."""
    if not isinstance(graph, dict):
        return [problem(None, "graph", "error", _("O fluxo precisa ser um objeto JSON."))]
    bad = _json_problem(graph, 0, "")
    if bad is not None:
        message = _("Valor não suportado em %(path)s: use só texto, número, sim/não, listas e objetos.", path=bad)  # fmt: skip
        return [problem(None, bad, "error", message)]
    size = graph_size(graph)
    if size > MAX_BYTES:
        message = _("O fluxo tem %(kb)s KB; o limite é %(max)s KB.", kb=size // 1024, max=MAX_BYTES // 1024)  # fmt: skip
        return [problem(None, "graph", "error", message)]
    if graph.get("schema", 1) != 1:
        return [problem(None, "schema", "error", _("Versão de fluxo não suportada."))]
    steps = graph.get("steps", {})
    if not isinstance(steps, dict):
        return [problem(None, "steps", "error", _("Os passos precisam ser um objeto."))]
    if len(steps) > MAX_STEPS:
        message = _("O fluxo tem %(n)s passos; o limite é %(max)s.", n=len(steps), max=MAX_STEPS)
        return [problem(None, "steps", "error", message)]
    problems = []
    for step_id, step in steps.items():
        if not STEP_ID.fullmatch(step_id):
            message = _("Identificador de passo inválido: use de 1 a 64 letras minúsculas, números ou _.")  # fmt: skip
            problems.append(problem(step_id[:64], "id", "error", message))
        elif not isinstance(step, dict) or not isinstance(step.get("type"), str):
            problems.append(problem(step_id, "type", "error", _("Passo sem tipo.")))
    return problems
