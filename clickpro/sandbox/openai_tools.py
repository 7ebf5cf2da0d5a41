"""The sandbox model's function calling: a deterministic stand-in for the real model's
decision to call one of the request's ``function`` tools, and its answer from the result.

:func:`plan_call` looks at the last user message *after* the last tool round: a tool is
chosen when the text mentions words of its name or description ("pedido" for
``consultar_pedido`` / "Consultar o status de um pedido") and every required argument
can be filled from the text — digits for order numbers and ids, an e-mail address, a
CPF/CNPJ (digits), a CEP, a number for numeric fields, a value of an ``enum``. When the
input already holds a ``function_call_output`` after that user message the model has
its answer: no new call, and :func:`answer_from_outputs` words the reply from it.

Both are pure functions of the request body, so tests and the demo know what happens.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

STOPWORDS = frozenset(
    [
        "para",
        "pelo",
        "pela",
        "pelos",
        "pelas",
        "com",
        "sem",
        "uma",
        "umas",
        "uns",
        "num",
        "numa",
        "dos",
        "das",
        "nos",
        "nas",
        "que",
        "qual",
        "quando",
        "onde",
        "como",
        "este",
        "esta",
        "esse",
        "essa",
        "isso",
        "aqui",
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "your",
        "cliente",
        "clientes",
        "consultar",
        "consulta",
        "buscar",
        "obter",
        "informar",
        "retorna",
        "retornar",
        "usar",
    ]
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CPF_RE = re.compile(r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b")
CNPJ_RE = re.compile(r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b")
CEP_RE = re.compile(r"\b\d{5}-?\d{3}\b")
DIGITS_RE = re.compile(r"\d[\d.\-/]*\d|\d")
NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?")


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", fold(text)) if w not in STOPWORDS}


def _stem(word: str) -> str:
    return word[:5]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("text")
        )
    return ""


def _after_last_user(input_: Any) -> tuple[str, list[dict]]:
    """The last user text and the items that came after it."""
    if isinstance(input_, str):
        return input_, []
    items = [i for i in input_ or [] if isinstance(i, dict)]
    for index in range(len(items) - 1, -1, -1):
        if items[index].get("role") == "user":
            return _text_of(items[index].get("content")), items[index + 1 :]
    return "", items


def _score(tool: dict, text_stems: set[str]) -> int:
    name_words = _words(str(tool.get("name", "")).replace("_", " "))
    description_words = _words(str(tool.get("description", "")))
    name_hits = {_stem(w) for w in name_words} & text_stems
    description_hits = {_stem(w) for w in description_words} & text_stems
    if not name_hits and len(description_hits) < 2:
        return 0
    return 2 * len(name_hits) + len(description_hits)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _fill(name: str, prop: dict, text: str) -> Any:
    """A value for one argument from the user's text (None: not found)."""
    hint = fold(f"{name} {prop.get('description', '')}")
    kind = prop.get("type")
    enum = prop.get("enum")
    if enum:
        folded = fold(text)
        return next((v for v in enum if fold(str(v)) in folded), None)
    if kind == "boolean":
        return None
    if "mail" in hint:
        found = EMAIL_RE.search(text)
        return found.group(0) if found else None
    for key, pattern in (("cnpj", CNPJ_RE), ("cpf", CPF_RE), ("cep", CEP_RE)):
        if key in hint:
            found = pattern.search(text)
            return _digits(found.group(0)) if found else None
    if kind in ("integer", "number"):
        found = NUMBER_RE.search(text)
        if not found:
            return None
        value = found.group(0).replace(",", ".")
        return int(float(value)) if kind == "integer" else float(value)
    if kind == "string":
        without_mail = EMAIL_RE.sub(" ", text)
        found = DIGITS_RE.search(without_mail)
        if found:
            value = found.group(0)
            return value[: int(prop["maxLength"])] if prop.get("maxLength") else value
    return None


def _arguments(tool: dict, text: str) -> dict | None:
    parameters = tool.get("parameters") or {}
    properties = parameters.get("properties") or {}
    required = set(parameters.get("required") or [])
    arguments: dict[str, Any] = {}
    for name, prop in properties.items():
        value = _fill(name, prop if isinstance(prop, dict) else {}, text)
        if value is not None:
            arguments[name] = value
        elif name in required:
            return None
    return arguments


def plan_call(tools: Any, input_: Any) -> dict | None:
    """``{"name", "arguments"}`` (arguments: JSON text, as in a ``function_call`` item)
    of the function tool the sandbox model calls now, or None to answer in text."""
    functions = [t for t in tools or [] if isinstance(t, dict) and t.get("type") == "function"]
    if not functions:
        return None
    text, after = _after_last_user(input_)
    if any(item.get("type") == "function_call_output" for item in after) or not text.strip():
        return None
    stems = {_stem(w) for w in _words(text)}
    ranked = sorted(
        ((_score(tool, stems), index, tool) for index, tool in enumerate(functions)),
        key=lambda entry: (-entry[0], entry[1]),
    )
    for score, _index, tool in ranked:
        if score <= 0:
            break
        arguments = _arguments(tool, text)
        if arguments is not None:
            return {"name": str(tool["name"]), "arguments": json.dumps(arguments)}
    return None


def _summary(output: str) -> str:
    try:
        value = json.loads(output)
    except ValueError:
        return output[:300]
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in list(value.items())[:8])[:300]
    return json.dumps(value, ensure_ascii=False)[:300]


def answer_from_outputs(input_: Any) -> str | None:
    """The sandbox model's reply after a tool round: it reports what the tool said
    (None when the input has no ``function_call_output`` after the last user text)."""
    _text, after = _after_last_user(input_)
    names = {
        item.get("call_id"): item.get("name")
        for item in after
        if item.get("type") == "function_call"
    }
    outputs = [item for item in after if item.get("type") == "function_call_output"]
    if not outputs:
        return None
    parts = []
    for item in outputs:
        output = str(item.get("output") or "")
        name = names.get(item.get("call_id")) or "ferramenta"
        if output.startswith("a consulta falhou"):
            parts.append(f"Não consegui consultar agora ({name}: {output}).")
        else:
            parts.append(f"Consultei {name}: {_summary(output)}.")
    return " ".join(parts)
