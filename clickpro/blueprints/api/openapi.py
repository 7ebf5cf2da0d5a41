"""The OpenAPI 3.1 document, generated from ``registry.OPERATIONS`` and the pydantic models.

Nothing here is written by hand beside the views: paths, methods, parameters, bodies
and answers all come from the ``@operation`` records and the models the views use.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from clickpro.blueprints.api.registry import (
    COMMON_ERRORS,
    MAX_BIGINT,
    MAX_INT,
    OPERATIONS,
    Operation,
)
from clickpro.blueprints.api.schemas import ErrorResponse
from clickpro.services.contacts.bsuids import MAX_LENGTH as BSUID_MAX_LENGTH

REF = "#/components/schemas/{model}"
_RULE_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_TEXT = {
    400: "Bad request (invalid JSON, bad Idempotency-Key)",
    401: "Missing, invalid or revoked token",
    404: "Not found (or another client's)",
    409: "Conflict (state refuses the action, or the same Idempotency-Key is in flight)",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Validation error (details: field → messages)",
    429: "Rate limit of the token exceeded (see Retry-After)",
    502: "Meta or OpenAI could not be reached",
}


def openapi_path(rule: str) -> str:
    return "/api/v1" + _RULE_ARG.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path_parameters(rule: str) -> list[dict]:
    params = []
    for converter, name in _RULE_ARG.findall(rule):
        if converter == "int":
            top = MAX_BIGINT if name.startswith("message") else MAX_INT
            schema: dict = {"type": "integer", "minimum": 1, "maximum": top, "examples": [1]}
        else:
            # a phone in any format, or a BSUID (up to 135 characters: CC.ENT.<128>)
            schema = {"type": "string", "minLength": 1, "maxLength": BSUID_MAX_LENGTH}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_parameters(model: type[BaseModel], defs: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


Mode = Literal["validation", "serialization"]


def _models() -> list[tuple[type[BaseModel], Mode]]:
    seen: dict[tuple[type[BaseModel], Mode], None] = {(ErrorResponse, "serialization"): None}
    for op in OPERATIONS:
        pairs: tuple[tuple[type[BaseModel] | None, Mode], ...] = (
            (op.body, "validation"),
            (op.multipart, "validation"),
            (op.response, "serialization"),
            *((m, "serialization") for m in op.extra_statuses.values()),
        )
        for model, mode in pairs:
            if model is not None:
                seen[(model, mode)] = None
    return list(seen)


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel]) -> dict:
    return {"application/json": {"schema": _ref(model)}}


def _responses(op: Operation) -> dict:
    responses: dict[str, Any] = {}
    if op.produces == "text/csv":
        responses[str(op.status)] = {
            "description": op.summary,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    elif op.response is None:
        responses[str(op.status)] = {"description": op.summary}
    else:
        responses[str(op.status)] = {"description": op.summary, "content": _json(op.response)}
    for status, model in op.extra_statuses.items():
        responses[str(status)] = {"description": op.summary, "content": _json(model)}
    for status in sorted({*op.errors, *COMMON_ERRORS}):
        responses[str(status)] = {
            "description": ERROR_TEXT.get(status, "Error"),
            "content": _json(ErrorResponse),
        }
    return responses


def _operation(op: Operation, defs: dict) -> dict:
    doc: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _path_parameters(op.rule),
        "responses": _responses(op),
    }
    if op.description:
        doc["description"] = op.description
    if op.query is not None:
        doc["parameters"] += _query_parameters(op.query, defs)
    if op.idempotent:
        doc["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retries with the same key return the first answer.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if op.body is not None:
        content = _json(op.body)
        extra = op.body.model_config.get("json_schema_extra")
        examples = extra.get("examples") if isinstance(extra, dict) else None
        if isinstance(examples, list) and examples:
            content["application/json"]["example"] = examples[0]
        doc["requestBody"] = {"required": True, "content": content}
    if op.multipart is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": _ref(op.multipart),
                    "encoding": {"file": {"contentType": "application/octet-stream"}},
                }
            },
        }
    return doc


def build_document() -> dict:
    _, top = models_json_schema(_models(), ref_template=REF)
    defs = top.get("$defs", {})
    _binary_files(defs)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, defs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClickPro API",
            "version": "1.0.0",
            "description": (
                "Per-client REST API. Authenticate with `Authorization: Bearer cpk_…`. "
                'Errors: `{"error": {"code", "message", "details"}}`. Lists: '
                '`{"data": [...], "next_cursor": ...}`.'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


def _binary_files(defs: dict) -> None:
    """pydantic writes ``bytes`` as a base64 string; a multipart file is binary."""
    for schema in defs.values():
        for prop in schema.get("properties", {}).values():
            if prop.get("format") == "binary" or prop.get("contentEncoding") == "base64":
                prop.pop("contentEncoding", None)
                prop.update({"type": "string", "format": "binary"})
