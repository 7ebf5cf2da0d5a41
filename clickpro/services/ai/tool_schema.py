"""The JSON schemas an AI tool's arguments may have: a small, safe subset, checked when
the tool is saved, and the check of the arguments the model sent against it.

Why a subset: the schema is the client's text, sent to OpenAI on every reply and used
here to judge the model's arguments. A flat object of typed scalars (plus arrays of
scalars) covers "consultar pedido (numero)", "segunda via (cpf, email)"; it has no
``$ref`` loops, no regexes to backtrack on (``pattern`` is refused: ReDoS) and a bounded
size, so neither OpenAI nor this validator meets anything surprising.

Allowed: ``{"type": "object", "properties": {name: Prop}, "required": [names],
"additionalProperties": false, "description": "…"}`` with Prop = ``{"type": "string" |
"integer" | "number" | "boolean" | "array", "description", "enum" (scalars),
"minLength"/"maxLength" (strings), "minimum"/"maximum" (numbers), "items" (a scalar
Prop, arrays only), "maxItems"}``. Anything else is refused with the reason.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask_babel import gettext as _

MAX_SCHEMA_BYTES = 8_000
MAX_PROPERTIES = 20
MAX_ENUM = 50
MAX_STRING = 2_000
MAX_ITEMS = 50
PROPERTY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

SCALARS = ("string", "integer", "number", "boolean")
ROOT_KEYS = {"type", "properties", "required", "additionalProperties", "description"}
PROP_KEYS = {
    "string": {"type", "description", "enum", "minLength", "maxLength"},
    "integer": {"type", "description", "enum", "minimum", "maximum"},
    "number": {"type", "description", "enum", "minimum", "maximum"},
    "boolean": {"type", "description"},
    "array": {"type", "description", "items", "maxItems"},
}

EXAMPLE = {
    "type": "object",
    "properties": {
        "numero_pedido": {
            "type": "string",
            "description": "Número do pedido, só dígitos",
            "maxLength": 20,
        }
    },
    "required": ["numero_pedido"],
    "additionalProperties": False,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return False


def _check_prop(name: str, prop: Any, *, in_array: bool = False) -> list[str]:
    where = _("campo “%(name)s”", name=name)
    if not isinstance(prop, dict):
        return [_("%(where)s: precisa ser um objeto.", where=where)]
    kind = str(prop.get("type"))
    allowed = SCALARS if in_array else (*SCALARS, "array")
    if kind not in allowed:
        return [_("%(where)s: tipo deve ser um de %(types)s.", where=where,
                  types=", ".join(allowed))]  # fmt: skip
    errors = []
    extra = sorted(set(prop) - PROP_KEYS[kind])
    if extra:
        errors.append(_("%(where)s: chave não permitida: %(keys)s.", where=where,
                        keys=", ".join(extra)))  # fmt: skip
    description = prop.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 500):
        errors.append(_("%(where)s: a descrição deve ser um texto de até 500 caracteres.",
                        where=where))  # fmt: skip
    enum = prop.get("enum")
    if enum is not None and (
        not isinstance(enum, list)
        or not 1 <= len(enum) <= MAX_ENUM
        or not all(_matches(kind, v) for v in enum)
    ):
        errors.append(_("%(where)s: enum deve ser uma lista de 1 a %(max)s valores do tipo do "
                        "campo.", where=where, max=MAX_ENUM))  # fmt: skip
    for key in ("minLength", "maxLength"):
        value = prop.get(key)
        if value is not None and not (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STRING
        ):
            errors.append(_("%(where)s: %(key)s deve ser um inteiro de 0 a %(max)s.",
                            where=where, key=key, max=MAX_STRING))  # fmt: skip
    for key in ("minimum", "maximum"):
        if key in prop and not _is_number(prop[key]):
            errors.append(_("%(where)s: %(key)s deve ser um número.", where=where, key=key))
    if kind == "array":
        items = prop.get("items")
        if items is None:
            errors.append(_("%(where)s: listas precisam de “items”.", where=where))
        else:
            errors += _check_prop(f"{name}[]", items, in_array=True)
        max_items = prop.get("maxItems")
        if max_items is not None and not (
            isinstance(max_items, int) and not isinstance(max_items, bool)
            and 1 <= max_items <= MAX_ITEMS
        ):  # fmt: skip
            errors.append(_("%(where)s: maxItems deve ser um inteiro de 1 a %(max)s.",
                            where=where, max=MAX_ITEMS))  # fmt: skip
    return errors


def check_schema(schema: Any) -> list[str]:
    """Why ``schema`` is not an allowed arguments schema ([] when it is)."""
    if not isinstance(schema, dict):
        return [_("O esquema deve ser um objeto JSON.")]
    if len(json.dumps(schema)) > MAX_SCHEMA_BYTES:
        return [_("O esquema é grande demais (máximo %(max)s bytes).", max=MAX_SCHEMA_BYTES)]
    errors = []
    if schema.get("type") != "object":
        errors.append(_('A raiz do esquema deve ter "type": "object".'))
    extra = sorted(set(schema) - ROOT_KEYS)
    if extra:
        errors.append(_("Chave não permitida na raiz do esquema: %(keys)s.", keys=", ".join(extra)))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return [*errors, _("“properties” deve ser um objeto.")]
    if len(properties) > MAX_PROPERTIES:
        errors.append(_("No máximo %(max)s campos.", max=MAX_PROPERTIES))
    for name, prop in properties.items():
        if not PROPERTY_RE.match(str(name)):
            errors.append(_("Nome de campo inválido: “%(name)s” (letras, números e _).",
                            name=str(name)[:64]))  # fmt: skip
            continue
        errors += _check_prop(name, prop)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        errors.append(_("“required” deve ser uma lista de nomes de campos."))
    else:
        missing = [r for r in required if r not in properties]
        if missing:
            errors.append(_("“required” cita campos que não existem: %(names)s.",
                            names=", ".join(missing[:5])))  # fmt: skip
    additional = schema.get("additionalProperties", False)
    if not isinstance(additional, bool):
        errors.append(_("“additionalProperties” deve ser true ou false."))
    description = schema.get("description")
    if description is not None and not isinstance(description, str):
        errors.append(_("A descrição do esquema deve ser um texto."))
    return errors


def _check_value(name: str, prop: dict, value: Any) -> list[str]:
    kind = prop.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"{name}: expected array"]
        if len(value) > int(prop.get("maxItems") or MAX_ITEMS):
            return [f"{name}: too many items"]
        errors: list[str] = []
        for index, item in enumerate(value):
            errors += _check_value(f"{name}[{index}]", prop.get("items") or {}, item)
        return errors[:5]
    if not _matches(str(kind), value):
        return [f"{name}: expected {kind}"]
    if "enum" in prop and value not in prop["enum"]:
        return [f"{name}: must be one of {prop['enum'][:10]}"]
    if kind == "string":
        if len(value) > int(prop.get("maxLength") or MAX_STRING):
            return [f"{name}: longer than {prop.get('maxLength') or MAX_STRING}"]
        if len(value) < int(prop.get("minLength") or 0):
            return [f"{name}: shorter than {prop['minLength']}"]
    if kind in ("integer", "number"):
        if "minimum" in prop and value < prop["minimum"]:
            return [f"{name}: below {prop['minimum']}"]
        if "maximum" in prop and value > prop["maximum"]:
            return [f"{name}: above {prop['maximum']}"]
    return []


def check_arguments(schema: dict, arguments: Any) -> list[str]:
    """Why ``arguments`` do not fit ``schema`` (English: the model reads these)."""
    if not isinstance(arguments, dict):
        return ["arguments must be a JSON object"]
    properties = schema.get("properties") or {}
    errors = [f"{name}: required" for name in schema.get("required") or [] if name not in arguments]
    for name, value in arguments.items():
        prop = properties.get(name)
        if prop is None:
            if schema.get("additionalProperties") is False:
                errors.append(f"{name}: unknown field")
            continue
        errors += _check_value(name, prop, value)
    return errors[:10]
