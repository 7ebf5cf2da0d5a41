"""Saving the client's AI tools: validation of every field (name, description, schema,
URL with the SSRF rules, secret header, timeout, number) and the tenant-scoped CRUD.

A bad field raises :class:`ToolError` naming it (pt_BR message); nothing is stored then.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from clickpro.crypto import encrypt
from clickpro.errors import ServiceError
from clickpro.extensions import db
from clickpro.models import AITool, WhatsAppCredential
from clickpro.models.ai_tools import TOOL_DESCRIPTION_MAX, TOOL_URL_MAX
from clickpro.services.ai.tool_schema import check_schema
from clickpro.services.api import url_guard
from clickpro.tenancy import get_owned

NAME_RE = re.compile(r"^[a-z0-9_]{1,64}$")
HEADER_RE = re.compile(r"^[A-Za-z0-9-]{1,100}$")
MAX_TOOLS = 30
MAX_TIMEOUT_S = 15
DEFAULT_TIMEOUT_S = 10
FORBIDDEN_HEADERS = {"host", "content-length", "content-type", "transfer-encoding", "connection"}


class ToolError(ServiceError):
    code = "invalid_tool"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class ToolNotFound(ServiceError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class ToolInput:
    """What a form or API sends for a tool (strings as typed)."""

    name: str = ""
    description: str = ""
    parameters: str = ""  # JSON text
    url: str = ""
    secret_header_name: str = ""
    secret_header_value: str = ""  # "" on edit: keep the stored secret
    clear_secret: bool = False
    timeout_s: str = ""
    enabled: bool = True
    number_id: str = ""

    @classmethod
    def from_form(cls, form: Any) -> ToolInput:
        return cls(
            name=str(form.get("name", "")).strip(),
            description=str(form.get("description", "")).strip(),
            parameters=str(form.get("parameters", "")),
            url=str(form.get("url", "")).strip(),
            secret_header_name=str(form.get("secret_header_name", "")).strip(),
            secret_header_value=str(form.get("secret_header_value", "")),
            clear_secret=form.get("clear_secret") == "1",
            timeout_s=str(form.get("timeout_s", "")).strip(),
            enabled=form.get("enabled") == "1",
            number_id=str(form.get("number_id", "")).strip(),
        )


def allow_private() -> bool:
    return bool(current_app.config["OUTBOUND_WEBHOOK_ALLOW_PRIVATE"])


def check_tool_url(url: str) -> str:
    """The URL if the assistant may call it (http/https, no internal address)."""
    if not url:
        raise ToolError("url", _("Informe a URL."))
    if len(url) > TOOL_URL_MAX:
        raise ToolError("url", _("URL longa demais."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ToolError("url", _("A URL deve começar com https:// (ou http://) e ter um host."))
    if parts.username or parts.password:
        raise ToolError("url", _("A URL não pode conter usuário e senha."))
    try:
        url_guard.check_url(url, allow_private=allow_private(), resolve_names=False)
    except url_guard.ForbiddenAddress:
        raise ToolError(
            "url", _("Destino recusado: o endereço é interno, loopback ou reservado.")
        ) from None
    except (url_guard.UnresolvableHost, ValueError):
        raise ToolError("url", _("URL inválida.")) from None
    return url


def parse_parameters(text: str) -> dict:
    if not text.strip():
        return {"type": "object", "properties": {}, "additionalProperties": False}
    if len(text) > 16_000:
        raise ToolError("parameters", _("O esquema é grande demais."))
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise ToolError("parameters", _("JSON inválido: %(msg)s", msg=str(exc)[:120])) from None
    errors = check_schema(schema)
    if errors:
        raise ToolError("parameters", " ".join(errors[:5]))
    return schema


def _timeout(text: str) -> int:
    if not text:
        return DEFAULT_TIMEOUT_S
    if not text.isdigit() or not 1 <= int(text) <= MAX_TIMEOUT_S:
        raise ToolError("timeout_s", _("Tempo limite: de 1 a %(max)s segundos.", max=MAX_TIMEOUT_S))
    return int(text)


def _number(client_id: int, text: str) -> int | None:
    if not text:
        return None
    number = get_owned(WhatsAppCredential, text, client_id) if text.isdigit() else None
    if number is None or number.archived_at is not None:
        raise ToolError("number_id", _("Número não encontrado."))
    return number.id


def _clean(client_id: int, data: ToolInput, tool_id: int | None) -> dict:
    if not NAME_RE.match(data.name):
        raise ToolError("name", _("Nome: de 1 a 64 letras minúsculas, números ou _ (sem espaços)."))
    taken = db.session.scalar(
        sa.select(AITool.id).where(AITool.client_id == client_id, AITool.name == data.name)
    )
    if taken is not None and taken != tool_id:
        raise ToolError("name", _("Já existe uma ferramenta com esse nome."))
    if not data.description:
        raise ToolError("description", _("Descreva quando a IA deve usar a ferramenta."))
    if len(data.description) > TOOL_DESCRIPTION_MAX:
        raise ToolError("description", _("Descrição longa demais (máximo %(max)s caracteres).",
                                         max=TOOL_DESCRIPTION_MAX))  # fmt: skip
    header = data.secret_header_name
    if header and (not HEADER_RE.match(header) or header.lower() in FORBIDDEN_HEADERS):
        raise ToolError("secret_header_name", _("Nome de cabeçalho inválido."))
    if len(data.secret_header_value) > 2000:
        raise ToolError("secret_header_value", _("Valor do cabeçalho longo demais."))
    return {
        "name": data.name,
        "description": data.description,
        "parameters": parse_parameters(data.parameters),
        "url": check_tool_url(data.url),
        "timeout_s": _timeout(data.timeout_s),
        "enabled": data.enabled,
        "number_id": _number(client_id, data.number_id),
    }


def _apply_secret(tool: AITool, data: ToolInput) -> None:
    if data.clear_secret or not data.secret_header_name:
        tool.secret_header_name = None
        tool.secret_header_value_enc = None
        return
    if data.secret_header_value:
        tool.secret_header_value_enc = encrypt(data.secret_header_value)
    elif tool.secret_header_value_enc is None:
        raise ToolError("secret_header_value", _("Informe o valor do cabeçalho secreto."))
    tool.secret_header_name = data.secret_header_name


def list_tools(client_id: int) -> list[AITool]:
    stmt = sa.select(AITool).where(AITool.client_id == client_id).order_by(AITool.name)
    return list(db.session.scalars(stmt))


def get_tool(client_id: int, tool_id: int | str) -> AITool:
    tool = get_owned(AITool, tool_id, client_id)
    if tool is None:
        raise ToolNotFound(_("Ferramenta não encontrada."))
    return tool


def create_tool(client_id: int, data: ToolInput) -> AITool:
    count = db.session.scalar(
        sa.select(sa.func.count(AITool.id)).where(AITool.client_id == client_id)
    )
    if int(count or 0) >= MAX_TOOLS:
        raise ToolError("name", _("No máximo %(max)s ferramentas por cliente.", max=MAX_TOOLS))
    tool = AITool(client_id=client_id, **_clean(client_id, data, None))
    _apply_secret(tool, data)
    db.session.add(tool)
    db.session.commit()
    return tool


def update_tool(client_id: int, tool_id: int, data: ToolInput) -> AITool:
    tool = get_tool(client_id, tool_id)
    values = _clean(client_id, data, tool.id)
    _apply_secret(tool, data)
    for key, value in values.items():
        setattr(tool, key, value)
    db.session.commit()
    return tool


def delete_tool(client_id: int, tool_id: int) -> None:
    tool = get_tool(client_id, tool_id)
    db.session.delete(tool)
    db.session.commit()


def sample_arguments(schema: dict) -> dict:
    """Arguments that fit ``schema``, for the "Testar" button's first try."""
    samples: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type")
        if prop.get("enum"):
            samples[name] = prop["enum"][0]
        elif kind == "string":
            samples[name] = "12345"[: int(prop.get("maxLength") or 5)]
        elif kind in ("integer", "number"):
            samples[name] = max(int(prop.get("minimum", 1)), 1)
        elif kind == "boolean":
            samples[name] = True
        elif kind == "array":
            samples[name] = []
    return samples
